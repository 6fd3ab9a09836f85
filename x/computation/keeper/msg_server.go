package keeper

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

type msgServer struct{ k *Keeper }

// NewMsgServerImpl returns the Msg service.
func NewMsgServerImpl(k *Keeper) types.MsgServer { return msgServer{k: k} }

var _ types.MsgServer = msgServer{}

// StartComputing starts a session: the signer must be the registered
// worker's operator; the worker must have a benchmark and no session (a
// stopped one must have been released); the gatekeepers must have a master
// key and a beacon (the challenges derive from it); the stake, in params'
// denom, must pass the engine's CheckStart. The stake is escrowed in the
// module account and SessionStarted goes to the pRuntimes.
func (s msgServer) StartComputing(ctx context.Context, msg *types.MsgStartComputing) (*types.MsgStartComputingResponse, error) {
	k := s.k
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	opAddr, err := k.addressCodec.StringToBytes(msg.Operator)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrNotOperator, "operator %q: %v", msg.Operator, err)
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return nil, err
	}
	w, found, err := k.registry.Worker(ctx, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", key)
	}
	if w.Operator != msg.Operator {
		return nil, errorsmod.Wrapf(types.ErrNotOperator, "worker %x is operated by %s, not %s", key, w.Operator, msg.Operator)
	}
	bench, err := k.Benchmarks.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, errorsmod.Wrapf(types.ErrNoBenchmark, "%x", key)
		}
		return nil, err
	}
	switch cur, found, err := k.GetSession(ctx, key); {
	case err != nil:
		return nil, err
	case found && cur.Status == types.SESSION_STATUS_COOLING_DOWN:
		return nil, errorsmod.Wrapf(types.ErrCoolingDown, "session %d of worker %x: stake released at height %d", cur.SessionId, key, cur.CooldownEndHeight)
	case found:
		return nil, errorsmod.Wrapf(types.ErrAlreadyComputing, "session %d of worker %x is %s", cur.SessionId, key, cur.Status)
	}
	if n, err := k.registry.MasterKeyCount(ctx); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, errorsmod.Wrap(types.ErrNoBeacon, "no master key")
	}
	if _, found, err := k.registry.LatestBeacon(ctx); err != nil {
		return nil, err
	} else if !found {
		return nil, errorsmod.Wrap(types.ErrNoBeacon, "no beacon")
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	engine, err := params.Engine()
	if err != nil {
		return nil, err
	}
	stake, err := stakeTokens(msg.Stake, params)
	if err != nil {
		return nil, err
	}
	if err := engine.CheckStart(bench.Score, stake, w.ConfidenceLevel); err != nil {
		return nil, startError(err, engine, params, bench.Score, msg.Stake, w.ConfidenceLevel)
	}
	v, err := engine.InitialV(bench.Score, stake, w.ConfidenceLevel)
	if err != nil {
		return nil, startError(err, engine, params, bench.Score, msg.Stake, w.ConfidenceLevel)
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, opAddr, types.ModuleName, sdk.NewCoins(msg.Stake)); err != nil {
		return nil, errorsmod.Wrapf(err, "computation: escrowing stake %s", msg.Stake)
	}
	id, err := getOr(ctx, k.NextSessionID, uint64(types.FirstSessionID))
	if err != nil {
		return nil, err
	}
	if err := k.NextSessionID.Set(ctx, id+1); err != nil {
		return nil, err
	}
	sess := types.Session{
		Worker:          key,
		Operator:        msg.Operator,
		SessionId:       id,
		Stake:           msg.Stake.Amount,
		Score:           bench.Score,
		ConfidenceLevel: w.ConfidenceLevel,
		Status:          types.SESSION_STATUS_COMPUTING,
		V:               v.String(),
		TotalPaid:       math.ZeroInt(),
		StartedHeight:   height,
	}
	if err := k.Sessions.Set(ctx, key, sess); err != nil {
		return nil, err
	}
	if err := k.addActive(ctx, 1, height); err != nil {
		return nil, err
	}
	stakeBytes, _ := stake.MarshalBinary()
	started := protocol.SessionStarted{Worker: key, Session: id, Score: bench.Score, Level: w.ConfidenceLevel, Stake: stakeBytes}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicSessionStarted, started.Encode()); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventSessionStarted,
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeSession, fmt.Sprint(id)),
		sdk.NewAttribute(types.AttributeOperator, msg.Operator),
		sdk.NewAttribute(types.AttributeStake, msg.Stake.String()),
		sdk.NewAttribute(types.AttributeScore, fmt.Sprint(bench.Score)),
		sdk.NewAttribute(types.AttributeV, sess.V),
		sdk.NewAttribute(types.AttributeStatus, sess.Status.String()),
	))
	return &types.MsgStartComputingResponse{SessionId: id, V: sess.V}, nil
}

// stakeTokens converts a stake in base units to engine tokens, exactly up
// to the Fixed resolution (amount / units_per_token, rounded toward zero).
func stakeTokens(c sdk.Coin, p types.Params) (tokenomics.Fixed, error) {
	switch {
	case c.Denom != p.Denom:
		return tokenomics.Zero, errorsmod.Wrapf(types.ErrInvalidStake, "stake in %q, want %q", c.Denom, p.Denom)
	case c.Amount.IsNil() || !c.Amount.IsPositive():
		return tokenomics.Zero, errorsmod.Wrap(types.ErrInvalidStake, "stake must be positive")
	case !c.Amount.IsUint64():
		return tokenomics.Zero, errorsmod.Wrapf(types.ErrInvalidStake, "stake %s too large", c)
	}
	f, err := tokenomics.FromRatio(c.Amount.Uint64(), p.UnitsPerToken)
	if err != nil {
		return tokenomics.Zero, errorsmod.Wrap(types.ErrInvalidStake, err.Error())
	}
	return f, nil
}

