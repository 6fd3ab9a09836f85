package app_test

import (
	"bytes"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestGatekeeperQuorum runs the gatekeeper channel of a set of three
// (default quorum: two) through real blocks, on a test route added to the mq
// router before genesis (apptest.Options.Routes) and answering tasks the
// test allocates.
func TestGatekeeperQuorum(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 4, Routes: []apptest.Route{rec.route()}})
	op, r1, r2, r3 := c.Accounts[0], c.Accounts[1], c.Accounts[2], c.Accounts[3]
	gk1, gk2, gk3 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	c.AddGatekeepers(gk1, gk2, gk3)
	gkOrigin := protocol.GatekeeperOrigin()
	if seqs := pushTestTasks(c, 3); seqs[0] != 0 || seqs[2] != 2 {
		t.Fatalf("tasks at seqs %v, want 0-2", seqs)
	}

	// voteTx is gk's vote on body at seq, submitted by its own relayer.
	voteTx := func(relayer *apptest.Account, gk *apptest.Worker, seq uint64, payload string) []byte {
		return c.Tx(relayer, 0, apptest.SyncMsg(relayer, c.Sign(gk, gkMsg(seq, payload))))
	}
	// One gatekeeper's vote is recorded, not delivered.
	tx := voteTx(r1, gk1, 0, "settle block 10")
	requireOK(t, "CheckTx gk1", c.CheckTx(tx).Code, "")
	res := c.NextBlock(tx)
	requireOK(t, "deliver gk1", res[0].Code, res[0].Log)
	if n := len(events(res[0].Events, mqtypes.EventVoteRecorded)); n != 1 {
		t.Fatalf("%d vote events, want 1", n)
	}
	if n := len(events(res[0].Events, mqtypes.EventMessageDelivered)); n != 0 || len(rec.got) != 0 {
		t.Fatalf("a lone vote was delivered (%d events, %d handled)", n, len(rec.got))
	}
	ctx := c.CommittedContext()
	if n := nextSeq(t, c, ctx, gkOrigin); n != 0 {
		t.Fatalf("gatekeeper next seq = %d after a lone vote, want 0", n)
	}
	if n := countVotes(t, c, ctx); n != 1 {
		t.Fatalf("%d votes stored, want 1", n)
	}

	// The same gatekeeper again is a duplicate, not a second vote.
	dup := c.CheckTx(voteTx(r1, gk1, 0, "settle block 10"))
	r1.Seq--
	requireCode(t, "gk1 again", dup.Code, dup.Codespace, dup.Log, mqtypes.ErrDuplicateVote)

	// A second, identical vote in a later block delivers exactly once.
	tx = voteTx(r2, gk2, 0, "settle block 10")
	requireOK(t, "CheckTx gk2", c.CheckTx(tx).Code, "")
	res = c.NextBlock(tx)
	requireOK(t, "deliver gk2", res[0].Code, res[0].Log)
	requireDelivered(t, res[0].Events, 0)
	if len(rec.got) != 1 || !bytes.Equal(rec.got[0].Payload, []byte("settle block 10")) || rec.got[0].Seq != 0 {
		t.Fatalf("handler saw %+v, want the seq 0 message once", rec.got)
	}
	ctx = c.CommittedContext()
	if n := nextSeq(t, c, ctx, gkOrigin); n != 1 {
		t.Fatalf("gatekeeper next seq = %d, want 1", n)
	}
	if n := countVotes(t, c, ctx); n != 0 {
		t.Fatalf("%d votes left after delivery, want 0", n)
	}

	// The third gatekeeper's vote afterwards is stale, rejected in CheckTx.
	before := viewOf(t, c, c.Context(), r3)
	stale := c.CheckTx(voteTx(r3, gk3, 0, "settle block 10"))
	r3.Seq--
	requireCode(t, "gk3 after delivery", stale.Code, stale.Codespace, stale.Log, mqtypes.ErrStaleSequence)
	requireSameView(t, "check state", before, viewOf(t, c, c.Context(), r3))

	// One gatekeeper cannot forge a message: gk1 signs something else at
	// seq 1, cannot change its mind, and the two honest ones decide.
	tx = voteTx(r1, gk1, 1, "forged payout")
	requireOK(t, "CheckTx gk1 forged", c.CheckTx(tx).Code, "")
	requireOK(t, "deliver gk1 forged", c.NextBlock(tx)[0].Code, "")
	conflict := c.CheckTx(voteTx(r1, gk1, 1, "settle block 11"))
	r1.Seq--
	requireCode(t, "gk1 changes its vote", conflict.Code, conflict.Codespace, conflict.Log, mqtypes.ErrConflictingVote)
	tx = voteTx(r2, gk2, 1, "settle block 11")
	requireOK(t, "CheckTx gk2 seq 1", c.CheckTx(tx).Code, "")
	res = c.NextBlock(tx)
	if len(events(res[0].Events, mqtypes.EventMessageDelivered)) != 0 {
		t.Fatal("two different bodies at one seq reached quorum")
	}
	tx = voteTx(r3, gk3, 1, "settle block 11")
	requireOK(t, "CheckTx gk3 seq 1", c.CheckTx(tx).Code, "")
	res = c.NextBlock(tx)
	requireDelivered(t, res[0].Events, 1)
	if len(rec.got) != 2 || string(rec.got[1].Payload) != "settle block 11" {
		t.Fatalf("handler saw %+v, want the honest seq 1 message", rec.got)
	}

	// Two votes that reach a block together (from two nodes' mempools, so
	// neither CheckTx saw the other) deliver once; the late one is skipped.
	tx = voteTx(r1, gk1, 2, "settle block 12")
	requireOK(t, "deliver gk1 seq 2", c.NextBlock(tx)[0].Code, "")
	results := c.NextBlock(voteTx(r2, gk2, 2, "settle block 12"), voteTx(r3, gk3, 2, "settle block 12"))
	var all []abci.Event
	for _, r := range results {
		requireOK(t, "deliver seq 2", r.Code, r.Log)
		all = append(all, r.Events...)
	}
	requireDelivered(t, all, 2)
	if len(rec.got) != 3 {
		t.Fatalf("handler ran %d times, want 3", len(rec.got))
	}
	var resp mqtypes.MsgSyncMessagesResponse
	decodeMsgResponse(t, c, results[1].Data, &resp)
	if resp.Skipped != 1 || resp.Accepted != 0 {
		t.Fatalf("late vote: %+v, want skipped 1", resp)
	}
	if n := nextSeq(t, c, c.CommittedContext(), gkOrigin); n != 3 {
		t.Fatalf("gatekeeper next seq = %d, want 3", n)
	}
}

