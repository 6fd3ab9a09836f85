package app_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// answerBeacons has gks[0] and gks[1] (a quorum of three) answer every
// pending beacon task, in sequence order, in one block. It returns the
// block's events.
func (n *gkNet) answerBeacons() []abci.Event {
	n.t.Helper()
	ctx := n.c.CommittedContext()
	beaconHeights := map[uint64]uint64{}
	for _, task := range tasks(n.t, n.c.Ingress(), protocol.TopicBeaconTask) {
		h, err := protocol.DecodeU64("height", task.Body)
		if err != nil {
			n.t.Fatal(err)
		}
		beaconHeights[task.Seq] = h
	}
	var sms []mqtypes.SignedMessage
	err := n.c.App.MQKeeper.Tasks.Walk(ctx, nil, func(seq uint64, reply string) (bool, error) {
		if reply != protocol.TopicBeacon {
			n.t.Fatalf("unexpected task at seq %d for %s", seq, reply)
		}
		h := beaconHeights[seq]
		payload := protocol.Beacon{Height: h, Value: bytes.Repeat([]byte{byte(h)}, protocol.BeaconLen)}.Encode()
		for _, gk := range n.gks[:2] {
			sms = append(sms, n.c.Sign(gk, protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: reply, Seq: seq, Payload: payload}))
		}
		return false, nil
	})
	if err != nil {
		n.t.Fatal(err)
	}
	if len(sms) == 0 {
		n.t.Fatal("no pending task")
	}
	return n.deliver(sms...)
}

// settle has gks[0] and gks[1] publish outs on the computation lane, at
// its next sequences, in one block. It returns the block's events.
func (n *gkNet) settle(outs ...tokenomics.Output) []abci.Event {
	n.t.Helper()
	lane := protocol.GatekeeperLane(protocol.LaneComputation)
	seq := nextSeq(n.t, n.c, n.c.CommittedContext(), lane)
	var sms []mqtypes.SignedMessage
	for i, out := range outs {
		for _, gk := range n.gks[:2] {
			sms = append(sms, n.c.Sign(gk, protocol.Message{Origin: lane, Topic: protocol.TopicSettlement, Seq: seq + uint64(i), Payload: out.Encode()}))
		}
	}
	return n.deliver(sms...)
}

// lastClosed is the height of the last block closed for the engine.
func (n *gkNet) lastClosed() uint64 {
	n.t.Helper()
	hs := closedHeights(n.t, n.c.Ingress())
	if len(hs) == 0 {
		n.t.Fatal("no block closed")
	}
	return hs[len(hs)-1]
}

func (n *gkNet) session(w *apptest.Worker) (computationtypes.Session, bool) {
	n.t.Helper()
	s, found, err := n.c.App.ComputationKeeper.GetSession(n.c.CommittedContext(), w.PublicKey())
	if err != nil {
		n.t.Fatal(err)
	}
	return s, found
}

func (n *gkNet) moduleBalance(name string) math.Int {
	return n.c.App.BankKeeper.GetBalance(n.c.CommittedContext(), authtypes.NewModuleAddress(name), app.BondDenom).Amount
}

func (n *gkNet) opBalance() math.Int {
	return balance(n.c, n.c.CommittedContext(), n.c.Accounts[0]).Amount
}

// updateComputationParams applies MsgUpdateParams as a passed governance
// proposal would and commits the block.
func (n *gkNet) updateComputationParams(p computationtypes.Params) {
	n.t.Helper()
	ctx := n.c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: n.c.App.LastBlockHeight() + 1, Time: n.c.Time})
	msg := &computationtypes.MsgUpdateParams{Authority: n.c.App.ComputationKeeper.Authority(), Params: p}
	if _, err := n.c.App.MsgServiceRouter().Handler(msg)(ctx, msg); err != nil {
		n.t.Fatalf("update computation params: %v", err)
	}
	n.c.NextBlock()
}

// closedHeights are the heights of the computation/block entries in ms.
func closedHeights(t *testing.T, ms []protocol.Message) []uint64 {
	t.Helper()
	var out []uint64
	for _, m := range ms {
		if m.Topic != protocol.TopicBlock {
			continue
		}
		blk, err := protocol.DecodeComputationBlock(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, blk.Height)
	}
	return out
}

