package app

import (
	"errors"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// registerMigrationUpgrades gives x/upgrade the handlers of pRuntime
// migrations (x/gatekeeper/migration), whose plans are scheduled
// on chain by MsgScheduleMigration rather than compiled in. Handlers are
// not state, so the app derives them from state before x/upgrade's
// pre-blocker runs, by x/upgrade's two rules:
//
//   - a pending plan's handler must exist at the plan's height, and must not
//     exist before it ("BINARY UPDATED BEFORE TRIGGER" halts the chain), so
//     it is registered only in the block where the plan executes;
//   - when a node starts, the last applied plan must have a handler, so a
//     migration that already took effect gets one at the first block.
//
// A plan with a migration's name that x/gatekeeper does not know (scheduled
// by hand with MsgSoftwareUpgrade) gets no handler: x/upgrade halts at it,
// as at any plan this binary does not know.
func (app *App) registerMigrationUpgrades(ctx sdk.Context) error {
	uk, rk := app.UpgradeKeeper, app.MigrationKeeper
	if !app.lastUpgradeHandled {
		name, _, err := uk.GetLastCompletedUpgrade(ctx)
		if err != nil {
			return err
		}
		if name != "" && !uk.HasHandler(name) {
			h, ok, err := rk.MigrationUpgradeHandler(ctx, name, 0)
			if err != nil {
				return err
			}
			if ok {
				uk.SetUpgradeHandler(name, h)
			}
		}
		app.lastUpgradeHandled = true
	}
	plan, err := uk.GetUpgradePlan(ctx)
	if errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		return nil
	} else if err != nil {
		return err
	}
	if !plan.ShouldExecute(ctx.HeaderInfo().Height) || uk.HasHandler(plan.Name) {
		return nil
	}
	h, ok, err := rk.MigrationUpgradeHandler(ctx, plan.Name, plan.Height)
	if err != nil || !ok {
		return err
	}
	uk.SetUpgradeHandler(plan.Name, h)
	return nil
}
