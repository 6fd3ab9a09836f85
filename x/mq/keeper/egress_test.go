package keeper_test

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestCheckEgress runs every egress rejection through CheckEgress and then
// through SyncMessages, and checks that neither changes state on rejection.
// Worker 0 has already sent seq 0 in every case, so its next seq is 1.
func TestCheckEgress(t *testing.T) {
	t.Parallel()
	w0Origin := func(f *fixture) []byte { return pub(f.workers[0]) }
	tests := []struct {
		name string
		msg  func(t *testing.T, f *fixture) types.SignedMessage
		want error
		// Gatekeeper tasks answered on reply (topicEcho if empty) are
		// allocated for every seq of the vote window, unless noTasks.
		noTasks bool
		reply   string
	}{
		{
			name: "valid worker message",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "hi"))
			},
		},
		{
			name: "first message of another worker",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[1], workerMsg(f.workers[1], 0, "hi"))
			},
		},
		{
			name: "valid gatekeeper vote",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.gks[0], gkMsg(0, "hi"))
			},
		},
		{
			name: "gatekeeper vote at the window edge",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.gks[0], gkMsg(keeper.MaxPendingGatekeeperSeqs-1, "hi"))
			},
		},
		{
			name:    "gatekeeper vote without a task",
			noTasks: true,
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.gks[0], gkMsg(0, "hi"))
			},
			want: types.ErrNoTask,
		},
		{
			name:  "gatekeeper vote on another topic than its task's reply",
			reply: topicAlt,
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.gks[0], gkMsg(0, "hi"))
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "gatekeeper vote on a worker-only topic",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				m := gkMsg(0, "hi")
				m.Topic = topicWorkerOnly
				return sign(t, testChainID, f.gks[0], m)
			},
			want: types.ErrInvalidOrigin,
		},
		{
			name: "forged signature",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				sm := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "hi"))
				sm.Signature[0] ^= 1
				return sm
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "body altered after signing",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				sm := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "hi"))
				sm.Body[len(sm.Body)-1] ^= 1
				return sm
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "signed by another key under the origin's name",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				sm := signRaw(testChainID, f.workers[1], rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, []byte("hi")))
				sm.Signer = pub(f.workers[0])
				return sm
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "signed for another chain",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, "other-chain", f.workers[0], workerMsg(f.workers[0], 1, "hi"))
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "signed for an empty chain id",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, "", f.workers[0], workerMsg(f.workers[0], 1, "hi"))
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "gatekeeper vote signed for another chain",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, "other-chain", f.gks[0], gkMsg(0, "hi"))
			},
			want: types.ErrInvalidSignature,
		},
		{
			name: "unknown worker",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.outside, workerMsg(f.outside, 0, "hi"))
			},
			want: types.ErrUnknownSender,
		},
		{
			name: "worker that is not a gatekeeper signs a gatekeeper message",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[0], gkMsg(0, "hi"))
			},
			want: types.ErrUnknownSender,
		},
		{
			name: "unregistered key signs a gatekeeper message",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.outside, gkMsg(0, "hi"))
			},
			want: types.ErrUnknownSender,
		},
		{
			name: "worker signs for another worker's origin",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[1], rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, []byte("hi")))
			},
			want: types.ErrInvalidOrigin,
		},
		{
			name: "module origin",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginModule, []byte(testModule), topicEcho, 0, []byte("hi")))
			},
			want: types.ErrInvalidOrigin,
		},
		{
			name: "cluster origin",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				id := protocol.ClusterOrigin(1).ID
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginCluster, id, topicEcho, 0, []byte("hi")))
			},
			want: types.ErrInvalidOrigin,
		},
		{
			name: "sequence gap",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 2, "hi"))
			},
			want: types.ErrSequenceGap,
		},
		{
			name: "first message not at seq 0",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[1], workerMsg(f.workers[1], 1, "hi"))
			},
			want: types.ErrSequenceGap,
		},
		{
			name: "replayed sequence",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "seq0"))
			},
			want: types.ErrStaleSequence,
		},
		{
			name: "gatekeeper vote beyond the window",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return sign(t, testChainID, f.gks[0], gkMsg(keeper.MaxPendingGatekeeperSeqs, "hi"))
			},
			want: types.ErrSequenceGap,
		},
		{
			name: "payload over the size bound",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				body := rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, make([]byte, protocol.MaxPayloadLen+1))
				return signRaw(testChainID, f.workers[0], body)
			},
			want: types.ErrPayloadTooLarge,
		},
		{
			name: "body over the message bound",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				body := rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, make([]byte, protocol.MaxMessageLen))
				return signRaw(testChainID, f.workers[0], body)
			},
			want: types.ErrPayloadTooLarge,
		},
		{
			name: "topic with upper case",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginWorker, w0Origin(f), "Test/Echo", 1, nil))
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "topic without module prefix",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginWorker, w0Origin(f), "echo", 1, nil))
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "topic with empty segment",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginWorker, w0Origin(f), "test//echo", 1, nil))
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "unrouted topic",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				m := workerMsg(f.workers[0], 1, "hi")
				m.Topic = "test/nowhere"
				return sign(t, testChainID, f.workers[0], m)
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "gatekeeper vote on an unrouted topic",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				m := gkMsg(0, "hi")
				m.Topic = "registry/endpoint"
				return sign(t, testChainID, f.gks[0], m)
			},
			want: types.ErrInvalidTopic,
		},
		{
			name: "empty body",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], nil)
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "truncated body",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				body := rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, []byte("hi"))
				return signRaw(testChainID, f.workers[0], body[:len(body)-1])
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "trailing byte",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				body := rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, []byte("hi"))
				return signRaw(testChainID, f.workers[0], append(body, 0))
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "unknown version",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				body := rawBody(protocol.OriginWorker, w0Origin(f), topicEcho, 1, []byte("hi"))
				body[0] = 2
				return signRaw(testChainID, f.workers[0], body)
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "worker origin with a short key",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				return signRaw(testChainID, f.workers[0], rawBody(protocol.OriginWorker, w0Origin(f)[:31], topicEcho, 1, nil))
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "signer of the wrong length",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				sm := sign(t, testChainID, f.gks[0], gkMsg(0, "hi"))
				sm.Signer = sm.Signer[:31]
				return sm
			},
			want: types.ErrMalformedMessage,
		},
		{
			name: "signature of the wrong length",
			msg: func(t *testing.T, f *fixture) types.SignedMessage {
				sm := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "hi"))
				sm.Signature = append(sm.Signature, 0)
				return sm
			},
			want: types.ErrMalformedMessage,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.mustSync(t, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "seq0")))
			f.handled = nil
			if !tc.noTasks {
				f.pushTasksOn(t, keeper.MaxPendingGatekeeperSeqs, cmp.Or(tc.reply, topicEcho))
			}
			sm := tc.msg(t, f)
			before := f.snapshot(t)

			// CheckEgress changes nothing, whatever its verdict.
			_, err := f.k.CheckEgress(f.ctx, sm)
			wantErrIs(t, err, tc.want)
			f.assertUnchanged(t, before)
			if tc.want == nil {
				return
			}

			resp, err := f.sync(sm)
			if tc.want == types.ErrStaleSequence {
				// Delivered by an earlier transaction: skipped, not an error.
				wantErrIs(t, err, nil)
				if resp.Skipped != 1 || resp.Accepted != 0 || resp.Voted != 0 {
					t.Errorf("response = %+v, want one skipped", resp)
				}
			} else {
				wantErrIs(t, err, tc.want)
			}
			f.assertUnchanged(t, before)
			if len(f.handled) != 0 {
				t.Errorf("handler ran for a rejected message: %v", f.handledPayloads())
			}
		})
	}
}

