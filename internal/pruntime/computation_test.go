package pruntime

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// busyParams challenges every worker every block, so that tests see
// heartbeats and settlements at once.
func busyParams(t testing.TB) []byte {
	t.Helper()
	p := tokenomics.DefaultParams()
	p.ExpectedHeartbeatCount = 1_000
	p.MaxHeartbeatsPerWorkerHour = 3_600_000
	p.BlockTimeMs = 1_000
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sessionStarted(n *testNode, session uint64) protocol.Message {
	stake := tokenomics.FromInt(20_000)
	sb, _ := stake.MarshalBinary()
	return ingressMsg(protocol.TopicSessionStarted, protocol.SessionStarted{
		Worker: n.id(), Session: session, Score: 1_000, Level: 1, Stake: sb,
	}.Encode())
}

// closeBlock is the chain's computation/block for height, one second per
// block.
func closeBlock(height uint64) protocol.Message {
	seed := bytes.Repeat([]byte{byte(height)}, 32)
	body := protocol.ComputationBlock{Height: height, Time: height * 1000, Seed: seed}.Encode()
	return protocol.Message{Origin: protocol.ModuleOrigin("computation"), Topic: protocol.TopicBlock, Payload: body}
}

func compIngress(topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.ModuleOrigin("computation"), Topic: topic, Payload: payload}
}

// A computing worker answers its challenges; live gatekeepers publish the
// engine's non-empty outputs on the computation lane, numbered in order,
// byte-identical to an independent engine run on the same blocks, including
// a gatekeeper that queued them before going live; quiet blocks publish
// nothing.
func TestComputationRole(t *testing.T) {
	t.Parallel()
	a, b, w := newTestNode(t), newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	params := compIngress(protocol.TopicComputationParams, busyParams(t))
	b.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, b.id()), ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()))

	// Block 10: w starts computing. Block 11: w's heartbeat for block 10.
	block10 := []protocol.Message{params, sessionStarted(w, 1), closeBlock(10)}
	for _, n := range []*testNode{a, b, w} {
		n.mustApply(block10...)
	}
	if got := w.r.Info().Session; got != 1 {
		t.Fatalf("worker session %d, want 1", got)
	}
	hb := w.takeOne(protocol.TopicHeartbeat)
	h, err := protocol.DecodeHeartbeat(hb.Payload)
	if err != nil || h.Session != 1 || h.Challenge != 10 {
		t.Fatalf("heartbeat %+v, %v", h, err)
	}
	block11 := []protocol.Message{compIngress(protocol.TopicHeartbeat, protocol.Relayed{Sender: w.id(), Body: hb.Payload}.Encode()), closeBlock(11)}
	stop := []protocol.Message{compIngress(protocol.TopicSessionStopped, protocol.SessionRef{Worker: w.id(), Session: 1}.Encode()), closeBlock(12)}
	for _, n := range []*testNode{a, b, w} {
		n.mustApply(block11...)
		n.mustApply(stop...)
	}
	if w.r.Info().Session != 0 {
		t.Fatal("session still running after stop")
	}

	// The reference: the engine alone on the same blocks.
	p := tokenomics.DefaultParams()
	if err := p.UnmarshalBinary(busyParams(t)); err != nil {
		t.Fatal(err)
	}
	var wk tokenomics.WorkerKey
	copy(wk[:], w.id())
	st := tokenomics.NewState(9)
	var want [][]byte
	for _, blk := range []tokenomics.Block{
		{Height: 10, Started: []tokenomics.Start{{Worker: wk, Session: 1, P: 1_000, Level: 1, Stake: tokenomics.FromInt(20_000)}}},
		{Height: 11, Heartbeats: []tokenomics.Heartbeat{{Worker: wk, Session: 1, Challenge: 10, Iterations: h.Iterations}}},
		{Height: 12, Stopped: []tokenomics.Stop{{Worker: wk, Session: 1}}},
	} {
		blk.Time = blk.Height * 1000
		copy(blk.Seed[:], bytes.Repeat([]byte{byte(blk.Height)}, 32))
		out, rej, err := st.Apply(p, blk)
		if err != nil || len(rej) != 0 {
			t.Fatalf("reference block %d: %v %v", blk.Height, err, rej)
		}
		if blk.Height == 10 {
			if !out.Empty() {
				t.Fatalf("a start's block has output %+v", out)
			}
			continue // nothing to report: nothing published
		}
		want = append(want, out.Encode())
	}
	if out, _ := tokenomics.DecodeOutput(want[0]); len(out.Settlements) != 1 || out.Settlements[0].Payout.IsZero() {
		t.Fatalf("the heartbeat did not settle a payout: %+v", out)
	}

	// a is live: it published both blocks. b queued them and publishes the
	// same bytes once it receives the history.
	deliverHistory(t, b, a)
	for _, n := range []*testNode{a, b} {
		got := n.take(protocol.TopicSettlement)
		if len(got) != 2 {
			t.Fatalf("%d settlements, want 2", len(got))
		}
		for i, m := range got {
			if !m.Origin.Equal(protocol.GatekeeperLane(protocol.LaneComputation)) || m.Seq != uint64(i) || !bytes.Equal(m.Payload, want[i]) {
				t.Fatalf("settlement %d from %s at seq %d, payload differs from the engine's: %t", i, m.Origin, m.Seq, !bytes.Equal(m.Payload, want[i]))
			}
		}
	}
	// A worker that is not computing never sends heartbeats, and a
	// non-gatekeeper publishes nothing.
	if len(w.take(protocol.TopicSettlement)) != 0 || len(a.take(protocol.TopicHeartbeat)) != 0 {
		t.Fatal("a role acted that it does not hold")
	}
}

