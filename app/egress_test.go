package app_test

import (
	"bytes"
	"testing"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestEgressAnteRejects sends each kind of bad egress input through CheckTx
// of the real ante chain: each is rejected with its own registered x/mq code,
// before the fee is taken, and leaves the check state exactly as it was.
func TestEgressAnteRejects(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 2)
	op, relayer := c.Accounts[0], c.Accounts[1]
	w := c.RegisterWorker(op)
	stranger := c.NewWorker(op) // attested but never registered

	delivered := c.Sign(w, endpointMsg(w, 0))
	res := c.NextBlock(c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, delivered)))
	requireOK(t, "deliver seq 0", res[0].Code, res[0].Log)
	origin := protocol.WorkerOrigin(w.PublicKey())
	if n := nextSeq(t, c, c.CommittedContext(), origin); n != 1 {
		t.Fatalf("next seq after delivery = %d, want 1", n)
	}

	id := []byte(w.PublicKey())
	fresh := c.Sign(w, endpointMsg(w, 1))
	tests := []struct {
		name string
		msgs []mqtypes.SignedMessage
		want *errorsmod.Error
	}{
		{"forged signature", []mqtypes.SignedMessage{func() mqtypes.SignedMessage {
			sm := c.Sign(w, endpointMsg(w, 1))
			sm.Signature = bytes.Clone(sm.Signature)
			sm.Signature[0] ^= 1
			return sm
		}()}, mqtypes.ErrInvalidSignature},
		{"signed for another chain", []mqtypes.SignedMessage{
			signRaw(w, "other-chain-1", fresh.Body),
		}, mqtypes.ErrInvalidSignature},
		{"signer is not the origin", []mqtypes.SignedMessage{
			signRaw(stranger, apptest.ChainID, fresh.Body),
		}, mqtypes.ErrInvalidOrigin},
		{"module origin from outside", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, rawMessage(1, byte(protocol.OriginModule), []byte("registry"), protocol.TopicWorkerEndpoint, 1, 3, []byte("x:y"))),
		}, mqtypes.ErrInvalidOrigin},
		{"unknown sender", []mqtypes.SignedMessage{
			c.Sign(stranger, endpointMsg(stranger, 0)),
		}, mqtypes.ErrUnknownSender},
		{"sequence gap", []mqtypes.SignedMessage{
			c.Sign(w, endpointMsg(w, 2)),
		}, mqtypes.ErrSequenceGap},
		{"replayed sequence", []mqtypes.SignedMessage{delivered}, mqtypes.ErrStaleSequence},
		{"replayed within one tx", []mqtypes.SignedMessage{fresh, fresh}, mqtypes.ErrStaleSequence},
		{"valid message then a gap", []mqtypes.SignedMessage{fresh, c.Sign(w, endpointMsg(w, 3))}, mqtypes.ErrSequenceGap},
		{"payload over size bound", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, rawMessage(1, byte(protocol.OriginWorker), id, protocol.TopicWorkerEndpoint, 1,
				protocol.MaxPayloadLen+1, make([]byte, protocol.MaxPayloadLen+1))),
		}, mqtypes.ErrPayloadTooLarge},
		{"body over size bound", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, append(bytes.Clone(fresh.Body), make([]byte, protocol.MaxMessageLen)...)),
		}, mqtypes.ErrPayloadTooLarge},
		{"topic with bad syntax", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, rawMessage(1, byte(protocol.OriginWorker), id, "Registry/Endpoint", 1, 3, []byte("x:y"))),
		}, mqtypes.ErrInvalidTopic},
		{"topic without module", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, rawMessage(1, byte(protocol.OriginWorker), id, "endpoint", 1, 3, []byte("x:y"))),
		}, mqtypes.ErrInvalidTopic},
		{"unrouted topic", []mqtypes.SignedMessage{
			c.Sign(w, protocol.Message{Origin: origin, Topic: "registry/no_such_topic", Seq: 1, Payload: []byte("x")}),
		}, mqtypes.ErrInvalidTopic},
		{"body with trailing byte", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, append(bytes.Clone(fresh.Body), 0)),
		}, mqtypes.ErrMalformedMessage},
		{"truncated body", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, fresh.Body[:len(fresh.Body)-1]),
		}, mqtypes.ErrMalformedMessage},
		{"unknown body version", []mqtypes.SignedMessage{
			signRaw(w, apptest.ChainID, rawMessage(2, byte(protocol.OriginWorker), id, protocol.TopicWorkerEndpoint, 1, 3, []byte("x:y"))),
		}, mqtypes.ErrMalformedMessage},
		{"short signer key", []mqtypes.SignedMessage{{Body: fresh.Body, Signer: fresh.Signer[:31], Signature: fresh.Signature}}, mqtypes.ErrMalformedMessage},
		{"empty batch", nil, mqtypes.ErrInvalidSubmission},
		{"too many messages in one tx", func() []mqtypes.SignedMessage {
			sms := make([]mqtypes.SignedMessage, mqtypes.DefaultMaxMessagesPerTx+1)
			for i := range sms {
				sms[i] = fresh
			}
			return sms
		}(), mqtypes.ErrTooManyMessages},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Subtests share the chain, so they run in order: each must leave
			// the check state as it found it for the next.
			before := viewOf(t, c, c.Context(), relayer)
			res := c.CheckTx(c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, tc.msgs...)))
			relayer.Seq--
			requireCode(t, "CheckTx", res.Code, res.Codespace, res.Log, tc.want)
			requireSameView(t, "check state", before, viewOf(t, c, c.Context(), relayer))
			if n := nextSeq(t, c, c.Context(), origin); n != 1 {
				t.Fatalf("next seq = %d, want 1", n)
			}
		})
	}

	// The fresh message still goes through after all that.
	tx := c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, fresh))
	requireOK(t, "CheckTx fresh", c.CheckTx(tx).Code, "")
	res = c.NextBlock(tx)
	requireOK(t, "deliver fresh", res[0].Code, res[0].Log)
	if n := nextSeq(t, c, c.CommittedContext(), origin); n != 2 {
		t.Fatalf("next seq = %d, want 2", n)
	}
}

