package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// InitGenesis loads a validated genesis.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, m := range gs.Measurements {
		if _, ok := k.verifiers[m.TeeKind]; !ok {
			return types.ErrUnknownTEEKind.Wrapf("genesis measurement of kind %q", m.TeeKind)
		}
		if err := k.Measurements.Set(ctx, collections.Join(m.TeeKind, m.Measurement), m); err != nil {
			return err
		}
	}
	for _, w := range gs.Workers {
		if err := k.setWorker(ctx, w); err != nil {
			return err
		}
	}
	for _, c := range gs.Collaterals {
		if err := k.Collaterals.Set(ctx, collections.Join(c.TeeKind, c.PlatformId), c); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis dumps the store in key order.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Measurements.Walk(ctx, nil, func(_ collections.Pair[string, []byte], m types.Measurement) (bool, error) {
		gs.Measurements = append(gs.Measurements, m)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.WalkWorkers(ctx, func(w types.Worker) (bool, error) {
		gs.Workers = append(gs.Workers, w)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Collaterals.Walk(ctx, nil, func(_ collections.Pair[string, string], c types.Collateral) (bool, error) {
		gs.Collaterals = append(gs.Collaterals, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