// requireDelivered fails unless evs hold exactly one delivery, of the
// gatekeeper message on testTopic at seq.
func requireDelivered(t *testing.T, evs []abci.Event, seq uint64) {
	t.Helper()
	d := events(evs, mqtypes.EventMessageDelivered)
	if len(d) != 1 {
		t.Fatalf("%d %s events, want 1", len(d), mqtypes.EventMessageDelivered)
	}
	if got := attr(d[0], mqtypes.AttributeOrigin); got != "gatekeeper" {
		t.Errorf("delivered origin %q", got)
	}
	if got := attr(d[0], mqtypes.AttributeTopic); got != testTopic {
		t.Errorf("delivered topic %q", got)
	}
	if got := attr(d[0], mqtypes.AttributeSeq); got != fmt.Sprint(seq) {
		t.Errorf("delivered seq %q, want %d", got, seq)
	}
}

// countVotes returns how many gatekeeper votes are stored.
func countVotes(t *testing.T, c *apptest.Chain, ctx sdk.Context) int {
	t.Helper()
	gs, err := c.App.MQKeeper.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(gs.Votes)
}

// decodeMsgResponse decodes the only Msg response in a tx result's data.
func decodeMsgResponse(t *testing.T, c *apptest.Chain, data []byte, resp interface{ Unmarshal([]byte) error }) {
	t.Helper()
	var txData sdk.TxMsgData
	if err := c.App.AppCodec().Unmarshal(data, &txData); err != nil {
		t.Fatal(err)
	}
	if len(txData.MsgResponses) != 1 {
		t.Fatalf("%d msg responses, want 1", len(txData.MsgResponses))
	}
	if err := resp.Unmarshal(txData.MsgResponses[0].Value); err != nil {
		t.Fatal(err)
	}
}
