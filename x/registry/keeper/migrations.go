package keeper

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Migrate1to2 moves every worker's announced endpoint out of its Worker
// record into Endpoints (ConsensusVersion 2), in identity key order, and
// rewrites the records that had one without it.
func (k *Keeper) Migrate1to2(ctx sdk.Context) error {
	var moved []types.Worker
	if err := k.Workers.Walk(ctx, nil, func(_ []byte, w types.Worker) (bool, error) {
		if w.Endpoint != "" {
			moved = append(moved, w)
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, w := range moved {
		if err := k.setWorker(ctx, w); err != nil {
			return err
		}
	}
	return nil
}
