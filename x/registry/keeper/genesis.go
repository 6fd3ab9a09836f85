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
		if err := k.Workers.Set(ctx, w.IdentityKey, w); err != nil {
			return err
		}
	}
	for _, g := range gs.Gatekeepers {
		if err := k.Gatekeepers.Set(ctx, g.IdentityKey, g); err != nil {
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
	if err := k.Workers.Walk(ctx, nil, func(_ []byte, w types.Worker) (bool, error) {
		gs.Workers = append(gs.Workers, w)
		return false, nil
	}); err != nil {
		return nil, err
	}
	err = k.Gatekeepers.Walk(ctx, nil, func(_ []byte, g types.Gatekeeper) (bool, error) {
		gs.Gatekeepers = append(gs.Gatekeepers, g)
		return false, nil
	})
	return gs, err
}