// TestEgressCheckStateAdvances shows that CheckTx records sequence advances
// in the check state: a relayer can submit a worker's seq 0 and then seq 1 in
// two transactions before either is in a block, and a batch of consecutive
// messages passes in one transaction. Blocks then deliver every message once.
func TestEgressCheckStateAdvances(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 3)
	op, relayer, relayer2 := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	w1, w2 := c.RegisterWorker(op), c.RegisterWorker(op)
	o1, o2 := protocol.WorkerOrigin(w1.PublicKey()), protocol.WorkerOrigin(w2.PublicKey())

	// Two consecutive transactions, one message each.
	tx0 := c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, c.Sign(w1, endpointMsg(w1, 0))))
	tx1 := c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, c.Sign(w1, endpointMsg(w1, 1))))
	requireOK(t, "CheckTx seq 0", c.CheckTx(tx0).Code, "")
	if n := nextSeq(t, c, c.Context(), o1); n != 1 {
		t.Fatalf("check state next seq = %d, want 1", n)
	}
	if n := nextSeq(t, c, c.CommittedContext(), o1); n != 0 {
		t.Fatalf("committed next seq = %d, want 0 before any block", n)
	}
	requireOK(t, "CheckTx seq 1", c.CheckTx(tx1).Code, "")
	// Another relayer racing with the same message is now stale in CheckTx.
	res := c.CheckTx(c.Tx(relayer2, 100_000, apptest.SyncMsg(relayer2, c.Sign(w1, endpointMsg(w1, 1)))))
	relayer2.Seq--
	requireCode(t, "second relayer", res.Code, res.Codespace, res.Log, mqtypes.ErrStaleSequence)

	// A batch [0,1,2] in one transaction.
	batch := c.Tx(relayer2, 100_000, apptest.SyncMsg(relayer2,
		c.Sign(w2, endpointMsg(w2, 0)), c.Sign(w2, endpointMsg(w2, 1)), c.Sign(w2, endpointMsg(w2, 2))))
	requireOK(t, "CheckTx batch", c.CheckTx(batch).Code, "")
	if n := nextSeq(t, c, c.Context(), o2); n != 3 {
		t.Fatalf("check state next seq = %d, want 3", n)
	}

	results := c.NextBlock(tx0, tx1, batch)
	delivered := 0
	for _, r := range results {
		requireOK(t, "deliver", r.Code, r.Log)
		delivered += len(events(r.Events, mqtypes.EventMessageDelivered))
	}
	if delivered != 5 {
		t.Fatalf("%d messages delivered, want 5", delivered)
	}
	ctx := c.CommittedContext()
	if n := nextSeq(t, c, ctx, o1); n != 2 {
		t.Fatalf("worker 1 next seq = %d, want 2", n)
	}
	if n := nextSeq(t, c, ctx, o2); n != 3 {
		t.Fatalf("worker 2 next seq = %d, want 3", n)
	}
}