// TestCheckEgressGas checks that verification is metered by body size, on
// top of a fixed charge per message.
func TestCheckEgressGas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gas := func(payload string) uint64 {
		sm := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, payload))
		before := f.ctx.GasMeter().GasConsumed()
		if _, err := f.k.CheckEgress(f.ctx, sm); err != nil {
			t.Fatal(err)
		}
		return f.ctx.GasMeter().GasConsumed() - before
	}
	small, large := gas(""), gas(string(make([]byte, 1000)))
	if small < keeper.GasPerMessage {
		t.Errorf("gas of an empty message = %d, want at least %d", small, keeper.GasPerMessage)
	}
	if d := large - small; d != 1000*keeper.GasPerMessageByte {
		t.Errorf("gas for 1000 more bytes = %d, want %d", d, 1000*keeper.GasPerMessageByte)
	}
}

func TestSyncMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		maxPerTx  uint32
		submitter func(f *fixture) string
		msgs      func(t *testing.T, f *fixture) []types.SignedMessage
		want      error
		wantResp  types.MsgSyncMessagesResponse
		wantSeq   uint64 // worker 0's next seq afterwards
		wantSeen  []string
	}{
		{
			name: "empty batch",
			msgs: func(*testing.T, *fixture) []types.SignedMessage { return nil },
			want: types.ErrInvalidSubmission,
		},
		{
			name:      "invalid submitter",
			submitter: func(*fixture) string { return "cosmos1notgk" },
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				return []types.SignedMessage{sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a"))}
			},
			want: types.ErrInvalidSubmission,
		},
		{
			name:     "too many messages",
			maxPerTx: 2,
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				var out []types.SignedMessage
				for i := range 3 {
					out = append(out, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], uint64(i), "a")))
				}
				return out
			},
			want: types.ErrTooManyMessages,
		},
		{
			name:     "exactly max messages",
			maxPerTx: 2,
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				return []types.SignedMessage{
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a")),
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "b")),
				}
			},
			wantResp: types.MsgSyncMessagesResponse{Accepted: 2},
			wantSeq:  2,
			wantSeen: []string{"a", "b"},
		},
		{
			name: "in-order batch",
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				return []types.SignedMessage{
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a")),
					sign(t, testChainID, f.workers[1], workerMsg(f.workers[1], 0, "x")),
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "b")),
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 2, "c")),
				}
			},
			wantResp: types.MsgSyncMessagesResponse{Accepted: 4},
			wantSeq:  3,
			wantSeen: []string{"a", "x", "b", "c"},
		},
		{
			name: "duplicate inside a batch is skipped",
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				a := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a"))
				return []types.SignedMessage{a, a, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "b"))}
			},
			wantResp: types.MsgSyncMessagesResponse{Accepted: 2, Skipped: 1},
			wantSeq:  2,
			wantSeen: []string{"a", "b"},
		},
		{
			name: "out of order",
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				return []types.SignedMessage{
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "b")),
					sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a")),
				}
			},
			want: types.ErrSequenceGap,
		},
		{
			name: "gatekeeper votes are counted, not accepted",
			msgs: func(t *testing.T, f *fixture) []types.SignedMessage {
				return []types.SignedMessage{
					sign(t, testChainID, f.gks[0], gkMsg(0, "g")),
					sign(t, testChainID, f.gks[0], gkMsg(1, "h")),
				}
			},
			wantResp: types.MsgSyncMessagesResponse{Voted: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pushTasks(t, 2)
			if tc.maxPerTx != 0 {
				f.setParams(t, func(p *types.Params) { p.MaxMessagesPerTx = tc.maxPerTx })
			}
			if tc.submitter != nil {
				f.submitter = tc.submitter(f)
			}
			msgs := tc.msgs(t, f)
			before := f.snapshot(t)
			resp, err := f.sync(msgs...)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				if len(f.handled) != 0 {
					t.Errorf("handler ran: %v", f.handledPayloads())
				}
				return
			}
			if *resp != tc.wantResp {
				t.Errorf("response = %+v, want %+v", resp, tc.wantResp)
			}
			if got := f.nextSeq(t, protocol.WorkerOrigin(pub(f.workers[0]))); got != tc.wantSeq {
				t.Errorf("next seq = %d, want %d", got, tc.wantSeq)
			}
			if got := f.handledPayloads(); !slices.Equal(got, tc.wantSeen) {
				t.Errorf("handled %q, want %q", got, tc.wantSeen)
			}
		})
	}
}

