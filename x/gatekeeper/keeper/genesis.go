package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// InitGenesis loads a genesis, validated against x/registry's (whose
// InitGenesis runs first), and rebuilds the worker → cluster
// index from the clusters. The migration records (gs.Migrations, validated
// here with the rest) are loaded by x/gatekeeper/migration's InitGenesis.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	workers, measurements, err := k.registered(ctx, gs)
	if err != nil {
		return err
	}
	if err := gs.ValidateAgainst(workers, measurements); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, g := range gs.Gatekeepers {
		if err := k.Gatekeepers.Set(ctx, g.IdentityKey, g); err != nil {
			return err
		}
	}
	for _, mk := range gs.MasterKeys {
		if err := k.MasterKeys.Set(ctx, mk.Version, mk); err != nil {
			return err
		}
	}
	for _, c := range gs.Clusters {
		if _, err := k.addressCodec.StringToBytes(c.Owner); err != nil {
			return fmt.Errorf("%w: cluster %d owner %q: %w", types.ErrInvalidGenesis, c.Id, c.Owner, err)
		}
		if err := k.Clusters.Set(ctx, c.Id, c); err != nil {
			return err
		}
		for _, w := range c.Workers {
			if err := k.WorkerCluster.Set(ctx, w, c.Id); err != nil {
				return err
			}
		}
	}
	for _, inv := range gs.ClusterInvitations {
		if err := k.ClusterInvitations.Set(ctx, collections.Join(inv.ClusterId, inv.Worker), inv); err != nil {
			return err
		}
	}
	if err := k.NextClusterID.Set(ctx, max(gs.NextClusterId, types.FirstClusterID)); err != nil {
		return err
	}
	if len(gs.Launcher) > 0 {
		if err := k.Launcher.Set(ctx, gs.Launcher); err != nil {
			return err
		}
	}
	if gs.LatestBeacon != nil {
		if err := k.LatestBeacon.Set(ctx, *gs.LatestBeacon); err != nil {
			return err
		}
	}
	for _, r := range gs.Rotations {
		if err := k.Rotations.Set(ctx, r.ToVersion, r); err != nil {
			return err
		}
	}
	// A genesis written by hand may name gatekeepers but no launcher, and
	// nobody would ever generate v0: the first in key order launches, as if
	// it had been added alone.
	if len(gs.MasterKeys) == 0 && len(gs.Launcher) == 0 && len(gs.Gatekeepers) > 0 {
		gks, err := k.GatekeeperKeys(ctx)
		if err != nil {
			return err
		}
		return k.designateLauncher(ctx, gks[0])
	}
	return nil
}

// ExportGenesis dumps the store in key order, but for the migration records
// (x/gatekeeper/migration's ExportGenesis). The worker → cluster index is
// not exported: it is rebuilt from the clusters.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Gatekeepers.Walk(ctx, nil, func(_ []byte, g types.Gatekeeper) (bool, error) {
		gs.Gatekeepers = append(gs.Gatekeepers, g)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.MasterKeys.Walk(ctx, nil, func(_ uint32, mk types.MasterKey) (bool, error) {
		gs.MasterKeys = append(gs.MasterKeys, mk)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Clusters.Walk(ctx, nil, func(_ uint64, c types.Cluster) (bool, error) {
		gs.Clusters = append(gs.Clusters, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.ClusterInvitations.Walk(ctx, nil, func(_ collections.Pair[uint64, []byte], inv types.ClusterInvitation) (bool, error) {
		gs.ClusterInvitations = append(gs.ClusterInvitations, inv)
		return false, nil
	}); err != nil {
		return nil, err
	}
	gs.NextClusterId, err = k.NextClusterID.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		gs.NextClusterId = types.FirstClusterID
	} else if err != nil {
		return nil, err
	}
	if gs.Launcher, err = k.launcher(ctx); err != nil {
		return nil, err
	}
	b, err := k.LatestBeacon.Get(ctx)
	switch {
	case err == nil:
		gs.LatestBeacon = &b
	case !errors.Is(err, collections.ErrNotFound):
		return nil, err
	}
	if err := k.Rotations.Walk(ctx, nil, func(_ uint32, r types.Rotation) (bool, error) {
		gs.Rotations = append(gs.Rotations, r)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}

// registered returns the workers of x/registry (by identity key) and
// which of the measurements gs's migrations name are allowed there (by tee
// kind || "/" || measurement): what gs is validated against.
func (k *Keeper) registered(ctx context.Context, gs *types.GenesisState) (workers, measurements map[string]bool, err error) {
	workers = make(map[string]bool)
	if err := k.registry.WalkWorkers(ctx, func(w registrytypes.Worker) (bool, error) {
		workers[string(w.IdentityKey)] = true
		return false, nil
	}); err != nil {
		return nil, nil, err
	}
	measurements = make(map[string]bool)
	for _, m := range gs.Migrations {
		ok, err := k.registry.HasMeasurement(ctx, m.TeeKind, m.Measurement)
		if err != nil {
			return nil, nil, err
		}
		measurements[m.TeeKind+"/"+string(m.Measurement)] = ok
	}
	return workers, measurements, nil
}