// MinStakeUnits returns the smallest stake in base units that passes the
// engine's k·√p for score: the least a with a/units_per_token ≥ k·√p.
func MinStakeUnits(e tokenomics.Params, p types.Params, score uint32) (uint64, error) {
	min := e.MinStake(score)
	u, err := min.Units(p.UnitsPerToken)
	if err != nil {
		return 0, err
	}
	if f, err := tokenomics.FromRatio(u, p.UnitsPerToken); err != nil {
		return 0, err
	} else if f.Less(min) {
		u++
	}
	return u, nil
}

// startError maps the engine's CheckStart reasons to registered errors with
// the numbers an operator needs.
func startError(err error, e tokenomics.Params, p types.Params, score uint32, stake sdk.Coin, level uint32) error {
	switch {
	case errors.Is(err, tokenomics.ErrStakeTooLow):
		min, merr := MinStakeUnits(e, p, score)
		if merr != nil {
			return errorsmod.Wrapf(types.ErrStakeTooLow, "stake %s is below k·√p = %s tokens for score %d", stake, e.MinStake(score), score)
		}
		return errorsmod.Wrapf(types.ErrStakeTooLow, "stake %s is below the minimum %d%s (k·√p = %s tokens for score %d)",
			stake, min, p.Denom, e.MinStake(score), score)
	case errors.Is(err, tokenomics.ErrPerformanceTooLow):
		return errorsmod.Wrapf(types.ErrPerformanceTooLow, "score %d, min_init_p %d", score, e.MinInitP)
	case errors.Is(err, tokenomics.ErrStakeTooHigh):
		// The engine's message names V_e and v_max; stake above what
		// reaches v_max would earn nothing (the reference refuses it too).
		return errorsmod.Wrapf(types.ErrStakeTooHigh, "stake %s: %v", stake, err)
	case errors.Is(err, tokenomics.ErrConfidenceLevel):
		return errorsmod.Wrapf(types.ErrConfidenceLevel, "level %d (want 1-5 or 128)", level)
	}
	return err
}

// StopComputing stops a COMPUTING or UNRESPONSIVE session (the session's
// operator only): it cools down for cooldown_blocks, then EndBlock returns
// the stake. SessionStopped goes to the pRuntimes; the gatekeepers settle
// the session one last time.
func (s msgServer) StopComputing(ctx context.Context, msg *types.MsgStopComputing) (*types.MsgStopComputingResponse, error) {
	k := s.k
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return nil, err
	}
	sess, found, err := k.GetSession(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, errorsmod.Wrapf(types.ErrNotComputing, "worker %x has no session", key)
	case sess.Operator != msg.Operator:
		return nil, errorsmod.Wrapf(types.ErrNotOperator, "session %d of worker %x belongs to %s, not %s", sess.SessionId, key, sess.Operator, msg.Operator)
	case sess.Status == types.SESSION_STATUS_COOLING_DOWN:
		return nil, errorsmod.Wrapf(types.ErrNotComputing, "session %d of worker %x already stopped; cooling down until %d", sess.SessionId, key, sess.CooldownEndHeight)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	sess.Status = types.SESSION_STATUS_COOLING_DOWN
	sess.StoppedHeight = height
	sess.CooldownEndHeight = height + int64(params.CooldownBlocks)
	if err := k.Sessions.Set(ctx, key, sess); err != nil {
		return nil, err
	}
	if err := k.Cooldowns.Set(ctx, cooldownKey(sess)); err != nil {
		return nil, err
	}
	if err := k.addActive(ctx, -1, height); err != nil {
		return nil, err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicSessionStopped,
		protocol.SessionRef{Worker: key, Session: sess.SessionId}.Encode()); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventSessionStopped,
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeSession, fmt.Sprint(sess.SessionId)),
		sdk.NewAttribute(types.AttributeStatus, sess.Status.String()),
		sdk.NewAttribute(types.AttributeCooldown, fmt.Sprint(sess.CooldownEndHeight)),
	))
	return &types.MsgStopComputingResponse{CooldownEndHeight: sess.CooldownEndHeight}, nil
}

// UpdateParams replaces the params (authority only) and publishes the
// tokenomic part to the pRuntimes. denom and units_per_token give the
// escrowed stakes and recorded payouts their meaning, so they cannot change
// while any session exists.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	k := s.k
	if msg.Authority != k.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	old, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if old.Denom != msg.Params.Denom || old.UnitsPerToken != msg.Params.UnitsPerToken {
		it, err := k.Sessions.Iterate(ctx, nil)
		if err != nil {
			return nil, err
		}
		busy := it.Valid()
		if err := it.Close(); err != nil {
			return nil, err
		}
		if busy {
			return nil, errorsmod.Wrap(types.ErrInvalidParams, "denom and units_per_token cannot change while sessions exist")
		}
	}
	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := k.publishParams(ctx, msg.Params); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventParamsUpdated))
	return &types.MsgUpdateParamsResponse{}, nil
}
