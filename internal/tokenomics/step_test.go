package tokenomics_test

import (
	"errors"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// everyBlock makes every worker challenged at every height (q = 1).
func everyBlock() tk.Params {
	p := tk.DefaultParams()
	p.MaxHeartbeatsPerWorkerHour = 3600
	p.BlockTimeMs = 1000
	p.ExpectedHeartbeatCount = 1000
	return p
}

func start(i int) tk.Start {
	return tk.Start{Worker: testKey(i), Session: uint64(i) + 1, P: 1000, Level: 1, Stake: tk.FromInt(5000)}
}

// started returns a state at height 5 with workers 0 and 1 computing since
// height 1, every challenge of heights 1–4 unanswered.
func started(t *testing.T, p tk.Params) *tk.State {
	t.Helper()
	st := tk.NewState(0)
	for h := uint64(1); h <= 5; h++ {
		b := tk.Block{Height: h, Seed: testSeed(h)}
		if h == 1 {
			b.Started = []tk.Start{start(0), start(1)}
		}
		if _, rej, err := st.Apply(p, b); err != nil || len(rej) != 0 {
			t.Fatalf("block %d: %v %v", h, err, rej)
		}
	}
	return st
}

// TestBadHeartbeats: each bad heartbeat is rejected with its reason and
// pays nothing.
func TestBadHeartbeats(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	half := tk.DefaultParams()
	half.ExpectedHeartbeatCount, half.MaxHeartbeatsPerWorkerHour, half.BlockTimeMs = 1, 3600, 1000 // q = 1/2 with 2 workers
	var miss uint64
	k0 := testKey(0)
	for h := uint64(1); h <= 5; h++ {
		if !tk.IsChallenged(k0[:], testSeed(h), half.OnlineTarget(2)) {
			miss = h
		}
	}
	if miss == 0 {
		t.Skip("worker 0 challenged at every height under q=1/2; pick other seeds")
	}
	short := everyBlock()
	short.HeartbeatWindow = 2
	hb := func(i int, c uint64) tk.Heartbeat {
		return tk.Heartbeat{Worker: testKey(i), Session: uint64(i) + 1, Challenge: c}
	}
	tests := []struct {
		name    string
		params  tk.Params
		beats   []tk.Heartbeat
		wantErr []error // per heartbeat; nil = accepted
	}{
		{"valid", p, []tk.Heartbeat{hb(0, 4)}, []error{nil}},
		{"unknown worker", p, []tk.Heartbeat{hb(9, 4)}, []error{tk.ErrNotComputing}},
		{"wrong session", p, []tk.Heartbeat{{Worker: testKey(0), Session: 99, Challenge: 4}}, []error{tk.ErrWrongSession}},
		{"future challenge", p, []tk.Heartbeat{hb(0, 7)}, []error{tk.ErrNotIssued}},
		{"current height", p, []tk.Heartbeat{hb(0, 6)}, []error{tk.ErrNotIssued}},
		{"late", short, []tk.Heartbeat{hb(0, 3)}, []error{tk.ErrLate}},
		{"before the session", p, []tk.Heartbeat{hb(0, 0)}, []error{tk.ErrNotIssued}},
		{"not issued", half, []tk.Heartbeat{hb(0, miss)}, []error{tk.ErrNotIssued}},
		{"answered twice", p, []tk.Heartbeat{hb(0, 4), hb(0, 4)}, []error{nil, tk.ErrAnswered}},
		{"older after newer", p, []tk.Heartbeat{hb(0, 4), hb(0, 3)}, []error{nil, tk.ErrAnswered}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := started(t, tc.params)
			before, _ := st.Worker(testKey(0))
			out, rej, err := st.Apply(tc.params, tk.Block{Height: 6, Seed: testSeed(6), Heartbeats: tc.beats})
			if err != nil {
				t.Fatal(err)
			}
			accepted := 0
			for i, want := range tc.wantErr {
				var got error
				for _, r := range rej {
					if r.Input == tk.InputHeartbeat && r.Index == i {
						got = r
					}
				}
				if want == nil {
					accepted++
					if got != nil {
						t.Fatalf("heartbeat %d rejected: %v", i, got)
					}
					continue
				}
				if !errors.Is(got, want) {
					t.Fatalf("heartbeat %d: %v, want %v", i, got, want)
				}
			}
			if accepted == 0 {
				if len(out.Settlements) != 0 {
					t.Fatalf("rejected heartbeat settled: %+v", out.Settlements)
				}
				after, _ := st.Worker(testKey(0))
				if after.TotalPaid != before.TotalPaid || after.LastSettled != before.LastSettled || after.Answered != before.Answered {
					t.Fatalf("rejected heartbeat changed the worker: %+v → %+v", before, after)
				}
			} else if len(out.Settlements) != 1 || out.Settlements[0].Payout.IsZero() {
				t.Fatalf("want one paid settlement, got %+v", out.Settlements)
			}
		})
	}
}

func TestLateHeartbeatAndRecovery(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	st := started(t, p)
	// Worker 0 answers nothing until the challenge of height 1 expires at
	// 1 + window + 1; worker 1 answers each challenge one block later.
	var offlineAt uint64
	for h := uint64(6); h <= 20; h++ {
		out, rej, err := st.Apply(p, tk.Block{Height: h, Seed: testSeed(h), Heartbeats: []tk.Heartbeat{{Worker: testKey(1), Session: 2, Challenge: h - 1}}})
		if err != nil || len(rej) != 0 {
			t.Fatalf("block %d: %v %v", h, err, rej)
		}
		for _, r := range out.Offline {
			if r.Worker != testKey(0) || r.Session != 1 {
				t.Fatalf("block %d: offline %+v", h, r)
			}
			offlineAt = h
		}
	}
	if want := uint64(1 + p.HeartbeatWindow + 1); offlineAt != want {
		t.Fatalf("offline at %d, want %d", offlineAt, want)
	}
	w0, _ := st.Worker(testKey(0))
	if w0.Status != tk.StatusUnresponsive {
		t.Fatalf("status %v", w0.Status)
	}
	// A late answer is rejected and recovers nothing; V keeps falling.
	out, rej, err := st.Apply(p, tk.Block{Height: 21, Seed: testSeed(21), Heartbeats: []tk.Heartbeat{{Worker: testKey(0), Session: 1, Challenge: 2}}})
	if err != nil || len(rej) != 1 || !errors.Is(rej[0], tk.ErrLate) || len(out.Recovered) != 0 || len(out.Settlements) != 0 {
		t.Fatalf("late: %v %v %+v", err, rej, out)
	}
	w1, _ := st.Worker(testKey(0))
	if !w1.V.Less(w0.V) {
		t.Fatalf("unresponsive V did not fall: %s → %s", w0.V, w1.V)
	}
	// A live one recovers it, with no payout.
	out, rej, err = st.Apply(p, tk.Block{Height: 22, Seed: testSeed(22), Heartbeats: []tk.Heartbeat{{Worker: testKey(0), Session: 1, Challenge: 21}}})
	if err != nil || len(rej) != 0 || len(out.Recovered) != 1 || out.Recovered[0].Worker != testKey(0) || len(out.Settlements) != 0 {
		t.Fatalf("recover: %v %v %+v", err, rej, out)
	}
	w2, _ := st.Worker(testKey(0))
	if w2.Status != tk.StatusComputing || w2.LastSettled != 22 || !w2.VDeductible.IsZero() {
		t.Fatalf("after recovery %+v", w2)
	}
}

func TestStartsAndStops(t *testing.T) {
	t.Parallel()
	p := tk.DefaultParams()
	st := tk.NewState(0)
	low := start(2)
	low.Stake = tk.FromInt(10)
	weak := start(3)
	weak.P = 10
	odd := start(4)
	odd.Level = 9
	_, rej, err := st.Apply(p, tk.Block{Height: 1, Started: []tk.Start{start(0), low, weak, odd, start(0), start(1)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{tk.ErrStakeTooLow, tk.ErrPerformanceTooLow, tk.ErrConfidenceLevel, tk.ErrAlreadyComputing}
	if len(rej) != len(want) {
		t.Fatalf("rejections %v", rej)
	}
	for i, r := range rej {
		if !errors.Is(r, want[i]) || r.Input != tk.InputStart || r.Index != i+1 {
			t.Fatalf("rejection %d: %v (index %d)", i, r, r.Index)
		}
	}
	if st.Len() != 2 {
		t.Fatalf("%d workers", st.Len())
	}
	w, _ := st.Worker(testKey(0))
	wantV, _ := p.InitialV(1000, tk.FromInt(5000), 1)
	if w.LastSettled != 1 || w.Since != 1 {
		t.Fatalf("worker %+v", w)
	}
	if w.V.Less(wantV) {
		t.Fatalf("V %s below V_e %s after an idle block", w.V, wantV)
	}
	// Stop: the final V settles with zero payout; stopping twice or with a
	// stale session is rejected.
	out, rej, err := st.Apply(p, tk.Block{Height: 2, Stopped: []tk.Stop{{Worker: testKey(0), Session: 1}, {Worker: testKey(0), Session: 1}, {Worker: testKey(1), Session: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Settlements) != 1 || out.Settlements[0].Worker != testKey(0) || !out.Settlements[0].Payout.IsZero() || out.Settlements[0].V != w.V {
		t.Fatalf("stop settlement %+v", out.Settlements)
	}
	if len(rej) != 2 || !errors.Is(rej[0], tk.ErrNotComputing) || !errors.Is(rej[1], tk.ErrWrongSession) {
		t.Fatalf("stop rejections %v", rej)
	}
	if st.Len() != 1 {
		t.Fatalf("%d workers after stop", st.Len())
	}
	// Wrong height: nothing applied.
	if _, _, err := st.Apply(p, tk.Block{Height: 4}); !errors.Is(err, tk.ErrHeight) {
		t.Fatalf("height: %v", err)
	}
	if st.Height() != 2 {
		t.Fatalf("height %d", st.Height())
	}
	// A quiet block reports nothing.
	out, _, _ = st.Apply(p, tk.Block{Height: 3, Seed: testSeed(3)})
	if !out.Empty() {
		t.Fatalf("quiet block output %+v", out)
	}
}

// TestPInstant: p_instant is measured between the challenge times of two
// heartbeats, in iterations per 6 s, capped at 1.2·p_bench; the first
// heartbeat of a session measures from the session start (count 0 at the
// start block's time); a counter that went backwards sets the baseline and p
// to 0; all as in the reference.
func TestPInstant(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	st := tk.NewState(0)
	apply := func(h uint64, hbs ...tk.Heartbeat) {
		t.Helper()
		b := tk.Block{Height: h, Time: h * 1000, Seed: testSeed(h), Heartbeats: hbs}
		if h == 1 {
			b.Started = []tk.Start{start(0)}
		}
		if _, rej, err := st.Apply(p, b); err != nil || len(rej) != 0 {
			t.Fatalf("block %d: %v %v", h, err, rej)
		}
	}
	hb := func(c, it uint64) tk.Heartbeat {
		return tk.Heartbeat{Worker: testKey(0), Session: 1, Challenge: c, Iterations: it}
	}
	pOf := func() tk.Fixed {
		w, _ := st.Worker(testKey(0))
		return w.P
	}
	apply(1)
	apply(2, hb(1, 0)) // the start block's own challenge: no time has passed, nothing measured
	if got := pOf(); got != tk.FromInt(1000) {
		t.Fatalf("after the first heartbeat p = %s, want p_bench 1000", got)
	}
	apply(3, hb(2, 100)) // 100 iterations since the session start 1 s before: 600 per 6 s, the score unit
	if got := pOf(); got != tk.FromInt(600) {
		t.Fatalf("p = %s, want 600", got)
	}
	apply(4, hb(3, 10_100)) // 60,000 per 6 s: capped
	if got, want := pOf(), tk.MustParse("1200"); got.Less(tk.MustParse("1199.99999")) || want.Less(got) {
		t.Fatalf("p = %s, want 1.2·1000", got)
	}
	apply(5, hb(4, 10)) // restarted: baseline, and p is 0 until measured again
	if got := pOf(); !got.IsZero() {
		t.Fatalf("after a restart p = %s, want 0 as in the reference", got)
	}
	apply(6, hb(5, 110)) // 100/s since the restart: 600 per 6 s
	if got := pOf(); got != tk.FromInt(600) {
		t.Fatalf("measured after the restart p = %s, want 600", got)
	}
	// A block whose time goes backwards is refused.
	if _, _, err := st.Apply(p, tk.Block{Height: 7, Time: 5000}); !errors.Is(err, tk.ErrHeight) {
		t.Fatalf("time going backwards: %v", err)
	}
}

// TestSumShareAtBlockStart: as in the reference, the budget of a block is
// split over Σshare of the responsive workers the previous block left: a
// worker stopped in the block still counts, one started in it does not.
func TestSumShareAtBlockStart(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	st := started(t, p)
	before := st.SumShare()
	w0, _ := st.Worker(testKey(0))
	big := tk.Start{Worker: testKey(2), Session: 3, P: 1000, Level: 1, Stake: tk.FromInt(20_000)}
	out, rej, err := st.Apply(p, tk.Block{
		Height: 6, Seed: testSeed(6),
		Stopped:    []tk.Stop{{Worker: testKey(1), Session: 2}},
		Started:    []tk.Start{big},
		Heartbeats: []tk.Heartbeat{{Worker: testKey(0), Session: 1, Challenge: 5}},
	})
	if err != nil || len(rej) != 0 {
		t.Fatalf("block 6: %v %v", err, rej)
	}
	var paid tk.Settlement
	for _, s := range out.Settlements {
		if s.Worker == testKey(0) {
			paid = s
		}
	}
	// The heartbeat is the session's first: p is not re-measured.
	budget := tk.Share(w0.V, w0.P, tk.One).Div(before).Mul(p.BudgetPerBlock).MulInt(6 - w0.LastSettled)
	if want := budget.Mul(tk.One.Sub(p.TreasuryRatio)); paid.Payout != want {
		t.Fatalf("payout %s, want %s (Σshare before the block's stop and start)", paid.Payout, want)
	}
	vStart, _ := p.InitialV(big.P, big.Stake, big.Level)
	after := tk.Share(w0.V, w0.P, tk.One).Add(tk.Share(vStart, tk.FromInt(1000), tk.One))
	if after == before {
		t.Fatal("the test does not tell the two rules apart")
	}
}

// TestSecondHeartbeatInBlock: a worker's second valid heartbeat in one
// block re-measures p_instant but reports no second settlement (the
// reference reports a second {V, 0} entry, which its own chain then drops
// as late): one entry per worker per block.
func TestSecondHeartbeatInBlock(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	st := tk.NewState(0)
	hb := func(c, it uint64) tk.Heartbeat {
		return tk.Heartbeat{Worker: testKey(0), Session: 1, Challenge: c, Iterations: it}
	}
	blocks := map[uint64][]tk.Heartbeat{3: {hb(2, 1000)}, 6: {hb(4, 1200), hb(5, 1250)}}
	var out tk.Output
	for h := uint64(1); h <= 6; h++ {
		b := tk.Block{Height: h, Time: h * 1000, Seed: testSeed(h), Heartbeats: blocks[h]}
		if h == 1 {
			b.Started = []tk.Start{start(0)}
		}
		var rej []tk.Rejection
		var err error
		if out, rej, err = st.Apply(p, b); err != nil || len(rej) != 0 {
			t.Fatalf("block %d: %v %v", h, err, rej)
		}
	}
	n := 0
	for _, s := range out.Settlements {
		if s.Worker == testKey(0) {
			n++
			if s.Payout.IsZero() {
				t.Fatal("the first heartbeat of the block did not settle")
			}
		}
	}
	w, _ := st.Worker(testKey(0))
	// 200 iterations over 2 s, then 50 over 1 s: 600, then 300 per 6 s.
	if n != 1 || w.P != tk.FromInt(300) || w.Answered != 5 {
		t.Fatalf("%d settlements, p %s, answered %d; want 1, 300, 5", n, w.P, w.Answered)
	}
}

// TestPInstantFromSessionStart: as in the reference, a session's first
// heartbeat is measured from the session start (count 0 at the start
// block's time): a worker that idles its benchmark through its first
// interval is not paid at p_bench for it.
func TestPInstantFromSessionStart(t *testing.T) {
	t.Parallel()
	p := everyBlock()
	st := tk.NewState(0)
	for h := uint64(1); h <= 4; h++ {
		b := tk.Block{Height: h, Time: h * 1000, Seed: testSeed(h)}
		switch h {
		case 1:
			b.Started = []tk.Start{start(0)}
		case 4: // 200 iterations in the 2 s from the start to challenge 3
			b.Heartbeats = []tk.Heartbeat{{Worker: testKey(0), Session: 1, Challenge: 3, Iterations: 200}}
		}
		if _, rej, err := st.Apply(p, b); err != nil || len(rej) != 0 {
			t.Fatalf("block %d: %v %v", h, err, rej)
		}
	}
	if w, _ := st.Worker(testKey(0)); w.P != tk.FromInt(600) {
		t.Fatalf("p after the first heartbeat %s, want 600 (measured from the start)", w.P)
	}
}