// TestSyncMessagesReplayAcrossTransactions is the block-inclusion race: two
// relayers submit the same message; the second transaction skips it.
func TestSyncMessagesReplayAcrossTransactions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sm := sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "a"))
	if resp := f.mustSync(t, sm); resp.Accepted != 1 {
		t.Fatalf("first submission: %+v", resp)
	}
	before := f.snapshot(t)
	resp := f.mustSync(t, sm)
	if resp.Skipped != 1 || resp.Accepted != 0 {
		t.Errorf("replay: %+v, want one skipped", resp)
	}
	f.assertUnchanged(t, before)
	if got := f.handledPayloads(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("handled %q, want exactly one delivery", got)
	}
	if _, err := f.k.CheckEgress(f.ctx, sm); !isErr(err, types.ErrStaleSequence) {
		t.Errorf("CheckEgress of replay = %v, want %v", err, types.ErrStaleSequence)
	}
}

// step is one submission in a gatekeeper channel scenario.
type step struct {
	// before, if set, runs first (e.g. to change the gatekeeper set).
	before func(f *fixture)
	// gk signs gkMsg(seq, payload); -1 means the non-gatekeeper worker 0.
	gk      int
	seq     uint64
	payload string
	// wantCheck is what CheckEgress says; SyncMessages then skips the
	// message (stale, duplicate), fails with it, or succeeds.
	wantCheck error
	wantResp  types.MsgSyncMessagesResponse
}

func TestGatekeeperQuorum(t *testing.T) {
	t.Parallel()
	voted := types.MsgSyncMessagesResponse{Voted: 1}
	accepted := func(n uint32) types.MsgSyncMessagesResponse { return types.MsgSyncMessagesResponse{Accepted: n} }
	skipped := types.MsgSyncMessagesResponse{Skipped: 1}
	tests := []struct {
		name          string
		quorum        uint32
		steps         []step
		wantDelivered []string
		wantNext      uint64
	}{
		{
			name:     "a lone vote is recorded, not delivered",
			steps:    []step{{gk: 0, seq: 0, payload: "a", wantResp: voted}},
			wantNext: 0,
		},
		{
			name: "the second identical vote delivers once",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 1, seq: 0, payload: "a", wantResp: accepted(1)},
				{gk: 2, seq: 0, payload: "a", wantCheck: types.ErrStaleSequence, wantResp: skipped},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
		{
			name: "duplicate vote",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 0, seq: 0, payload: "a", wantCheck: types.ErrDuplicateVote, wantResp: skipped},
			},
			wantNext: 0,
		},
		{
			name: "conflicting vote",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 0, seq: 0, payload: "b", wantCheck: types.ErrConflictingVote},
				{gk: 1, seq: 0, payload: "b", wantResp: voted},
			},
			wantNext: 0,
		},
		{
			name: "different bodies do not reach quorum until one gets a majority",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 1, seq: 0, payload: "b", wantResp: voted},
				{gk: 2, seq: 0, payload: "b", wantResp: accepted(1)},
			},
			wantDelivered: []string{"b"},
			wantNext:      1,
		},
		{
			name: "votes ahead are held and delivered in cascade",
			steps: []step{
				{gk: 0, seq: 1, payload: "b", wantResp: voted},
				{gk: 1, seq: 1, payload: "b", wantResp: voted},
				{gk: 2, seq: 2, payload: "c", wantResp: voted},
				{gk: 0, seq: 2, payload: "c", wantResp: voted},
				{gk: 1, seq: 4, payload: "e", wantResp: voted},
				{gk: 2, seq: 4, payload: "e", wantResp: voted},
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 2, seq: 0, payload: "a", wantResp: accepted(3)},
			},
			wantDelivered: []string{"a", "b", "c"},
			wantNext:      3,
		},
		{
			name: "window is counted from the next undelivered seq",
			steps: []step{
				{gk: 0, seq: keeper.MaxPendingGatekeeperSeqs, payload: "x", wantCheck: types.ErrSequenceGap},
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 1, seq: 0, payload: "a", wantResp: accepted(1)},
				{gk: 0, seq: keeper.MaxPendingGatekeeperSeqs, payload: "x", wantResp: voted},
				{gk: 0, seq: keeper.MaxPendingGatekeeperSeqs + 1, payload: "y", wantCheck: types.ErrSequenceGap},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
		{
			name: "a non-gatekeeper's vote is refused",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: -1, seq: 0, payload: "a", wantCheck: types.ErrUnknownSender},
			},
			wantNext: 0,
		},
		{
			name: "a removed gatekeeper's vote does not count",
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{
					before: func(f *fixture) { f.senders.removeGatekeeper(pub(f.gks[0])) },
					gk:     1, seq: 0, payload: "a", wantResp: voted,
				},
				{gk: 0, seq: 0, payload: "b", wantCheck: types.ErrUnknownSender},
				{gk: 2, seq: 0, payload: "a", wantResp: accepted(1)},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
		{
			name:   "gk_quorum 3 needs all three",
			quorum: 3,
			steps: []step{
				{gk: 0, seq: 0, payload: "a", wantResp: voted},
				{gk: 1, seq: 0, payload: "a", wantResp: voted},
				{gk: 2, seq: 0, payload: "a", wantResp: accepted(1)},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
		{
			name:   "gk_quorum above a shrunk set needs every gatekeeper left",
			quorum: 3,
			steps: []step{
				{
					before: func(f *fixture) { f.senders.removeGatekeeper(pub(f.gks[2])) },
					gk:     0, seq: 0, payload: "a", wantResp: voted,
				},
				{gk: 1, seq: 0, payload: "a", wantResp: accepted(1)},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
		{
			name:   "gk_quorum 1 delivers on the first vote",
			quorum: 1,
			steps: []step{
				{gk: 2, seq: 0, payload: "a", wantResp: accepted(1)},
				{gk: 0, seq: 0, payload: "a", wantCheck: types.ErrStaleSequence, wantResp: skipped},
			},
			wantDelivered: []string{"a"},
			wantNext:      1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pushTasks(t, keeper.MaxPendingGatekeeperSeqs+2)
			if tc.quorum != 0 {
				f.setParams(t, func(p *types.Params) { p.GkQuorum = tc.quorum })
			}
			for i, s := range tc.steps {
				if s.before != nil {
					s.before(f)
				}
				key := f.workers[0]
				if s.gk >= 0 {
					key = f.gks[s.gk]
				}
				sm := sign(t, testChainID, key, gkMsg(s.seq, s.payload))
				before := f.snapshot(t)
				_, err := f.k.CheckEgress(f.ctx, sm)
				if !isErr(err, s.wantCheck) {
					t.Fatalf("step %d: CheckEgress = %v, want %v", i, err, s.wantCheck)
				}
				f.assertUnchanged(t, before)

				resp, err := f.sync(sm)
				skip := s.wantCheck == types.ErrStaleSequence || s.wantCheck == types.ErrDuplicateVote
				if s.wantCheck != nil && !skip {
					if !isErr(err, s.wantCheck) {
						t.Fatalf("step %d: SyncMessages = %v, want %v", i, err, s.wantCheck)
					}
					f.assertUnchanged(t, before)
					continue
				}
				if err != nil {
					t.Fatalf("step %d: SyncMessages: %v", i, err)
				}
				if *resp != s.wantResp {
					t.Fatalf("step %d: response = %+v, want %+v", i, resp, s.wantResp)
				}
				if skip {
					f.assertUnchanged(t, before)
				}
				if s.wantCheck == nil && countEvents(f.ctx.EventManager().Events(), types.EventVoteRecorded) != 1 {
					t.Errorf("step %d: want one %s event", i, types.EventVoteRecorded)
				}
			}
			if got := f.handledPayloads(); !slices.Equal(got, tc.wantDelivered) {
				t.Errorf("delivered %q, want %q", got, tc.wantDelivered)
			}
			for _, m := range f.handled {
				if m.Origin.Kind != protocol.OriginGatekeeper {
					t.Errorf("delivered origin %s, want gatekeeper", m.Origin)
				}
			}
			if got := f.nextSeq(t, protocol.GatekeeperOrigin()); got != tc.wantNext {
				t.Errorf("next gatekeeper seq = %d, want %d", got, tc.wantNext)
			}
			// Votes at delivered seqs are cleared; none may remain below next.
			gs, err := f.k.ExportGenesis(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range gs.Votes {
				if v.Seq < tc.wantNext {
					t.Errorf("vote of %x at delivered seq %d left in state", v.Signer, v.Seq)
				}
			}
			// So are their tasks; the others wait.
			if len(gs.Tasks) == 0 || gs.Tasks[0].Seq != tc.wantNext || gs.NextTask != keeper.MaxPendingGatekeeperSeqs+2 {
				t.Errorf("tasks %v (next %d) after delivering up to seq %d", gs.Tasks, gs.NextTask, tc.wantNext)
			}
		})
	}
}

// TestDeliverHandlerError checks that a handler's failure consumes the
// message (the sender's seq advances) but discards the handler's writes.
func TestDeliverHandlerError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		payload     string
		wantIngress uint64 // entries the handler's write left behind
		wantEvent   string
		otherEvent  string
	}{
		{name: "handler accepts", payload: "ok", wantIngress: 1, wantEvent: types.EventMessageDelivered, otherEvent: types.EventMessageRejected},
		{name: "handler fails", payload: failPayload, wantIngress: 0, wantEvent: types.EventMessageRejected, otherEvent: types.EventMessageDelivered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			origin := protocol.WorkerOrigin(pub(f.workers[0]))
			resp := f.mustSync(t, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, tc.payload)))
			if resp.Accepted != 1 {
				t.Errorf("response = %+v, want one accepted", resp)
			}
			if got := f.nextSeq(t, origin); got != 1 {
				t.Errorf("next seq = %d, want 1 (message consumed)", got)
			}
			if got := f.nextIngress(t); got != tc.wantIngress {
				t.Errorf("ingress next index = %d, want %d", got, tc.wantIngress)
			}
			events := f.ctx.EventManager().Events()
			attrs := map[string]string{types.AttributeOrigin: origin.String(), types.AttributeTopic: topicEcho, types.AttributeSeq: "0"}
			if !hasEvent(events, tc.wantEvent, attrs) {
				t.Errorf("no %s event with %v in %v", tc.wantEvent, attrs, events)
			}
			if countEvents(events, tc.otherEvent) != 0 {
				t.Errorf("unexpected %s event", tc.otherEvent)
			}
			if tc.payload == failPayload && !hasEvent(events, types.EventMessageRejected, map[string]string{types.AttributeError: "test handler: refusing payload"}) {
				t.Errorf("rejection event does not carry the handler's error: %v", events)
			}
			// The next message from the same sender goes through.
			f.mustSync(t, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 1, "next")))
			if got := f.handledPayloads(); !slices.Equal(got, []string{tc.payload, "next"}) {
				t.Errorf("handled %q", got)
			}
		})
	}
}

