package keeper

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// EndBlock releases the stakes whose cooldown ends at this height, then
// closes the block for the tokenomic engine: while any session is computing
// or unresponsive, or when a session started or stopped in this block, it
// appends a protocol.TopicBlock carrying the height, the block time and the
// challenge seed (from the latest beacon). The engine needs every height
// while it has workers; the gatekeepers answer on their computation lane
// only for blocks with something to report, so closing a quiet block costs
// one ingress entry and no gatekeeper transaction.
func (k *Keeper) EndBlock(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if sdkCtx.BlockHeight() <= 0 {
		return nil
	}
	height := uint64(sdkCtx.BlockHeight())
	if err := k.releaseStakes(ctx, height); err != nil {
		return err
	}
	active, err := getOr(ctx, k.ActiveSessions, 0)
	if err != nil {
		return err
	}
	changed, err := getOr(ctx, k.LastChangeHeight, 0)
	if err != nil {
		return err
	}
	if active == 0 && changed != height {
		return nil
	}
	beacon, found, err := k.registry.LatestBeacon(ctx)
	if err != nil {
		return err
	}
	if !found {
		// Sessions start only once a beacon exists; a state imported
		// without one still gets consecutive, deterministic seeds.
		k.logger(ctx).Error("computation: block closed without a beacon", "height", height)
	}
	seed := protocol.ChallengeSeed(beacon, height)
	// Block time is consensus data (BFT time, strictly increasing).
	body := protocol.ComputationBlock{Height: height, Time: uint64(sdkCtx.BlockTime().UnixMilli()), Seed: seed[:]}.Encode()
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicBlock, body); err != nil {
		return err
	}
	return k.LastClosedHeight.Set(ctx, height)
}

// releaseStakes returns the stakes of sessions whose cooldown ended at or
// before height to their operators and deletes the sessions.
func (k *Keeper) releaseStakes(ctx context.Context, height uint64) error {
	var due []collections.Pair[uint64, []byte]
	err := k.Cooldowns.Walk(ctx, collections.NewPrefixUntilPairRange[uint64, []byte](height),
		func(key collections.Pair[uint64, []byte]) (bool, error) {
			due = append(due, key)
			return false, nil
		})
	if err != nil || len(due) == 0 {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	for _, key := range due {
		worker := key.K2()
		sess, err := k.Sessions.Get(ctx, worker)
		if err != nil {
			return fmt.Errorf("computation: cooldown of %x without a session: %w", worker, err)
		}
		op, err := k.addressCodec.StringToBytes(sess.Operator)
		if err != nil {
			return fmt.Errorf("computation: session %d operator: %w", sess.SessionId, err)
		}
		stake := sdk.NewCoin(params.Denom, sess.Stake)
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, op, sdk.NewCoins(stake)); err != nil {
			return fmt.Errorf("computation: releasing stake of session %d: %w", sess.SessionId, err)
		}
		if err := k.Sessions.Remove(ctx, worker); err != nil {
			return err
		}
		if err := k.Cooldowns.Remove(ctx, key); err != nil {
			return err
		}
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventStakeReleased,
			sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(worker)),
			sdk.NewAttribute(types.AttributeSession, fmt.Sprint(sess.SessionId)),
			sdk.NewAttribute(types.AttributeOperator, sess.Operator),
			sdk.NewAttribute(types.AttributeAmount, stake.String())))
	}
	return nil
}

// addActive moves the count of active sessions by delta and records a
// start or stop at height.
func (k *Keeper) addActive(ctx context.Context, delta int, height int64) error {
	n, err := getOr(ctx, k.ActiveSessions, 0)
	if err != nil {
		return err
	}
	switch {
	case delta > 0:
		n++
	case n == 0:
		return errors.New("computation: active session count underflow")
	default:
		n--
	}
	if err := k.ActiveSessions.Set(ctx, n); err != nil {
		return err
	}
	return k.LastChangeHeight.Set(ctx, uint64(height))
}

func cooldownKey(s types.Session) collections.Pair[uint64, []byte] {
	return collections.Join(uint64(s.CooldownEndHeight), s.Worker)
}

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }
