package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// EndBlock runs the rotation's timed steps (erasure at erase_height, the
// automatic rotation every rotation_interval blocks) and asks the
// gatekeepers for the beacon of this height every beacon_interval_blocks
// blocks, once a master key exists and there is a gatekeeper to answer.
func (k *Keeper) EndBlock(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := k.rotationEndBlock(ctx, params); err != nil {
		return err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if params.BeaconIntervalBlocks == 0 || height <= 0 || uint64(height)%params.BeaconIntervalBlocks != 0 {
		return nil
	}
	if n, err := k.MasterKeyCount(ctx); err != nil || n == 0 {
		return err
	}
	it, err := k.Gatekeepers.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	hasGatekeeper := it.Valid()
	if err := it.Close(); err != nil || !hasGatekeeper {
		return err
	}
	_, err = k.ingress.PushGatekeeperTask(ctx, types.ModuleName, protocol.TopicBeaconTask, protocol.TopicBeacon, protocol.EncodeU64(uint64(height)))
	return err
}

// HandleBeacon is the x/mq handler of protocol.TopicBeacon, a
// gatekeeper-origin (quorum) message answering a beacon task. The chain keeps
// the newest beacon and republishes it, so that every gatekeeper can check it
// against its own.
func (k *Keeper) HandleBeacon(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginGatekeeper); err != nil {
		return err
	}
	b, err := protocol.DecodeBeacon(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if b.Version >= n {
		return errorsmod.Wrapf(types.ErrUnknownKeyVersion, "beacon of master key version %d, the chain has %d versions", b.Version, n)
	}
	height := ctx.BlockHeight()
	if b.Height == 0 || b.Height > uint64(height) {
		return errorsmod.Wrapf(types.ErrInvalidBeacon, "beacon for height %d at block %d", b.Height, height)
	}
	latest, err := k.LatestBeacon.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	case b.Height <= latest.Height:
		return errorsmod.Wrapf(types.ErrStaleBeacon, "beacon for height %d, the latest is for height %d", b.Height, latest.Height)
	}
	if err := k.LatestBeacon.Set(ctx, types.Beacon{Height: b.Height, Version: b.Version, Value: b.Value, DeliveredHeight: height}); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicBeacon, m.Payload); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventBeacon,
		sdk.NewAttribute(types.AttributeHeight, fmt.Sprint(b.Height)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(b.Version))))
	return nil
}
