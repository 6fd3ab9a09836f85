package keeper

import (
	"encoding/hex"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// HandleBenchmark is the x/mq handler of protocol.TopicBenchmark: a
// registered worker's pRuntime reports its performance score (u32, at least
// 1, iterations per 6 s). A score above tokenomics.MaxScore is recorded as
// MaxScore, as the reference's registry caps it. A later benchmark replaces
// the earlier; a running session keeps the score it started with.
func (k *Keeper) HandleBenchmark(ctx sdk.Context, m protocol.Message) error {
	if err := requireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	score, err := protocol.DecodeU32("score", m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	if score == 0 || score > tokenomics.MaxP {
		return errorsmod.Wrapf(types.ErrInvalidBenchmark, "score %d, want 1-%d", score, tokenomics.MaxP)
	}
	score = min(score, tokenomics.MaxScore)
	worker := m.Origin.ID
	if _, found, err := k.registry.Worker(ctx, worker); err != nil {
		return err
	} else if !found {
		return errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", worker)
	}
	if err := k.Benchmarks.Set(ctx, worker, types.Benchmark{Worker: worker, Score: score, Height: ctx.BlockHeight()}); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventBenchmarkRecorded,
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(worker)),
		sdk.NewAttribute(types.AttributeScore, fmt.Sprint(score))))
	return nil
}

// HandleHeartbeat is the x/mq handler of protocol.TopicHeartbeat (worker
// origin). The chain only filters spam: the sender must be in a computing or
// unresponsive session with the heartbeat's id, and the challenge must be a
// height of that session not in the future. The gatekeepers' engine decides
// whether the challenge was issued to the worker and answered in time. A
// heartbeat that passes is relayed to the pRuntimes as Relayed{worker,
// heartbeat}.
func (k *Keeper) HandleHeartbeat(ctx sdk.Context, m protocol.Message) error {
	if err := requireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	hb, err := protocol.DecodeHeartbeat(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	worker := m.Origin.ID
	sess, found, err := k.GetSession(ctx, worker)
	switch {
	case err != nil:
		return err
	case !found:
		return errorsmod.Wrapf(types.ErrNotComputing, "heartbeat from worker %x without a session", worker)
	case sess.Status == types.SESSION_STATUS_COOLING_DOWN:
		return errorsmod.Wrapf(types.ErrNotComputing, "heartbeat from worker %x whose session %d stopped", worker, sess.SessionId)
	case hb.Session != sess.SessionId:
		return errorsmod.Wrapf(types.ErrWrongSession, "heartbeat for session %d, worker %x is in session %d", hb.Session, worker, sess.SessionId)
	case hb.Challenge > uint64(ctx.BlockHeight()) || hb.Challenge < uint64(sess.StartedHeight):
		return errorsmod.Wrapf(types.ErrInvalidHeartbeat, "challenge of height %d: session %d started at %d, the chain is at %d",
			hb.Challenge, sess.SessionId, sess.StartedHeight, ctx.BlockHeight())
	}
	relayed := protocol.Relayed{Sender: worker, Body: m.Payload}.Encode()
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicHeartbeat, relayed); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventHeartbeatRelayed,
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(worker)),
		sdk.NewAttribute(types.AttributeSession, fmt.Sprint(hb.Session)),
		sdk.NewAttribute(types.AttributeChallenge, fmt.Sprint(hb.Challenge))))
	return nil
}

// HandleSettlement is the x/mq handler of protocol.TopicSettlement: the
// gatekeepers' quorum output (tokenomics.Output) for one block, on their
// computation lane. The lane delivers in order and the gatekeepers publish
// only non-empty outputs, so the block must not be before the last one
// settled (an output too large for one message comes in consecutive parts
// with the same height) nor after the last one closed.
// Then, in order: offline workers become UNRESPONSIVE, recovered ones
// COMPUTING, and every settlement records V and pays: payout to the
// session's operator and the treasury's part to the treasury account, both
// minted by the module. An entry for a session that is not the worker's
// current one changes and pays nothing (a stale event says so).
//
// The handler runs without a gas limit: its work is bounded by the payload
// size (protocol.MaxPayloadLen), the message is the chain's own request,
// fee-free, and charging it to the relayer whose vote completed the quorum
// could fail that transaction forever and stall the gatekeeper channel.
func (k *Keeper) HandleSettlement(ctx sdk.Context, m protocol.Message) error {
	if lane := protocol.GatekeeperLane(protocol.LaneComputation); !m.Origin.Equal(lane) {
		return errorsmod.Wrapf(types.ErrInvalidOrigin, "%s: from %s, want %s", m.Topic, m.Origin, lane)
	}
	out, err := tokenomics.DecodeOutput(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	last, err := getOr(ctx, k.LastOutputHeight, 0)
	if err != nil {
		return err
	}
	closed, err := getOr(ctx, k.LastClosedHeight, 0)
	if err != nil {
		return err
	}
	if out.Height == 0 || out.Height < last || out.Height > closed {
		return errorsmod.Wrapf(types.ErrWrongHeight, "output for block %d at lane seq %d: the last settled block is %d and the last closed %d", out.Height, m.Seq, last, closed)
	}
	if err := k.LastOutputHeight.Set(ctx, out.Height); err != nil {
		return err
	}
	ctx = ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	for _, r := range out.Offline {
		if err := k.setStatus(ctx, r, types.SESSION_STATUS_COMPUTING, types.SESSION_STATUS_UNRESPONSIVE, types.EventWorkerOffline); err != nil {
			return err
		}
	}
	for _, r := range out.Recovered {
		if err := k.setStatus(ctx, r, types.SESSION_STATUS_UNRESPONSIVE, types.SESSION_STATUS_COMPUTING, types.EventWorkerRecovered); err != nil {
			return err
		}
	}
	return k.paySettlements(ctx, params, out.Settlements)
}

// setStatus moves worker r's current session from status from to status
// to, if r names it; anything else is stale.
func (k *Keeper) setStatus(ctx sdk.Context, r tokenomics.Ref, from, to types.SessionStatus, event string) error {
	sess, found, err := k.GetSession(ctx, r.Worker[:])
	if err != nil {
		return err
	}
	kind := "offline"
	if to == types.SESSION_STATUS_COMPUTING {
		kind = "recovered"
	}
	switch {
	case !found || sess.SessionId != r.Session:
		k.emitStale(ctx, kind, r.Worker[:], r.Session, "not the worker's current session")
		return nil
	case sess.Status != from:
		k.emitStale(ctx, kind, r.Worker[:], r.Session, "session is "+sess.Status.String())
		return nil
	}
	sess.Status = to
	if err := k.Sessions.Set(ctx, sess.Worker, sess); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(event,
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(sess.Worker)),
		sdk.NewAttribute(types.AttributeSession, fmt.Sprint(sess.SessionId)),
		sdk.NewAttribute(types.AttributeV, sess.V),
		sdk.NewAttribute(types.AttributeStatus, to.String())))
	return nil
}

