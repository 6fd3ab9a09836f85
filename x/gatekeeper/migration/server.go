package migration

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
			return nil, notFound(errorsmod.Wrapf(types.ErrNoMigration, "no migration %d", req.Id))
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

// notFoundError is a missing record: gRPC NotFound, which grpc-gateway
// answers as HTTP 404. It still wraps the module's registered error, so
// errors.Is keeps working, and its message is that error's.
type notFoundError struct{ err error }

func (e notFoundError) Error() string              { return e.err.Error() }
func (e notFoundError) Unwrap() error              { return e.err }
func (e notFoundError) GRPCStatus() *status.Status { return status.New(codes.NotFound, e.err.Error()) }

func notFound(err error) error { return notFoundError{err: err} }
