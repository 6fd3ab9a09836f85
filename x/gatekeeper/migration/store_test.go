package migration_test

import (
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/migration"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// The migration tests that drive a migration through the chain (schedule,
// pair, hand over, activate, cancel, genesis) need both keepers and a
// registry; they are in x/gatekeeper/keeper's black-box tests
// (migration_test.go), whose fixture wires the module as the app does.
// These test what this package holds alone.

// storeKey names the gatekeeper store in every test context.
var storeKey = storetypes.NewKVStoreKey(types.StoreKey)

func newStore(t *testing.T) (sdk.Context, *migration.Store) {
	t.Helper()
	key := storeKey
	ctx := testutil.DefaultContextWithKeys(map[string]*storetypes.KVStoreKey{types.StoreKey: key}, nil, nil)
	reg := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(reg)
	s, err := migration.NewStore(codec.NewProtoCodec(reg), runtime.NewKVStoreService(key))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, s
}

func TestStorePendingMigration(t *testing.T) {
	t.Parallel()
	rec := func(id uint64, phase types.MigrationPhase) types.Migration {
		return types.Migration{Id: id, Phase: phase, PlanName: types.MigrationPlanName(id)}
	}
	for _, tc := range []struct {
		name    string
		records []types.Migration
		want    uint64 // pending id; 0 for none
	}{
		{"no migration", nil, 0},
		{"scheduled", []types.Migration{rec(1, types.MIGRATION_PHASE_SCHEDULED)}, 1},
		{"done", []types.Migration{rec(1, types.MIGRATION_PHASE_DONE)}, 0},
		{"cancelled", []types.Migration{rec(1, types.MIGRATION_PHASE_CANCELLED)}, 0},
		{"the last one counts", []types.Migration{rec(1, types.MIGRATION_PHASE_CANCELLED), rec(2, types.MIGRATION_PHASE_SCHEDULED)}, 2},
		{"an old one does not", []types.Migration{rec(1, types.MIGRATION_PHASE_SCHEDULED), rec(2, types.MIGRATION_PHASE_DONE)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, s := newStore(t)
			for _, m := range tc.records {
				if err := s.Migrations.Set(ctx, m.Id, m); err != nil {
					t.Fatal(err)
				}
			}
			m, ok, err := s.PendingMigration(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := uint64(0)
			if ok {
				got = m.Id
			}
			if got != tc.want {
				t.Errorf("pending migration %d, want %d (0: none)", got, tc.want)
			}
		})
	}
}

// TestStorePrefix pins the records to the gatekeeper store's migration
// prefix and big-endian ids (types/keys.go), which the enclave's proofs
// name.
func TestStorePrefix(t *testing.T) {
	t.Parallel()
	ctx, s := newStore(t)
	if err := s.Migrations.Set(ctx, 7, types.Migration{Id: 7}); err != nil {
		t.Fatal(err)
	}
	key := append(append([]byte{}, types.MigrationPrefix...), 0, 0, 0, 0, 0, 0, 0, 7)
	if !ctx.KVStore(storeKey).Has(key) {
		t.Errorf("no record at %x", key)
	}
}

func TestNewKeeperRequiresItsDependencies(t *testing.T) {
	t.Parallel()
	_, s := newStore(t)
	// Non-nil stand-ins: NewKeeper only checks that each is there.
	gk := struct{ migration.GatekeeperKeeper }{}
	reg := struct{ types.RegistryKeeper }{}
	mq := struct{ types.IngressQueue }{}
	for _, tc := range []struct {
		name    string
		records *migration.Store
		gk      migration.GatekeeperKeeper
		reg     types.RegistryKeeper
		mq      types.IngressQueue
		wantErr bool
	}{
		{"all there", s, gk, reg, mq, false},
		{"no records", nil, gk, reg, mq, true},
		{"no gatekeeper keeper", s, nil, reg, mq, true},
		{"no registry", s, gk, nil, mq, true},
		{"no ingress", s, gk, reg, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// x/upgrade may be missing: migrations then cannot be scheduled.
			_, err := migration.NewKeeper(tc.records, tc.gk, tc.reg, tc.mq, nil)
			if (err != nil) != tc.wantErr {
				t.Errorf("NewKeeper: %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