type payout struct {
	to     sdk.AccAddress
	amount math.Int
}

// paySettlements records every current session's settlement and pays it.
// Amounts convert to base units by flooring; the treasury gets
// units(payout+treasury) − units(payout), so rounding loses nothing. The
// whole budget is minted once, the treasury's part moved once, and each
// payout sent to its operator.
func (k *Keeper) paySettlements(ctx sdk.Context, params types.Params, ss []tokenomics.Settlement) error {
	if len(ss) == 0 {
		return nil
	}
	height := ctx.BlockHeight()
	minted, treasury := math.ZeroInt(), math.ZeroInt()
	payouts := make([]payout, 0, len(ss))
	for i := range ss {
		s := &ss[i]
		sess, found, err := k.GetSession(ctx, s.Worker[:])
		if err != nil {
			return err
		}
		if !found || sess.SessionId != s.Session {
			k.emitStale(ctx, "settlement", s.Worker[:], s.Session, "settlement arriving after the session changed: nothing paid")
			continue
		}
		total, err := s.Payout.AddChecked(s.Treasury)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSettlement, "worker %x: payout %s + treasury %s: %v", s.Worker[:], s.Payout, s.Treasury, err)
		}
		totalUnits, err := total.Units(params.UnitsPerToken)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSettlement, "worker %x: %v", s.Worker[:], err)
		}
		payUnits, err := s.Payout.Units(params.UnitsPerToken)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSettlement, "worker %x: %v", s.Worker[:], err)
		}
		pay, tre := math.NewIntFromUint64(payUnits), math.NewIntFromUint64(totalUnits-payUnits)
		op, err := k.addressCodec.StringToBytes(sess.Operator)
		if err != nil {
			return fmt.Errorf("computation: session %d operator: %w", sess.SessionId, err)
		}
		sess.V = s.V.String()
		sess.TotalPaid = sess.TotalPaid.Add(pay)
		sess.LastSettlementHeight = height
		if err := k.Sessions.Set(ctx, sess.Worker, sess); err != nil {
			return err
		}
		minted = minted.Add(pay).Add(tre)
		treasury = treasury.Add(tre)
		if pay.IsPositive() {
			payouts = append(payouts, payout{to: op, amount: pay})
		}
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventSettlement,
			sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(sess.Worker)),
			sdk.NewAttribute(types.AttributeSession, fmt.Sprint(sess.SessionId)),
			sdk.NewAttribute(types.AttributeOperator, sess.Operator),
			sdk.NewAttribute(types.AttributeV, sess.V),
			sdk.NewAttribute(types.AttributePayout, sdk.NewCoin(params.Denom, pay).String()),
			sdk.NewAttribute(types.AttributeTreasury, sdk.NewCoin(params.Denom, tre).String()),
			sdk.NewAttribute(types.AttributeStatus, sess.Status.String())))
	}
	if !minted.IsPositive() {
		return nil
	}
	if err := k.bank.MintCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(params.Denom, minted))); err != nil {
		return fmt.Errorf("computation: minting %s%s: %w", minted, params.Denom, err)
	}
	if treasury.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.TreasuryName,
			sdk.NewCoins(sdk.NewCoin(params.Denom, treasury))); err != nil {
			return fmt.Errorf("computation: paying the treasury: %w", err)
		}
	}
	for _, p := range payouts {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, p.to, sdk.NewCoins(sdk.NewCoin(params.Denom, p.amount))); err != nil {
			return fmt.Errorf("computation: paying %s: %w", p.to, err)
		}
	}
	return nil
}

func (k *Keeper) emitStale(ctx sdk.Context, kind string, worker []byte, session uint64, reason string) {
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventStale,
		sdk.NewAttribute(types.AttributeKind, kind),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(worker)),
		sdk.NewAttribute(types.AttributeSession, fmt.Sprint(session)),
		sdk.NewAttribute(types.AttributeReason, reason)))
}

func requireOrigin(m protocol.Message, kind protocol.OriginKind) error {
	if m.Origin.Kind != kind {
		return errorsmod.Wrapf(types.ErrInvalidOrigin, "%s from %s", m.Topic, m.Origin)
	}
	return nil
}