// With no computing worker the engine resumes at whatever height the chain
// closes next; with workers a skipped block is a protocol error.
func TestComputationHeights(t *testing.T) {
	t.Parallel()
	w := newTestNode(t)
	w.mustApply(closeBlock(5), closeBlock(50))
	w.mustApply(sessionStarted(w, 1), closeBlock(51))
	if err := w.apply(closeBlock(53)); err == nil {
		t.Fatal("a skipped block with workers computing was accepted")
	}
}

// The benchmark runs only while this worker computes, and its counter is
// what heartbeats carry.
func TestBenchmarkRunsWhileComputing(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { n.r.RunBenchmark(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if got := n.r.iterations.Load(); got != 0 {
		t.Fatalf("%d iterations while not computing", got)
	}
	// Starting a session starts the benchmark.
	n.mustApply(sessionStarted(n, 1))
	deadline := time.Now().Add(10 * time.Second)
	for n.r.iterations.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n.r.iterations.Load() == 0 {
		t.Fatal("no iteration while computing")
	}
	// The next challenge's heartbeat reports the counter.
	n.mustApply(compIngress(protocol.TopicComputationParams, busyParams(t)), closeBlock(10))
	h, err := protocol.DecodeHeartbeat(n.takeOne(protocol.TopicHeartbeat).Payload)
	if err != nil || h.Iterations != n.r.iterations.Load() {
		t.Fatalf("heartbeat %+v, %v; want iterations %d", h, err, n.r.iterations.Load())
	}
	// A new session counts from 0: the engine measures its first heartbeat
	// from the start block's time.
	n.mustApply(compIngress(protocol.TopicSessionStopped, protocol.SessionRef{Worker: n.id(), Session: 1}.Encode()), sessionStarted(n, 2))
	if got := n.r.iterations.Load(); got != 0 {
		t.Fatalf("%d iterations at the start of a new session, want 0", got)
	}
	if s := performanceScore(); s == 0 || s > tokenomics.MaxScore {
		t.Fatalf("performance score %d, want 1-%d", s, tokenomics.MaxScore)
	}
}

// The engine in the pRuntime measures p_instant from what the chain
// relays: each block's time and each heartbeat's iteration count. A worker
// whose heartbeats report a tenth of the work its score promised earns
// with the lower p, exactly as the engine computes it from the same blocks.
// (Before this was fixed the pRuntime passed neither the block time nor
// the iterations to the engine, so p_instant stayed at p_bench whatever
// the worker did.)
func TestComputationMeasuresPInstant(t *testing.T) {
	t.Parallel()
	a, w := newTestNode(t), newTestNode(t)
	launch(t, a)
	var wk tokenomics.WorkerKey
	copy(wk[:], w.id())
	const stake = 5_000 // V below v_max, so that V moves with p
	sb, _ := tokenomics.FromInt(stake).MarshalBinary()
	start := ingressMsg(protocol.TopicSessionStarted, protocol.SessionStarted{
		Worker: w.id(), Session: 1, Score: 1_000, Level: 1, Stake: sb,
	}.Encode())
	// Every worker is challenged every block; w answers every other one
	// (the older challenge is discharged), so that idle blocks, where ΔV
	// depends on p, alternate with settlements. Score 1,000 per 6 s; the
	// heartbeats show about a tenth of that: 17 iterations per second.
	a.mustApply(compIngress(protocol.TopicComputationParams, busyParams(t)), start, closeBlock(10))
	blocks := [][]tokenomics.Heartbeat{nil}
	for h := uint64(11); h <= 18; h++ {
		var hbs []tokenomics.Heartbeat
		var msgs []protocol.Message
		if h%2 == 0 {
			c := h - 1
			hb := protocol.Heartbeat{Session: 1, Challenge: c, Iterations: 17 * c}
			msgs = append(msgs, compIngress(protocol.TopicHeartbeat, protocol.Relayed{Sender: w.id(), Body: hb.Encode()}.Encode()))
			hbs = append(hbs, tokenomics.Heartbeat{Worker: wk, Session: 1, Challenge: c, Iterations: hb.Iterations})
		}
		a.mustApply(append(msgs, closeBlock(h))...)
		blocks = append(blocks, hbs)
	}

	p := tokenomics.DefaultParams()
	if err := p.UnmarshalBinary(busyParams(t)); err != nil {
		t.Fatal(err)
	}
	st := tokenomics.NewState(9)
	var want [][]byte
	for i, hbs := range blocks {
		blk := tokenomics.Block{Height: uint64(10 + i), Time: uint64(10+i) * 1000, Heartbeats: hbs}
		copy(blk.Seed[:], bytes.Repeat([]byte{byte(blk.Height)}, 32))
		if i == 0 {
			blk.Started = []tokenomics.Start{{Worker: wk, Session: 1, P: 1_000, Level: 1, Stake: tokenomics.FromInt(stake)}}
		}
		out, rej, err := st.Apply(p, blk)
		if err != nil || len(rej) != 0 {
			t.Fatalf("engine block %d: %v %v", blk.Height, err, rej)
		}
		if !out.Empty() {
			want = append(want, out.Encode())
		}
	}
	if got, _ := st.Worker(wk); tokenomics.FromInt(200).Less(got.P) {
		t.Fatalf("engine p_instant %s, want about a tenth of p_bench", got.P)
	}
	got := a.take(protocol.TopicSettlement)
	if len(got) != len(want) {
		t.Fatalf("%d settlements, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Payload, want[i]) {
			g, _ := tokenomics.DecodeOutput(got[i].Payload)
			e, _ := tokenomics.DecodeOutput(want[i])
			t.Fatalf("settlement %d: pRuntime %+v, engine with block times and iterations %+v", i, g, e)
		}
	}
}

// A params change the chain publishes in block N applies to all of block
// N, its heartbeats included: each block's output is the engine's for one
// params set (the reference settles N's heartbeats under the old params and
// the rest of N under the new; docs/computation.md says why we differ).
func TestComputationParamsApplyFromTheirBlock(t *testing.T) {
	t.Parallel()
	a, w := newTestNode(t), newTestNode(t)
	launch(t, a)
	var wk tokenomics.WorkerKey
	copy(wk[:], w.id())
	old := tokenomics.DefaultParams()
	if err := old.UnmarshalBinary(busyParams(t)); err != nil {
		t.Fatal(err)
	}
	changed := old
	changed.BudgetPerBlock = tokenomics.FromInt(250)
	changedBytes, _ := changed.MarshalBinary()
	heartbeat := func(c uint64) protocol.Message {
		hb := protocol.Heartbeat{Session: 1, Challenge: c}
		return compIngress(protocol.TopicHeartbeat, protocol.Relayed{Sender: w.id(), Body: hb.Encode()}.Encode())
	}
	a.mustApply(compIngress(protocol.TopicComputationParams, busyParams(t)), sessionStarted(w, 1), closeBlock(10))
	a.mustApply(closeBlock(11))
	// Block 12: the heartbeat comes before the change in ingress order.
	a.mustApply(heartbeat(11), compIngress(protocol.TopicComputationParams, changedBytes), closeBlock(12))

	st := tokenomics.NewState(9)
	var want, wantOld []byte
	for h := uint64(10); h <= 12; h++ {
		blk := tokenomics.Block{Height: h, Time: h * 1000}
		copy(blk.Seed[:], bytes.Repeat([]byte{byte(h)}, 32))
		p := old
		switch h {
		case 10:
			blk.Started = []tokenomics.Start{{Worker: wk, Session: 1, P: 1_000, Level: 1, Stake: tokenomics.FromInt(20_000)}}
		case 12:
			blk.Heartbeats = []tokenomics.Heartbeat{{Worker: wk, Session: 1, Challenge: 11}}
			p = changed
		}
		if h == 12 {
			// The same block under the old params, to show the two differ.
			_, outOld, _, err := tokenomics.Step(old, st, blk)
			if err != nil {
				t.Fatal(err)
			}
			wantOld = outOld.Encode()
		}
		out, rej, err := st.Apply(p, blk)
		if err != nil || len(rej) != 0 {
			t.Fatalf("engine block %d: %v %v", h, err, rej)
		}
		if h == 12 {
			want = out.Encode()
		}
	}
	if bytes.Equal(want, wantOld) {
		t.Fatal("the params change does not change block 12's output: the test tells nothing")
	}
	got := a.takeOne(protocol.TopicSettlement)
	if !bytes.Equal(got.Payload, want) {
		g, _ := tokenomics.DecodeOutput(got.Payload)
		t.Fatalf("block 12 output %+v, want the engine's under the changed params", g)
	}
}