func wkey(w *apptest.Worker) tokenomics.WorkerKey {
	var k tokenomics.WorkerKey
	copy(k[:], w.PublicKey())
	return k
}

// TestComputationSession runs computing sessions through real blocks and
// the real quorum path (the gatekeepers' computation lane): starts refused
// for each reason, escrow, blocks closed exactly while sessions exist,
// heartbeats filtered and relayed, settlements paid to the operator and the
// treasury, offline and recovered workers, bad settlements refused, a
// params change published, stop, cooldown, release, and a late settlement
// of an old session ignored.
func TestComputationSession(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 2, 2)
	c, op := n.c, n.c.Accounts[0]
	w1, w2 := n.workers[0], n.workers[1]
	start := func(signer *apptest.Account, w *apptest.Worker, amount int64) *abci.ExecTxResult {
		return n.tx(signer, &computationtypes.MsgStartComputing{Operator: signer.Address.String(), Worker: w.Hex(),
			Stake: sdk.NewInt64Coin(app.BondDenom, amount)})
	}
	const stake = 2_000_000_000 // 2000 tokens; the minimum for score 100 is 1000

	n.requireHandled(n.send(w1, protocol.TopicBenchmark, protocol.EncodeU32(100)))
	res := start(op, w1, stake)
	requireCode(t, "start before the beacon", res.Code, res.Codespace, res.Log, computationtypes.ErrNoBeacon)
	if !strings.Contains(res.Log, "wait for the gatekeepers' first beacon") {
		t.Errorf("no-beacon log %q", res.Log)
	}
	n.launch()
	for len(tasks(t, c.Ingress(), protocol.TopicBeaconTask)) == 0 {
		c.NextBlock()
	}
	n.answerBeacons()
	if _, err := c.App.GatekeeperKeeper.LatestBeacon.Get(c.CommittedContext()); err != nil {
		t.Fatalf("no beacon: %v", err)
	}

	res = start(n.owner, w1, stake)
	requireCode(t, "start by another account", res.Code, res.Codespace, res.Log, computationtypes.ErrNotOperator)
	res = start(op, w2, stake)
	requireCode(t, "start without a benchmark", res.Code, res.Codespace, res.Log, computationtypes.ErrNoBenchmark)
	res = start(op, w1, 999_999_999)
	requireCode(t, "start with too little stake", res.Code, res.Codespace, res.Log, computationtypes.ErrStakeTooLow)
	if !strings.Contains(res.Log, "minimum 1000000000stake") {
		t.Errorf("stake log %q does not name the minimum", res.Log)
	}
	n.requireHandled(n.send(w2, protocol.TopicBenchmark, protocol.EncodeU32(10)))
	res = start(op, w2, stake)
	requireCode(t, "start with a low score", res.Code, res.Codespace, res.Log, computationtypes.ErrPerformanceTooLow)
	if got := closedHeights(t, c.Ingress()); len(got) != 0 || !n.moduleBalance(computationtypes.ModuleName).IsZero() {
		t.Fatalf("blocks closed %v, escrow %s without a session", got, n.moduleBalance(computationtypes.ModuleName))
	}

	before := n.opBalance()
	mark := len(c.Ingress())
	res = start(op, w1, stake)
	requireOK(t, "start", res.Code, res.Log)
	startHeight := uint64(c.App.LastBlockHeight())
	var started computationtypes.MsgStartComputingResponse
	decodeMsgResponse(t, c, res.Data, &started)
	if got := n.opBalance(); !before.Sub(got).Equal(math.NewInt(stake+100_000)) || !n.moduleBalance(computationtypes.ModuleName).Equal(math.NewInt(stake)) {
		t.Fatalf("operator paid %s, escrow %s; want the stake %d (+ fee)", before.Sub(got), n.moduleBalance(computationtypes.ModuleName), stake)
	}
	got := n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicSessionStarted, protocol.TopicBlock}) {
		t.Fatalf("ingress after start: %q", topics(got))
	}
	ss, err := protocol.DecodeSessionStarted(got[0].Payload)
	var tok tokenomics.Fixed
	if err != nil || tok.UnmarshalBinary(ss.Stake) != nil || tok != tokenomics.FromInt(2000) || ss.Session != started.SessionId || ss.Score != 100 {
		t.Fatalf("SessionStarted %+v, %v", ss, err)
	}
	res = start(op, w1, stake)
	requireCode(t, "second start", res.Code, res.Codespace, res.Log, computationtypes.ErrAlreadyComputing)

	// Heartbeats: the chain relays only a current session's.
	id := started.SessionId
	hb := func(session, challenge uint64) []byte {
		return protocol.Heartbeat{Session: session, Challenge: challenge}.Encode()
	}
	n.requireRejected("heartbeat of a worker not computing", n.send(w2, protocol.TopicHeartbeat, hb(id, startHeight)), computationtypes.ErrNotComputing)
	n.requireRejected("heartbeat of another session", n.send(w1, protocol.TopicHeartbeat, hb(id+1, startHeight)), computationtypes.ErrWrongSession)
	mark = len(c.Ingress())
	n.requireHandled(n.send(w1, protocol.TopicHeartbeat, hb(id, startHeight+1)))
	got = n.ingressSince(mark)
	if len(got) == 0 || got[0].Topic != protocol.TopicHeartbeat ||
		!bytes.Equal(got[0].Payload, protocol.Relayed{Sender: w1.PublicKey(), Body: hb(id, startHeight+1)}.Encode()) {
		t.Fatalf("relayed heartbeat: %q", topics(got))
	}

	// A settlement through the quorum pays the operator and the treasury.
	before = n.opBalance()
	settledHeight := n.lastClosed()
	evs := n.settle(tokenomics.Output{Height: settledHeight, Settlements: []tokenomics.Settlement{{Worker: wkey(w1), Session: id,
		V: tokenomics.MustParse("2600.5"), Payout: tokenomics.MustParse("10.25"), Treasury: tokenomics.MustParse("2.5625")}}})
	if r := events(evs, mqtypes.EventMessageRejected); len(r) != 0 {
		t.Fatalf("rejected: %s", attr(r[0], mqtypes.AttributeError))
	}
	s, _ := n.session(w1)
	if paid := n.opBalance().Sub(before); !paid.Equal(math.NewInt(10_250_000)) || !n.moduleBalance(computationtypes.TreasuryName).Equal(math.NewInt(2_562_500)) {
		t.Fatalf("operator paid %s, treasury %s; want 10250000 and 2562500", paid, n.moduleBalance(computationtypes.TreasuryName))
	}
	if s.V != "2600.5" || !s.TotalPaid.Equal(math.NewInt(10_250_000)) || s.LastSettlementHeight != c.App.LastBlockHeight() || settledHeight < startHeight {
		t.Fatalf("session after settlement %+v", s)
	}
	if e := events(evs, computationtypes.EventSettlement); len(e) != 1 || attr(e[0], computationtypes.AttributePayout) != "10250000"+app.BondDenom {
		t.Fatalf("settlement events %v", e)
	}

	// Offline, then recovered.
	ref := []tokenomics.Ref{{Worker: wkey(w1), Session: id}}
	evs = n.settle(tokenomics.Output{Height: n.lastClosed(), Offline: ref})
	if s, _ := n.session(w1); s.Status != computationtypes.SESSION_STATUS_UNRESPONSIVE || len(events(evs, computationtypes.EventWorkerOffline)) != 1 {
		t.Fatalf("after offline: %s", s.Status)
	}
	n.settle(tokenomics.Output{Height: n.lastClosed(), Recovered: ref})
	if s, _ := n.session(w1); s.Status != computationtypes.SESSION_STATUS_COMPUTING {
		t.Fatalf("after recovery: %s", s.Status)
	}

	// Bad settlements: an output for a block not closed yet, or one already
	// settled, is refused by the handler; a vote from a worker that is no
	// gatekeeper, from a worker origin or on the task channel never gets
	// past CheckTx.
	before = n.opBalance()
	n.requireRejected("output for a block not closed", n.settle(tokenomics.Output{Height: n.lastClosed() + 1,
		Settlements: []tokenomics.Settlement{{Worker: wkey(w1), Session: id, V: tokenomics.One, Payout: tokenomics.FromInt(99)}}}), computationtypes.ErrWrongHeight)
	n.requireRejected("output for a block settled", n.settle(tokenomics.Output{Height: settledHeight,
		Settlements: []tokenomics.Settlement{{Worker: wkey(w1), Session: id, V: tokenomics.One, Payout: tokenomics.FromInt(99)}}}), computationtypes.ErrWrongHeight)
	if !n.opBalance().Equal(before) {
		t.Fatal("a refused settlement paid")
	}
	lane := protocol.GatekeeperLane(protocol.LaneComputation)
	payload := tokenomics.Output{Height: n.lastClosed()}.Encode()
	n.checkTx("settlement signed by a worker that is no gatekeeper", mqtypes.ErrUnknownSender,
		c.Sign(w2, protocol.Message{Origin: lane, Topic: protocol.TopicSettlement, Seq: nextSeq(t, c, c.CommittedContext(), lane), Payload: payload}))
	n.checkTx("settlement on the task channel", mqtypes.ErrNoTask,
		c.Sign(n.gks[0], protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicSettlement,
			Seq: nextSeq(t, c, c.CommittedContext(), protocol.GatekeeperOrigin()) + mqkeeper.MaxPendingGatekeeperSeqs - 1, Payload: payload}))
	n.checkTx("settlement from a worker origin", mqtypes.ErrInvalidOrigin,
		c.Sign(n.gks[0], protocol.Message{Origin: protocol.WorkerOrigin(n.gks[0].PublicKey()), Topic: protocol.TopicSettlement,
			Seq: nextSeq(t, c, c.CommittedContext(), protocol.WorkerOrigin(n.gks[0].PublicKey())), Payload: payload}))

	// A params change reaches the pRuntimes.
	p := computationtypes.DefaultParams()
	p.CooldownBlocks = 3
	p.BudgetPerBlock = "150"
	mark = len(c.Ingress())
	n.updateComputationParams(p)
	var published []tokenomics.Params
	for _, m := range n.ingressSince(mark) {
		if m.Topic == protocol.TopicComputationParams {
			var e tokenomics.Params
			if err := e.UnmarshalBinary(m.Payload); err != nil {
				t.Fatal(err)
			}
			published = append(published, e)
		}
	}
	if len(published) != 1 || published[0].BudgetPerBlock != tokenomics.FromInt(150) {
		t.Fatalf("published params %+v", published)
	}

	// Stop: the stop's block is closed, later blocks not; the final
	// settlement of the cooling-down session is paid; the stake comes back
	// after cooldown_blocks.
	res = n.tx(op, &computationtypes.MsgStopComputing{Operator: op.Address.String(), Worker: w1.Hex()})
	requireOK(t, "stop", res.Code, res.Log)
	stopHeight := c.App.LastBlockHeight()
	s, _ = n.session(w1)
	if s.Status != computationtypes.SESSION_STATUS_COOLING_DOWN || s.CooldownEndHeight != stopHeight+3 {
		t.Fatalf("stopped session %+v", s)
	}
	before = n.opBalance()
	if got := n.lastClosed(); got != uint64(stopHeight) {
		t.Fatalf("last closed block %d, want the stop's %d", got, stopHeight)
	}
	n.settle(tokenomics.Output{Height: uint64(stopHeight), Settlements: []tokenomics.Settlement{{Worker: wkey(w1), Session: id,
		V: tokenomics.FromInt(2500), Payout: tokenomics.One}}})
	if paid := n.opBalance().Sub(before); !paid.Equal(math.NewInt(1_000_000)) {
		t.Fatalf("final settlement paid %s", paid)
	}
	for c.App.LastBlockHeight() < s.CooldownEndHeight-1 {
		c.NextBlock()
	}
	if _, found := n.session(w1); !found {
		t.Fatal("stake released before the cooldown ended")
	}
	before = n.opBalance()
	c.NextBlock()
	if _, found := n.session(w1); found || !n.opBalance().Sub(before).Equal(math.NewInt(stake)) || !n.moduleBalance(computationtypes.ModuleName).IsZero() {
		t.Fatalf("release: session kept %v, operator got %s, escrow %s", found, n.opBalance().Sub(before), n.moduleBalance(computationtypes.ModuleName))
	}
	heights := closedHeights(t, c.Ingress())
	var want []uint64
	for h := startHeight; h <= uint64(stopHeight); h++ {
		want = append(want, h)
	}
	if !slices.Equal(heights, want) {
		t.Fatalf("blocks closed %v, want every height from the start to the stop %v", heights, want)
	}

	// 1.3·(stake + 0.3·100) above v_max = 30,000 tokens: refused, as the
	// reference refuses it (that stake would earn nothing), and nothing kept.
	res = start(op, w1, 23_100_000_000)
	requireCode(t, "start with an initial V above v_max", res.Code, res.Codespace, res.Log, computationtypes.ErrStakeTooHigh)
	if _, found := n.session(w1); found || !n.moduleBalance(computationtypes.ModuleName).IsZero() {
		t.Fatalf("refused start: session %v, escrow %s", found, n.moduleBalance(computationtypes.ModuleName))
	}

	// Restart: a late settlement naming the old session pays nothing.
	res = start(op, w1, stake)
	requireOK(t, "restart", res.Code, res.Log)
	decodeMsgResponse(t, c, res.Data, &started)
	if started.SessionId == id {
		t.Fatal("restart reused the session id")
	}
	before = n.opBalance()
	evs = n.settle(tokenomics.Output{Height: n.lastClosed(), Settlements: []tokenomics.Settlement{{Worker: wkey(w1), Session: id, V: tokenomics.One, Payout: tokenomics.FromInt(50)}}})
	if !n.opBalance().Equal(before) || len(events(evs, computationtypes.EventStale)) != 1 {
		t.Fatalf("old session's settlement: operator got %s, %d stale events", n.opBalance().Sub(before), len(events(evs, computationtypes.EventStale)))
	}

	// The state survives an export and re-import; the imported chain's
	// first block closes its own block.
	exp := c.Export()
	imported := c.Import(t, exp)
	var gs1, gs2 computationtypes.GenesisState
	c.App.AppCodec().MustUnmarshalJSON(computationState(t, exp.AppState), &gs1)
	c.App.AppCodec().MustUnmarshalJSON(computationState(t, imported.Export().AppState), &gs2)
	if len(gs1.Sessions) != 1 || len(gs1.Benchmarks) != 2 || gs1.LastClosedHeight == 0 || gs1.LastOutputHeight == 0 || !gs1.ParamsPublished {
		t.Fatalf("exported computation state %+v", gs1)
	}
	closed1, closed2 := gs1.LastClosedHeight, gs2.LastClosedHeight
	gs1.LastClosedHeight, gs2.LastClosedHeight = 0, 0
	if a, b := c.App.AppCodec().MustMarshalJSON(&gs1), c.App.AppCodec().MustMarshalJSON(&gs2); !bytes.Equal(a, b) {
		t.Errorf("computation state differs after import:\n%s\n%s", a, b)
	}
	if closed2 <= closed1 {
		t.Errorf("last closed block %d after import, exported %d", closed2, closed1)
	}
}

func computationState(t *testing.T, appState json.RawMessage) json.RawMessage {
	t.Helper()
	var state map[string]json.RawMessage
	if err := json.Unmarshal(appState, &state); err != nil {
		t.Fatal(err)
	}
	return state[computationtypes.ModuleName]
}

// TestComputationRoutes pins the origins each computation topic takes.
func TestComputationRoutes(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	r := c.App.MQKeeper.Router()
	for topic, gk := range map[string]bool{protocol.TopicBenchmark: false, protocol.TopicHeartbeat: false, protocol.TopicSettlement: true} {
		_, fromWorker := r.Accepts(topic, protocol.OriginWorker)
		routed, fromGK := r.Accepts(topic, protocol.OriginGatekeeper)
		if !routed || fromWorker == gk || fromGK != gk {
			t.Errorf("%s: routed %v, takes worker %v, gatekeeper %v", topic, routed, fromWorker, fromGK)
		}
	}
	for _, topic := range []string{protocol.TopicComputationParams, protocol.TopicSessionStarted, protocol.TopicSessionStopped, protocol.TopicBlock} {
		if routed, _ := r.Accepts(topic, protocol.OriginWorker); routed {
			t.Errorf("ingress topic %s is routed for egress", topic)
		}
	}
}
