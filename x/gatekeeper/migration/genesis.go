package migration

import (
	"context"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// InitGenesis loads gs's migration records, after x/gatekeeper's keeper
// loaded (and validated) the rest of gs. x/upgrade exports no plan: a
// pending migration's plan is scheduled again, so the imported chain
// activates it at the same height.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	for _, m := range gs.Migrations {
		if err := k.records.Migrations.Set(ctx, m.Id, m); err != nil {
			return err
		}
	}
	if m, ok, err := k.PendingMigration(ctx); err != nil {
		return err
	} else if ok {
		if err := k.rescheduleMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis adds the migration records to gs, in id order.
func (k *Keeper) ExportGenesis(ctx context.Context, gs *types.GenesisState) error {
	return k.records.Migrations.Walk(ctx, nil, func(_ uint64, m types.Migration) (bool, error) {
		gs.Migrations = append(gs.Migrations, m)
		return false, nil
	})
}

// rescheduleMigration schedules pending migration m's x/upgrade plan when a
// chain starts from a genesis that holds it.
func (k *Keeper) rescheduleMigration(ctx context.Context, m types.Migration) error {
	if k.upgrade == nil {
		return fmt.Errorf("%w: migration %d is pending, but this chain has no x/upgrade keeper wired", types.ErrInvalidGenesis, m.Id)
	}
	if pending, err := k.planPending(ctx, m); err != nil || pending {
		return err
	}
	if err := k.upgrade.ScheduleUpgrade(ctx, migrationPlan(m)); err != nil {
		return fmt.Errorf("%w: migration %d: %w", types.ErrInvalidGenesis, m.Id, err)
	}
	return nil
}
