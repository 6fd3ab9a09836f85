package app_test

import (
	"errors"
	"fmt"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// The gatekeeper channel must not stall for good when its quorum becomes
// reachable without a new vote: the live gatekeepers have filled the vote
// window (so no further vote can arrive) and governance then removes a dead
// gatekeeper or lowers gk_quorum. The stored votes must be delivered, in
// order, at the end of that block.

// TestGatekeeperQuorumStallRemoval: four gatekeepers (majority: three), two
// of them dead. The two live ones fill the whole vote window; governance
// removes one dead gatekeeper (majority of three: two) and every stored
// message is delivered in order.
func TestGatekeeperQuorumStallRemoval(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 3, Routes: []apptest.Route{rec.route()}})
	op, r1, r2 := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	gk1, gk2, gk3, gk4 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	c.AddGatekeepers(gk1, gk2, gk3, gk4)
	window := mqkeeper.MaxPendingGatekeeperSeqs
	pushTasksInOneBlock(t, c, window+1)

	fillWindow(t, c, window, voter{r1, gk1}, voter{r2, gk2})
	if len(rec.got) != 0 {
		t.Fatalf("%d messages delivered with 2 votes of 4", len(rec.got))
	}
	// The window is full: the live gatekeepers cannot vote any further.
	gap := c.CheckTx(c.Tx(r1, 0, apptest.SyncMsg(r1, c.Sign(gk1, gkMsg(uint64(window), "settle 64")))))
	r1.Seq--
	requireCode(t, "vote past the window", gap.Code, gap.Codespace, gap.Log, mqtypes.ErrSequenceGap)

	c.RemoveGatekeepers(gk4) // the end of this block delivers
	requireDeliveredInOrder(t, c, rec, window)

	// The channel moves on: the next seq takes votes again.
	tx := c.Tx(r1, 0, apptest.SyncMsg(r1, c.Sign(gk1, gkMsg(uint64(window), "settle 64"))))
	requireOK(t, "CheckTx vote after recheck", c.CheckTx(tx).Code, "")
	requireOK(t, "vote after recheck", c.NextBlock(tx)[0].Code, "")
}

// TestGatekeeperQuorumStallGovernance: gk_quorum 3 in a set of three, one
// dead. A gk_quorum above the set is refused with ErrQuorumUnreachable and
// stores nothing; lowering gk_quorum to 2 delivers the stored votes. Then a
// set change makes a stored gk_quorum unreachable: it is clamped to the whole
// set with mq_gk_quorum_clamped, and applies again when the set grows back.
func TestGatekeeperQuorumStallGovernance(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 3, Routes: []apptest.Route{rec.route()}})
	op, r1, r2 := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	gk1, gk2, gk3 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	c.AddGatekeepers(gk1, gk2, gk3)
	setQuorum := func(q uint32) error {
		p := mqtypes.DefaultParams()
		p.GkQuorum = q
		return govExec(c, &mqtypes.MsgUpdateParams{Authority: c.App.MQKeeper.Authority(), Params: p})
	}
	if err := setQuorum(3); err != nil {
		t.Fatalf("gk_quorum 3 of 3: %v", err)
	}
	window := mqkeeper.MaxPendingGatekeeperSeqs
	pushTasksInOneBlock(t, c, window+2)
	fillWindow(t, c, window, voter{r1, gk1}, voter{r2, gk2})
	if len(rec.got) != 0 {
		t.Fatalf("%d messages delivered with 2 votes of gk_quorum 3", len(rec.got))
	}

	// A quorum no set of three can reach is refused and stores nothing.
	before := mqState(t, c)
	if err := setQuorum(4); !errors.Is(err, mqtypes.ErrQuorumUnreachable) {
		t.Fatalf("gk_quorum 4 of 3: %v, want %v", err, mqtypes.ErrQuorumUnreachable)
	}
	if after := mqState(t, c); after != before {
		t.Fatalf("a refused params update changed x/mq state:\nbefore %s\nafter  %s", before, after)
	}

	// Lowering the quorum delivers what is stored, at the end of that block.
	if err := setQuorum(2); err != nil {
		t.Fatalf("gk_quorum 2: %v", err)
	}
	requireDeliveredInOrder(t, c, rec, window)

	// gk_quorum 3 again, then gk3 (dead) is removed: the set of two cannot
	// reach 3, so both must sign; the event says so and the vote of two
	// stored before the removal is delivered.
	if err := setQuorum(3); err != nil {
		t.Fatalf("gk_quorum 3 again: %v", err)
	}
	seq := uint64(window)
	vote(t, c, r1, gk1, seq)
	vote(t, c, r2, gk2, seq)
	if len(rec.got) != window {
		t.Fatalf("seq %d delivered with 2 votes of gk_quorum 3", seq)
	}
	c.RemoveGatekeepers(gk3)
	clamped := events(c.BlockEvents, mqtypes.EventQuorumClamped)
	if len(clamped) != 1 || attr(clamped[0], mqtypes.AttributeGkQuorum) != "3" ||
		attr(clamped[0], mqtypes.AttributeGatekeepers) != "2" || attr(clamped[0], mqtypes.AttributeQuorum) != "2" {
		t.Fatalf("end-block events %v, want one %s with gk_quorum 3, gatekeepers 2, quorum 2", c.BlockEvents, mqtypes.EventQuorumClamped)
	}
	if len(rec.got) != window+1 || rec.got[window].Seq != seq {
		t.Fatalf("after the removal the handler saw %d messages, want %d", len(rec.got), window+1)
	}
	if p, err := c.App.MQKeeper.GetParams(c.CommittedContext()); err != nil || p.GkQuorum != 3 {
		t.Fatalf("stored gk_quorum %d (%v), want 3 kept", p.GkQuorum, err)
	}
	// The clamp is reported once, not every block.
	c.NextBlock()
	if n := len(events(c.BlockEvents, mqtypes.EventQuorumClamped)); n != 0 {
		t.Fatalf("%d clamp events in a block that changed nothing", n)
	}

	// With gk3 back, gk_quorum 3 applies again: two votes do not deliver.
	c.AddGatekeepers(gk3)
	vote(t, c, r1, gk1, seq+1)
	vote(t, c, r2, gk2, seq+1)
	if len(rec.got) != window+1 {
		t.Fatal("two votes delivered after the set grew back to gk_quorum")
	}
}

