package keeper

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Migrator runs x/mq's store migrations.
type Migrator struct{ k *Keeper }

// NewMigrator returns the migrator of k's store.
func NewMigrator(k *Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 adds the ingress heads (types.IngressHeadPrefix) to a version
// 1 store, which has entries but no hash chain over them. The chain starts
// from the seed at the first retained index, as on a new chain at 0: the
// pruned entries are gone, and a pRuntime that has not reached the first
// retained index bootstraps from proven state instead of reading them. Every
// head from there to the next index is computed over the stored entries.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	first, err := m.k.firstIngress(ctx)
	if err != nil {
		return err
	}
	next, err := m.k.nextIngress(ctx)
	if err != nil {
		return err
	}
	if err := m.k.chainIngressHeads(ctx, first, next, protocol.IngressHeadSeed()); err != nil {
		return fmt.Errorf("mq: migration 1→2: %w", err)
	}
	return nil
}