func TestDeliverUnroutedPanics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	defer func() {
		if recover() == nil {
			t.Error("Deliver of an unrouted topic did not panic")
		}
	}()
	f.k.Deliver(f.ctx, protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: "test/nowhere"})
}

func TestRouterAddRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		module    string
		topic     string
		wantPanic bool
	}{
		{name: "own topic", module: "test", topic: "test/other"},
		{name: "nested own topic", module: "test", topic: "test/a/b"},
		{name: "another module's topic", module: "test", topic: "registry/endpoint", wantPanic: true},
		{name: "module prefix only", module: "test", topic: "test", wantPanic: true},
		{name: "invalid topic", module: "test", topic: "test/Bad", wantPanic: true},
		{name: "duplicate", module: testModule, topic: topicEcho, wantPanic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			defer func() {
				if got := recover() != nil; got != tc.wantPanic {
					t.Errorf("panicked = %v, want %v", got, tc.wantPanic)
				}
			}()
			f.k.Router().AddRoute(tc.module, tc.topic, func(sdk.Context, protocol.Message) error { return nil })
		})
	}
}

func isErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return err != nil && errors.Is(err, want)
}

// TestGatekeeperLane: a lane is a quorum channel of its own. Its votes need
// no task, its sequence moves independently of the task channel's, it
// carries only its module's topics, and its pending votes survive a genesis
// export and import.
func TestGatekeeperLane(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lane := protocol.GatekeeperLane(testModule)
	vote := func(gk int, o protocol.Origin, seq uint64, payload string) error {
		m := protocol.Message{Origin: o, Topic: topicEcho, Seq: seq, Payload: []byte(payload)}
		_, err := f.sync(sign(t, testChainID, f.gks[gk], m))
		return err
	}
	for _, s := range []struct {
		gk      int
		seq     uint64
		payload string
	}{{0, 1, "b"}, {1, 1, "b"}, {0, 0, "a"}} {
		if err := vote(s.gk, lane, s.seq, s.payload); err != nil {
			t.Fatalf("lane vote %d@%d: %v", s.gk, s.seq, err)
		}
	}
	if got := f.handledPayloads(); len(got) != 0 {
		t.Fatalf("delivered %q before a quorum at the lane's head", got)
	}
	if err := vote(2, lane, 0, "a"); err != nil {
		t.Fatal(err)
	}
	if got := f.handledPayloads(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("delivered %q, want [a b] in lane order", got)
	}
	for _, m := range f.handled {
		if !m.Origin.Equal(lane) {
			t.Fatalf("delivered from %s, want %s", m.Origin, lane)
		}
	}
	if got := f.nextSeq(t, lane); got != 2 {
		t.Fatalf("lane next seq %d, want 2", got)
	}
	if got := f.nextSeq(t, protocol.GatekeeperOrigin()); got != 0 {
		t.Fatalf("task channel moved to %d", got)
	}
	// The task channel still wants tasks; a lane carries only its module.
	if err := vote(0, protocol.GatekeeperOrigin(), 0, "x"); !isErr(err, types.ErrNoTask) {
		t.Fatalf("task-channel vote without a task: %v", err)
	}
	if err := vote(0, protocol.GatekeeperLane("other"), 0, "x"); !isErr(err, types.ErrInvalidTopic) {
		t.Fatalf("vote on another module's lane: %v", err)
	}
	late := sign(t, testChainID, f.gks[0], protocol.Message{Origin: lane, Topic: topicEcho, Seq: 0, Payload: []byte("a")})
	if _, err := f.k.CheckEgress(f.ctx, late); !isErr(err, types.ErrStaleSequence) {
		t.Fatalf("late lane vote: %v", err)
	}
	// A pending lane vote is exported, validated and imported.
	if err := vote(1, lane, 2, "c"); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis: %v", err)
	}
	g := newFixture(t)
	if err := g.k.InitGenesis(g.ctx, gs); err != nil {
		t.Fatal(err)
	}
	g.handled = nil
	m := protocol.Message{Origin: lane, Topic: topicEcho, Seq: 2, Payload: []byte("c")}
	if _, err := g.sync(sign(t, testChainID, g.gks[2], m)); err != nil {
		t.Fatal(err)
	}
	if got := g.handledPayloads(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after import delivered %q, want [c]", got)
	}
}