// pushTasksInOneBlock allocates n gatekeeper tasks answered on testTopic in
// one block, as a module would, and commits it.
func pushTasksInOneBlock(t *testing.T, c *apptest.Chain, n int) {
	t.Helper()
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	for i := range n {
		if _, err := c.App.MQKeeper.PushGatekeeperTask(ctx, testModule, testTaskTopic, testTopic, []byte{byte(i)}); err != nil {
			t.Fatalf("push task %d: %v", i, err)
		}
	}
	c.NextBlock()
}

// voter is a gatekeeper and the relayer account that submits its votes.
type voter struct {
	relayer *apptest.Account
	gk      *apptest.Worker
}

// fillWindow has each voter vote on seqs 0..n-1, one transaction each.
func fillWindow(t *testing.T, c *apptest.Chain, n int, voters ...voter) {
	t.Helper()
	for _, v := range voters {
		var sms []mqtypes.SignedMessage
		for seq := range uint64(n) {
			sms = append(sms, c.Sign(v.gk, gkMsg(seq, payloadAt(seq))))
		}
		res := c.NextBlock(c.Tx(v.relayer, 0, apptest.SyncMsg(v.relayer, sms...)))
		requireOK(t, "fill the vote window", res[0].Code, res[0].Log)
	}
	if got := countVotes(t, c, c.CommittedContext()); got != n*len(voters) {
		t.Fatalf("%d votes stored, want %d", got, n*len(voters))
	}
}

// vote submits gk's vote at seq in its own block.
func vote(t *testing.T, c *apptest.Chain, relayer *apptest.Account, gk *apptest.Worker, seq uint64) {
	t.Helper()
	res := c.NextBlock(c.Tx(relayer, 0, apptest.SyncMsg(relayer, c.Sign(gk, gkMsg(seq, payloadAt(seq))))))
	requireOK(t, fmt.Sprintf("vote seq %d", seq), res[0].Code, res[0].Log)
}

func payloadAt(seq uint64) string { return fmt.Sprintf("settle %d", seq) }

// requireDeliveredInOrder fails unless the handler saw exactly seqs 0..n-1
// in order with their payloads, and the channel's votes are gone.
func requireDeliveredInOrder(t *testing.T, c *apptest.Chain, rec *recorder, n int) {
	t.Helper()
	if len(rec.got) != n {
		t.Fatalf("handler saw %d messages, want the %d stored ones", len(rec.got), n)
	}
	for i, m := range rec.got {
		if m.Seq != uint64(i) || string(m.Payload) != payloadAt(uint64(i)) {
			t.Fatalf("delivery %d is seq %d %q, want seq %d in order", i, m.Seq, m.Payload, i)
		}
	}
	ctx := c.CommittedContext()
	if got := nextSeq(t, c, ctx, protocol.GatekeeperOrigin()); got != uint64(n) {
		t.Fatalf("gatekeeper next seq %d, want %d", got, n)
	}
	if got := countVotes(t, c, ctx); got != 0 {
		t.Fatalf("%d votes left after delivery", got)
	}
}

// govExec runs msg as a passed governance proposal does: from the gov
// authority, in a cached context written only on success, then commits the
// block.
func govExec(c *apptest.Chain, msg sdk.Msg) error {
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	cached, write := ctx.CacheContext()
	_, err := c.App.MsgServiceRouter().Handler(msg)(cached, msg)
	if err == nil {
		write()
	}
	c.NextBlock()
	return err
}

// mqState is the committed x/mq state as exported genesis JSON.
func mqState(t *testing.T, c *apptest.Chain) string {
	t.Helper()
	gs, err := c.App.MQKeeper.ExportGenesis(c.CommittedContext())
	if err != nil {
		t.Fatal(err)
	}
	return string(c.App.AppCodec().MustMarshalJSON(gs))
}
