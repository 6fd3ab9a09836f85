package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

const (
	// GasPerMessage is charged for each egress message (one ed25519
	// verification and a few store reads).
	GasPerMessage = 2_000
	// GasPerMessageByte is charged per byte of message body.
	GasPerMessageByte = 2
	// MaxPendingGatekeeperSeqs is how far ahead of the next undelivered
	// gatekeeper message a vote may be. Gatekeepers compute identical message
	// streams, so their relayers may batch several; a bounded window keeps
	// the vote store small.
	MaxPendingGatekeeperSeqs = 64
)

// Checked is an egress message that passed CheckEgress.
type Checked struct {
	Message protocol.Message
	Body    []byte
	Signer  []byte
}

// CheckEgress verifies sm against current state and changes nothing but the
// gas meter: the body decodes canonically, the signature verifies over the
// exact bytes for this chain, the signer may speak for the origin, the topic
// is routed, and the sequence is the next one expected (for gatekeeper votes:
// inside the pending window, at a sequence the chain allocated to a task whose
// reply topic is the message's, and not already voted by this signer).
//
// Every failure carries its own registered error; ErrStaleSequence and
// ErrDuplicateVote mean the message was already processed.
func (k *Keeper) CheckEgress(ctx sdk.Context, sm types.SignedMessage) (Checked, error) {
	chargeEgress(ctx, sm)
	return k.checkEgress(ctx, sm, sigVerify)
}

// RecheckEgress is CheckEgress without the signature verification, for the
// mempool's recheck of bytes that CheckTx verified: the signature cannot have
// changed, but the sender's sequence and standing can.
func (k *Keeper) RecheckEgress(ctx sdk.Context, sm types.SignedMessage) (Checked, error) {
	chargeEgress(ctx, sm)
	return k.checkEgress(ctx, sm, sigSkip)
}

// Batch is the egress messages of one MsgSyncMessages with their signatures
// verified ahead of the state checks, on all cores (see VerifyBatch).
type Batch struct {
	msgs     []types.SignedMessage
	verified []bool
}

// Len is the number of messages in b.
func (b Batch) Len() int { return len(b.msgs) }

// VerifyBatch charges the gas of every message in sms, then verifies their
// signatures on all cores. The verdicts are a pure function of the bytes
// (each is what CheckEgress's own verification would return), so checking
// the batch's messages in order with Check gives exactly the outcomes of
// CheckEgress one by one, including the gas: the same per-message charge,
// taken for the whole batch up front so that no verification runs unpaid.
func (k *Keeper) VerifyBatch(ctx sdk.Context, sms []types.SignedMessage) Batch {
	psms := make([]protocol.SignedMessage, len(sms))
	for i, sm := range sms {
		chargeEgress(ctx, sm)
		psms[i] = protocol.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
	}
	return Batch{msgs: sms, verified: k.sigs.verifyAll(ctx.ChainID(), psms)}
}

// Check is CheckEgress of message i of b against current state, with the
// signature verdict VerifyBatch computed and the gas it charged.
func (k *Keeper) Check(ctx sdk.Context, b Batch, i int) (Checked, error) {
	mode := sigBad
	if b.verified[i] {
		mode = sigGood
	}
	return k.checkEgress(ctx, b.msgs[i], mode)
}

// sigMode says how checkEgress settles a message's signature.
type sigMode int

const (
	sigVerify sigMode = iota // verify now (through the cache)
	sigSkip                  // verified before on these exact bytes (recheck)
	sigGood                  // VerifyBatch verified it
	sigBad                   // VerifyBatch found it invalid
)

// chargeEgress takes the gas of one egress message.
func chargeEgress(ctx sdk.Context, sm types.SignedMessage) {
	ctx.GasMeter().ConsumeGas(GasPerMessage+GasPerMessageByte*uint64(len(sm.Body)), "mq egress message")
}

func (k *Keeper) checkEgress(ctx sdk.Context, sm types.SignedMessage, sig sigMode) (Checked, error) {
	psm := protocol.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
	m, err := protocol.DecodeSigned(psm)
	if err == nil {
		if sig == sigVerify && !k.sigs.verify(ctx.ChainID(), psm) {
			sig = sigBad
		}
		if sig == sigBad {
			err = fmt.Errorf("%w: message %s seq %d", protocol.ErrBadSignature, m.Origin, m.Seq)
		}
	}
	if err != nil {
		return Checked{}, types.DecodeError(err)
	}
	switch routed, allowed := k.router.Accepts(m.Topic, m.Origin.Kind); {
	case !routed:
		return Checked{}, errorsmod.Wrapf(types.ErrInvalidTopic, "no module handles topic %q", m.Topic)
	case !allowed:
		return Checked{}, errorsmod.Wrapf(types.ErrInvalidOrigin, "topic %q does not take messages from %s", m.Topic, m.Origin)
	}
	c := Checked{Message: m, Body: sm.Body, Signer: sm.Signer}

	next, err := k.nextSeq(ctx, m.Origin)
	if err != nil {
		return Checked{}, err
	}
	switch m.Origin.Kind {
	case protocol.OriginWorker:
		ok, err := k.senders.IsWorker(ctx, sm.Signer)
		if err != nil {
			return Checked{}, err
		}
		if !ok {
			return Checked{}, errorsmod.Wrapf(types.ErrUnknownSender, "%s is not a registered worker", m.Origin)
		}
		return c, checkSeq(m, next, 0)
	case protocol.OriginGatekeeper:
		gks, err := k.senders.GatekeeperKeys(ctx)
		if err != nil {
			return Checked{}, err
		}
		if !containsKey(gks, sm.Signer) {
			return Checked{}, errorsmod.Wrapf(types.ErrUnknownSender, "signer %x is not a current gatekeeper", []byte(sm.Signer))
		}
		if err := checkSeq(m, next, MaxPendingGatekeeperSeqs-1); err != nil {
			return Checked{}, err
		}
		// After the sequence check: a delivered seq has no task any more,
		// and a late vote for it must stay "stale" (skipped), not fail.
		if lane := m.Origin.Lane(); lane == "" {
			if err := k.checkTask(ctx, m); err != nil {
				return Checked{}, err
			}
		} else if protocol.TopicModule(m.Topic) != lane {
			return Checked{}, errorsmod.Wrapf(types.ErrInvalidTopic, "gatekeeper lane %q carries only %q topics, got %q", lane, lane, m.Topic)
		}
		prev, err := k.Votes.Get(ctx, voteKey(m.Origin, m.Seq, sm.Signer))
		switch {
		case errors.Is(err, collections.ErrNotFound):
			return c, nil
		case err != nil:
			return Checked{}, err
		case bytes.Equal(prev, sm.Body):
			return Checked{}, errorsmod.Wrapf(types.ErrDuplicateVote, "gatekeeper %x at seq %d", []byte(sm.Signer), m.Seq)
		default:
			return Checked{}, errorsmod.Wrapf(types.ErrConflictingVote, "gatekeeper %x at seq %d", []byte(sm.Signer), m.Seq)
		}
	default:
		// VerifySigned admits only the two origins above.
		return Checked{}, errorsmod.Wrapf(types.ErrInvalidOrigin, "%s", m.Origin)
	}
}

// checkSeq accepts seq in [next, next+ahead].
func checkSeq(m protocol.Message, next, ahead uint64) error {
	switch {
	case m.Seq < next:
		return errorsmod.Wrapf(types.ErrStaleSequence, "%s sent seq %d, next expected %d", m.Origin, m.Seq, next)
	case m.Seq > next+ahead:
		return errorsmod.Wrapf(types.ErrSequenceGap, "%s sent seq %d, next expected %d", m.Origin, m.Seq, next)
	}
	return nil
}

// Advance records a checked message: a worker's sequence moves on and the
// message is delivered; a gatekeeper vote is stored, and every message at
// the head of its channel (the task channel or the vote's lane) that now has
// a quorum of identical signatures from current gatekeepers is delivered, in
// order. It returns the messages that are now delivered (not yet routed).
func (k *Keeper) Advance(ctx context.Context, c Checked) ([]protocol.Message, error) {
	if c.Message.Origin.Kind == protocol.OriginWorker {
		if err := k.Sequences.Set(ctx, c.Message.Origin.Key(), c.Message.Seq+1); err != nil {
			return nil, err
		}
		return []protocol.Message{c.Message}, nil
	}
	origin := c.Message.Origin
	if err := k.Votes.Set(ctx, voteKey(origin, c.Message.Seq, c.Signer), c.Body); err != nil {
		return nil, err
	}
	return k.deliverReady(ctx, origin)
}

