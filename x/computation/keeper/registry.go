package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	gatekeeperkeeper "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/keeper"
	registrykeeper "github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"

	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// registryView implements types.Registry over the registry and gatekeeper
// keepers.
type registryView struct {
	k  *registrykeeper.Keeper
	gk *gatekeeperkeeper.Keeper
}

// NewRegistryView returns x/computation's view of x/registry and
// x/gatekeeper.
func NewRegistryView(k *registrykeeper.Keeper, gk *gatekeeperkeeper.Keeper) types.Registry {
	return registryView{k: k, gk: gk}
}

func (r registryView) Worker(ctx context.Context, key []byte) (types.WorkerInfo, bool, error) {
	w, err := r.k.GetWorker(ctx, key)
	switch {
	case errors.Is(err, registrytypes.ErrWorkerNotFound):
		return types.WorkerInfo{}, false, nil
	case err != nil:
		return types.WorkerInfo{}, false, err
	}
	return types.WorkerInfo{Operator: w.Operator, ConfidenceLevel: w.ConfidenceLevel}, true, nil
}

func (r registryView) MasterKeyCount(ctx context.Context) (uint32, error) {
	return r.gk.MasterKeyCount(ctx)
}

func (r registryView) LatestBeacon(ctx context.Context) ([]byte, bool, error) {
	b, err := r.gk.LatestBeacon.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return b.Value, true, nil
}
