package migration

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// The Msg and Query services of x/gatekeeper are served by its keeper,
// which hands the migration's message and query to this keeper
// (keeper.MigrationMsgServer, keeper.MigrationQueryServer).

// ScheduleMigration serves MsgScheduleMigration (Keeper.Schedule).
func (k *Keeper) ScheduleMigration(ctx context.Context, msg *types.MsgScheduleMigration) (*types.MsgScheduleMigrationResponse, error) {
	m, err := k.Schedule(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgScheduleMigrationResponse{Id: m.Id, PlanName: m.PlanName}, nil
}

// Migration serves the Migration query: migration req.Id, or the newest.
func (k *Keeper) Migration(ctx context.Context, req *types.QueryMigrationRequest) (*types.QueryMigrationResponse, error) {
	if req == nil {
		req = &types.QueryMigrationRequest{}
	}
	resp := &types.QueryMigrationResponse{}
	if req.Id == 0 {
		m, ok, err := k.records.lastMigration(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			resp.Migration = &m
		}
	} else {
		m, err := k.records.Migrations.Get(ctx, req.Id)
		if errors.Is(err, collections.ErrNotFound) {
			return nil, querystatus.NotFound(errorsmod.Wrapf(types.ErrNoMigration, "no migration %d", req.Id))
		} else if err != nil {
			return nil, err
		}
		resp.Migration = &m
	}
	if resp.Migration != nil && resp.Migration.Pending() {
		pending, err := k.planPending(ctx, *resp.Migration)
		if err != nil {
			return nil, err
		}
		resp.PlanPending = pending
	}
	return resp, nil
}