// deliverReady delivers every message at the head of gatekeeper channel
// origin that has a quorum of identical votes from current gatekeepers,
// in order, clearing its votes (and its task on the task channel), and
// returns them (not yet routed). It is called when a vote arrives and when
// the gatekeeper set or the quorum changed (EndBlock), so a quorum reached
// by votes stored earlier is never left undelivered.
func (k *Keeper) deliverReady(ctx context.Context, origin protocol.Origin) ([]protocol.Message, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gks, err := k.senders.GatekeeperKeys(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.nextSeq(ctx, origin)
	if err != nil {
		return nil, err
	}
	var delivered []protocol.Message
	for {
		body, err := k.quorumBody(ctx, origin, next, gks, params.Quorum(len(gks)))
		if err != nil {
			return nil, err
		}
		if body == nil {
			break
		}
		m, err := protocol.DecodeMessage(body)
		if err != nil {
			return nil, fmt.Errorf("mq: stored vote at seq %d does not decode: %w", next, err)
		}
		delivered = append(delivered, m)
		if err := k.Votes.Clear(ctx, collections.NewSuperPrefixedTripleRange[[]byte, uint64, []byte](origin.Key(), next)); err != nil {
			return nil, err
		}
		if origin.Lane() == "" {
			if err := k.Tasks.Remove(ctx, next); err != nil {
				return nil, err
			}
		}
		next++
	}
	if len(delivered) > 0 {
		if err := k.Sequences.Set(ctx, origin.Key(), next); err != nil {
			return nil, err
		}
	}
	return delivered, nil
}

// voteKey is the Votes key of signer's vote at seq of gatekeeper origin o.
func voteKey(o protocol.Origin, seq uint64, signer []byte) collections.Triple[[]byte, uint64, []byte] {
	return collections.Join3(o.Key(), seq, signer)
}

// quorumBody returns the body that at least quorum current gatekeepers voted
// for at seq of origin o, or nil. Votes of removed gatekeepers do not count.
// Iteration is in key order, so the result is deterministic.
func (k *Keeper) quorumBody(ctx context.Context, o protocol.Origin, seq uint64, gks [][]byte, quorum int) ([]byte, error) {
	if len(gks) == 0 || quorum > len(gks) {
		return nil, nil
	}
	var (
		bodies [][]byte
		counts []int
	)
	err := k.Votes.Walk(ctx, collections.NewSuperPrefixedTripleRange[[]byte, uint64, []byte](o.Key(), seq), func(key collections.Triple[[]byte, uint64, []byte], body []byte) (bool, error) {
		if !containsKey(gks, key.K3()) {
			return false, nil
		}
		for i := range bodies {
			if bytes.Equal(bodies[i], body) {
				counts[i]++
				return false, nil
			}
		}
		bodies = append(bodies, body)
		counts = append(counts, 1)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	for i, n := range counts {
		if n >= quorum {
			return bodies[i], nil
		}
	}
	return nil, nil
}

// Deliver hands a delivered message to its topic's handler on a branch of
// the state and emits an event saying whether the handler accepted it: the
// branch (and the handler's events) is written if it did, dropped if not.
// The branch covers only the stores the handler opens (see branch); the
// transaction as a whole already runs on the SDK's branch.
func (k *Keeper) Deliver(ctx sdk.Context, m protocol.Message) {
	h, ok := k.router.Route(m.Topic)
	if !ok {
		// CheckEgress rejects unrouted topics; routes never change at run time.
		panic(fmt.Sprintf("mq: delivered message on unrouted topic %q", m.Topic))
	}
	br := newBranch(ctx.MultiStore())
	cached := ctx.WithMultiStore(br).WithEventManager(sdk.NewEventManager())
	attrs := []sdk.Attribute{
		sdk.NewAttribute(types.AttributeOrigin, m.Origin.String()),
		sdk.NewAttribute(types.AttributeTopic, m.Topic),
		sdk.NewAttribute(types.AttributeSeq, fmt.Sprint(m.Seq)),
	}
	if err := h(cached, m); err != nil {
		k.logger(ctx).Info("egress handler rejected message", "origin", m.Origin.String(), "topic", m.Topic, "seq", m.Seq, "err", err)
		ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMessageRejected, append(attrs, sdk.NewAttribute(types.AttributeError, err.Error()))...))
		return
	}
	br.Write()
	ctx.EventManager().EmitEvents(cached.EventManager().Events())
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMessageDelivered, attrs...))
}

// NextSequence returns the next egress sequence expected from origin.
func (k *Keeper) nextSeq(ctx context.Context, o protocol.Origin) (uint64, error) {
	n, err := k.Sequences.Get(ctx, o.Key())
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

func containsKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}
