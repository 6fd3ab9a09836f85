package keeper

import (
	"context"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// InitGenesis loads gs, rebuilds the derived indexes (cooldowns, active
// count), and publishes the params to the pRuntimes unless the genesis says
// an earlier life of the chain already did.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	var active uint64
	for _, s := range gs.Sessions {
		if err := k.Sessions.Set(ctx, s.Worker, s); err != nil {
			return err
		}
		if s.Status == types.SESSION_STATUS_COOLING_DOWN {
			if err := k.Cooldowns.Set(ctx, cooldownKey(s)); err != nil {
				return err
			}
		} else {
			active++
		}
	}
	if err := k.ActiveSessions.Set(ctx, active); err != nil {
		return err
	}
	for _, b := range gs.Benchmarks {
		if err := k.Benchmarks.Set(ctx, b.Worker, b); err != nil {
			return err
		}
	}
	next := gs.NextSessionId
	if next == 0 {
		next = types.FirstSessionID
	}
	if err := k.NextSessionID.Set(ctx, next); err != nil {
		return err
	}
	if err := k.LastClosedHeight.Set(ctx, uint64(gs.LastClosedHeight)); err != nil {
		return err
	}
	if err := k.LastOutputHeight.Set(ctx, uint64(gs.LastOutputHeight)); err != nil {
		return err
	}
	if gs.ParamsPublished {
		return k.ParamsPublished.Set(ctx, true)
	}
	if err := k.publishParams(ctx, gs.Params); err != nil {
		return fmt.Errorf("computation: publishing params: %w", err)
	}
	return nil
}

// ExportGenesis dumps the state in key order.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	gs := &types.GenesisState{}
	var err error
	if gs.Params, err = k.Params.Get(ctx); err != nil {
		return nil, err
	}
	if err := k.Sessions.Walk(ctx, nil, func(_ []byte, s types.Session) (bool, error) {
		gs.Sessions = append(gs.Sessions, s)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Benchmarks.Walk(ctx, nil, func(_ []byte, b types.Benchmark) (bool, error) {
		gs.Benchmarks = append(gs.Benchmarks, b)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.NextSessionId, err = getOr(ctx, k.NextSessionID, uint64(types.FirstSessionID)); err != nil {
		return nil, err
	}
	closed, err := getOr(ctx, k.LastClosedHeight, 0)
	if err != nil {
		return nil, err
	}
	output, err := getOr(ctx, k.LastOutputHeight, 0)
	if err != nil {
		return nil, err
	}
	gs.LastClosedHeight, gs.LastOutputHeight = int64(closed), int64(output)
	if gs.ParamsPublished, err = getOr(ctx, k.ParamsPublished, false); err != nil {
		return nil, err
	}
	return gs, nil
}
