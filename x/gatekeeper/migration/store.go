package migration

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Store holds the migration records in the "gatekeeper" store, under
// types.MigrationPrefix (types/keys.go lists every prefix of that store).
// It depends on nothing, so the gatekeeper keeper, built before the
// migration keeper, can read from it whether a migration is pending.
type Store struct {
	// Migrations holds every pRuntime migration by id; the pending one is
	// the last.
	Migrations collections.Map[uint64, types.Migration]
}

// NewStore returns the migration records of the gatekeeper store.
func NewStore(cdc codec.BinaryCodec, storeService store.KVStoreService) (*Store, error) {
	sb := collections.NewSchemaBuilder(storeService)
	s := &Store{
		Migrations: collections.NewMap(sb, types.MigrationPrefix, "migrations", collections.Uint64Key, codec.CollValue[types.Migration](cdc)),
	}
	if _, err := sb.Build(); err != nil {
		return nil, fmt.Errorf("migration: building schema: %w", err)
	}
	return s, nil
}

// lastMigration returns the newest migration record, pending or not.
func (s *Store) lastMigration(ctx context.Context) (types.Migration, bool, error) {
	it, err := s.Migrations.Iterate(ctx, new(collections.Range[uint64]).Descending())
	if err != nil {
		return types.Migration{}, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return types.Migration{}, false, nil
	}
	m, err := it.Value()
	return m, err == nil, err
}

// LastMigration returns the newest migration record, pending or not.
func (s *Store) LastMigration(ctx context.Context) (types.Migration, bool, error) {
	return s.lastMigration(ctx)
}

// PendingMigration returns the scheduled migration, if any.
func (s *Store) PendingMigration(ctx context.Context) (types.Migration, bool, error) {
	m, ok, err := s.lastMigration(ctx)
	if err != nil || !ok || !m.Pending() {
		return types.Migration{}, false, err
	}
	return m, true, nil
}
