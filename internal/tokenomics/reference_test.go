package tokenomics_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/big"
	"slices"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// An independent implementation of the model of DESIGN.md §8, in big.Float
// with 256-bit mantissas and exact rational parameters, used to check the
// fixed-point engine. It shares no code with the package: targets and
// challenges are recomputed with big.Int and crypto/sha256, every quantity
// is a big.Float, every parameter is the exact value of the design
// (0.001·12/3600, not its 64.64 rounding). Where the rules follow Phala's
// code (docs/computation.md, "Differences from the reference": p in
// iterations per 6 s, measured from the session start and 0 after a
// restart, Σshare before the block's starts, V_e above v_max refused), this
// model states them independently of the engine.

const refPrec = 256

func bf(s string) *big.Float {
	f, _, err := big.ParseFloat(s, 10, refPrec, big.ToNearestEven)
	if err != nil {
		panic(err)
	}
	return f
}

func bfRat(n, d int64) *big.Float {
	return new(big.Float).SetPrec(refPrec).SetRat(big.NewRat(n, d))
}

func bfInt(n uint64) *big.Float { return new(big.Float).SetPrec(refPrec).SetUint64(n) }

func add(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(refPrec).Add(a, b) }
func sub(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(refPrec).Sub(a, b) }
func mul(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(refPrec).Mul(a, b) }
func quo(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(refPrec).Quo(a, b) }
func sqrtF(a *big.Float) *big.Float {
	if a.Sign() == 0 {
		return bfInt(0)
	}
	return new(big.Float).SetPrec(refPrec).Sqrt(a)
}
func minF(a, b *big.Float) *big.Float {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

type refParams struct {
	rho, slash, budget, vmax, costK, costB, treasury, rigK, rigB, re, k *big.Float
	window, minP, expected, maxPerHour, blockMs                         uint64
}

// refDefaults are DESIGN.md §8's values, exactly.
func refDefaults() refParams {
	return refParams{
		rho: bf("1.000000666600231"), slash: bfRat(12, 3_600_000), budget: bfInt(100), vmax: bfInt(30000),
		costK: mul(bf("0.0415625"), bfRat(12, 31_536_000)), costB: mul(bf("88.59375"), bfRat(12, 31_536_000)),
		treasury: bf("0.2"), rigK: bf("0.3"), rigB: bfInt(0), re: bf("1.3"), k: bfInt(100),
		window: 10, minP: 50, expected: 20, maxPerHour: 2, blockMs: 12000,
	}
}

func refConf(level uint32) *big.Float {
	switch level {
	case 4:
		return bf("0.8")
	case 5:
		return bf("0.7")
	}
	return bfInt(1)
}

// refTarget: floor(q·2^256) − 1 with q = min(E/N, M·blockMs/3.6e6).
func refTarget(p refParams, n int) *big.Int {
	if n == 0 {
		return big.NewInt(0)
	}
	q := big.NewRat(int64(p.expected), int64(n))
	if c := big.NewRat(int64(p.maxPerHour*p.blockMs), 3_600_000); c.Cmp(q) < 0 {
		q = c
	}
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	if q.Cmp(big.NewRat(1, 1)) >= 0 {
		return max
	}
	t := new(big.Int).Lsh(q.Num(), 256)
	t.Quo(t, q.Denom())
	return t.Sub(t, big.NewInt(1))
}

func refChallenged(key tk.WorkerKey, seed [32]byte, target *big.Int) bool {
	h := sha256.Sum256(key[:])
	x := new(big.Int).Xor(new(big.Int).SetBytes(h[:]), new(big.Int).SetBytes(seed[:]))
	return x.Cmp(target) <= 0
}

type refWorker struct {
	key                           tk.WorkerKey
	session                       uint64
	pBench, level                 uint32
	pInst                         *big.Float // p_instant
	iters, measuredAt             uint64     // the last measurement
	v, vded                       *big.Float
	since, settled, pending, last uint64
	unresponsive, beat            bool
}

type refRound struct {
	time   uint64
	seed   [32]byte
	target *big.Int
}

type refModel struct {
	workers []*refWorker // key order
	rounds  map[uint64]refRound
}

type refSettlement struct {
	key              tk.WorkerKey
	v, payout, treas *big.Float
}

type refOutput struct {
	offline, recovered []tk.WorkerKey
	settle             []refSettlement
}

func (m *refModel) find(k tk.WorkerKey) *refWorker {
	for _, w := range m.workers {
		if w.key == k {
			return w
		}
	}
	return nil
}

func (m *refModel) hit(w *refWorker, c uint64) bool {
	r, ok := m.rounds[c]
	return ok && c >= w.since && refChallenged(w.key, r.seed, r.target)
}

func (m *refModel) next(w *refWorker, from, to uint64) uint64 {
	for c := from; c <= to; c++ {
		if m.hit(w, c) {
			return c
		}
	}
	return 0
}

// step applies one block (starts and heartbeats only; the scenarios stop nobody).
func (m *refModel) step(p refParams, b tk.Block) refOutput {
	h := b.Height
	var out refOutput
	// Σshare over the responsive workers the previous block left, before
	// this block's starts (the reference's will_process_block).
	share := func(w *refWorker) *big.Float {
		q := mul(mul(bfInt(2), w.pInst), refConf(w.level))
		return sqrtF(add(mul(w.v, w.v), mul(q, q)))
	}
	sum := bfInt(0)
	for _, w := range m.workers {
		if !w.unresponsive {
			sum = add(sum, share(w))
		}
	}
	for _, st := range b.Started {
		if m.find(st.Worker) != nil || uint64(st.P) < p.minP {
			continue
		}
		stake := new(big.Float).SetPrec(refPrec).SetRat(bigRatOf(st.Stake))
		if stake.Cmp(mul(p.k, sqrtF(bfInt(uint64(st.P))))) < 0 {
			continue
		}
		conf := refConf(st.Level)
		factor := add(mul(sub(p.re, bfInt(1)), conf), bfInt(1))
		v := mul(factor, add(add(stake, mul(p.rigK, bfInt(uint64(st.P)))), p.rigB))
		if v.Cmp(p.vmax) > 0 {
			continue // the reference refuses a V_e above v_max
		}
		// The first measurement runs from the start: count 0 at its time.
		m.workers = append(m.workers, &refWorker{key: st.Worker, session: st.Session, pBench: st.P, pInst: bfInt(uint64(st.P)),
			level: st.Level, v: v, vded: bfInt(0), since: h, settled: h, measuredAt: b.Time})
	}
	slices.SortFunc(m.workers, func(a, b *refWorker) int { return bytes.Compare(a.key[:], b.key[:]) })
	m.rounds[h] = refRound{time: b.Time, seed: b.Seed, target: refTarget(p, len(m.workers))}

	for _, hb := range b.Heartbeats {
		w := m.find(hb.Worker)
		c := hb.Challenge
		if w == nil || w.session != hb.Session || c >= h || c < w.since || h-c > p.window || c <= w.last || !m.hit(w, c) {
			continue
		}
		w.last = c
		w.pending = m.next(w, c+1, h-1)
		// p_instant: iterations per 6 s between the challenge times of two
		// heartbeats, at most 1.2·p_bench; the first heartbeat only sets the
		// baseline; a restarted counter sets it and p_instant = 0.
		if t := m.rounds[c].time; w.measuredAt == 0 || t > w.measuredAt {
			switch {
			case w.measuredAt == 0:
			case hb.Iterations < w.iters:
				w.pInst = bfInt(0)
			default:
				rate := quo(mul(bfInt(hb.Iterations-w.iters), bfInt(6)), quo(bfInt(t-w.measuredAt), bfInt(1000)))
				w.pInst = minF(rate, mul(bf("1.2"), bfInt(uint64(w.pBench))))
			}
			w.iters, w.measuredAt = hb.Iterations, t
		}
		if w.beat {
			continue
		}
		w.beat = true
		if w.unresponsive {
			w.unresponsive = false
			w.vded = bfInt(0)
			w.settled = h
			out.recovered = append(out.recovered, w.key)
			continue
		}
		s := refSettlement{key: w.key, payout: bfInt(0), treas: bfInt(0)}
		sh := share(w)
		if sum.Sign() > 0 && w.vded.Sign() > 0 && h > w.settled && sh.Sign() > 0 {
			budget := mul(mul(quo(sh, sum), p.budget), bfInt(h-w.settled))
			s.payout = mul(budget, sub(bfInt(1), p.treasury))
			s.treas = mul(budget, p.treasury)
			w.v = sub(w.v, minF(w.vded, s.payout))
			w.vded = bfInt(0)
			w.settled = h
		}
		s.v = w.v
		out.settle = append(out.settle, s)
	}
	for _, w := range m.workers {
		if w.pending == 0 && m.hit(w, h) {
			w.pending = h
		}
		if w.pending != 0 && h-w.pending > p.window {
			if !w.unresponsive {
				w.unresponsive = true
				out.offline = append(out.offline, w.key)
			}
			w.pending = m.next(w, max(w.pending+1, h-min(h, p.window)), h)
		}
		switch {
		case w.unresponsive:
			w.v = sub(w.v, mul(w.v, p.slash))
			w.vded = bfInt(0)
		case !w.beat:
			dv := add(add(mul(sub(p.rho, bfInt(1)), w.v), mul(p.costK, bfInt(uint64(w.pBench)))), p.costB)
			dv = mul(quo(w.pInst, bfInt(uint64(w.pBench))), dv)
			w.v = minF(add(w.v, dv), p.vmax)
			w.vded = add(w.vded, dv)
		}
		w.beat = false
	}
	slices.SortFunc(out.recovered, func(a, b tk.WorkerKey) int { return bytes.Compare(a[:], b[:]) })
	slices.SortFunc(out.settle, func(a, b refSettlement) int { return bytes.Compare(a.key[:], b.key[:]) })
	return out
}

func bigRatOf(x tk.Fixed) *big.Rat {
	return new(big.Rat).SetFrac(raw(x), two64)
}

func fixedFloat(x tk.Fixed) *big.Float {
	return new(big.Float).SetPrec(refPrec).SetRat(bigRatOf(x))
}

// errTracker keeps the largest relative error seen.
type errTracker struct {
	maxRel     float64
	maxAbsTiny float64
	n          int
}

// tinyBelow: values under it are compared absolutely (a payout of 0 is 0).
const tinyBelow = 1e-6

func (e *errTracker) compare(t *testing.T, what string, h uint64, got tk.Fixed, want *big.Float) {
	t.Helper()
	e.n++
	d := new(big.Float).Abs(sub(fixedFloat(got), want))
	aw := new(big.Float).Abs(want)
	if aw.Cmp(big.NewFloat(tinyBelow)) < 0 {
		ad, _ := d.Float64()
		e.maxAbsTiny = max(e.maxAbsTiny, ad)
		if ad > 1e-15 {
			t.Fatalf("block %d %s: got %s, want %s (abs err %g)", h, what, got, want.Text('g', 30), ad)
		}
		return
	}
	rel, _ := quo(d, aw).Float64()
	e.maxRel = max(e.maxRel, rel)
	if rel > 1e-9 {
		t.Fatalf("block %d %s: got %s, want %s (rel err %g)", h, what, got, want.Text('g', 30), rel)
	}
}

type refScenario struct {
	name    string
	blocks  uint64
	workers func() []*simWorker
	params  func(h uint64) (tk.Params, refParams)
	check   func(t *testing.T, outs []tk.Output, rejs []tk.Rejection)
}

func stake(n uint64) tk.Fixed { return tk.FromInt(n) }

func honest(i int, p uint32, level uint32, stk uint64) *simWorker {
	return &simWorker{start: tk.Start{Worker: testKey(i), Session: uint64(100 + i), P: p, Level: level, Stake: stake(stk)}, startAt: 1, delay: 1 + uint64(i%3)}
}

func defaults(uint64) (tk.Params, refParams) { return tk.DefaultParams(), refDefaults() }

// withRate sets max heartbeats per worker-hour so short runs see many.
func withRate(perHour uint32) func(uint64) (tk.Params, refParams) {
	return func(uint64) (tk.Params, refParams) {
		p, r := tk.DefaultParams(), refDefaults()
		p.MaxHeartbeatsPerWorkerHour, r.maxPerHour = perHour, uint64(perHour)
		return p, r
	}
}

func TestReferenceModel(t *testing.T) {
	t.Parallel()
	scenarios := []refScenario{
		{
			name:   "a/honest worker for a day",
			blocks: 7200, // 24 h of 12 s blocks
			workers: func() []*simWorker {
				return []*simWorker{honest(0, 2000, 1, 5000)}
			},
			params: defaults,
			check: func(t *testing.T, outs []tk.Output, rejs []tk.Rejection) {
				n := 0
				for _, o := range outs {
					n += len(o.Settlements)
					if len(o.Offline)+len(o.Recovered) > 0 {
						t.Fatalf("block %d: honest worker offline/recovered", o.Height)
					}
				}
				// 2 per hour, as the reference caps one worker.
				if n < 30 || n > 70 {
					t.Fatalf("%d settlements in a day, want about 48", n)
				}
				if len(rejs) != 0 {
					t.Fatalf("rejections %v", rejs)
				}
			},
		},
		{
			name:   "b/offline two hours then back",
			blocks: 2400,
			workers: func() []*simWorker {
				w := honest(2, 3000, 2, 8000)
				w.offFrom, w.offTo, w.answerLate = 600, 600+600, true // 600 blocks = 2 h
				return []*simWorker{honest(1, 3000, 1, 8000), w}
			},
			params: withRate(30), // q = 0.1 per block
			check: func(t *testing.T, outs []tk.Output, rejs []tk.Rejection) {
				off, rec := 0, 0
				for _, o := range outs {
					for _, r := range o.Offline {
						if r.Worker != testKey(2) || o.Height < 600 || o.Height > 700 {
							t.Fatalf("unexpected offline %x at %d", r.Worker[:4], o.Height)
						}
						off++
					}
					for _, r := range o.Recovered {
						if r.Worker != testKey(2) || o.Height < 1200 || o.Height > 1300 {
							t.Fatalf("unexpected recovery %x at %d", r.Worker[:4], o.Height)
						}
						rec++
					}
				}
				late := 0
				for _, r := range rejs {
					if !errors.Is(r, tk.ErrLate) || r.Worker != testKey(2) {
						t.Fatalf("unexpected rejection %v", r)
					}
					late++
				}
				if off != 1 || rec != 1 || late == 0 {
					t.Fatalf("offline %d, recovered %d, late %d; want 1, 1, >0", off, rec, late)
				}
			},
		},
		{
			name:   "c/three workers with different scores",
			blocks: 2000,
			workers: func() []*simWorker {
				return []*simWorker{honest(3, 500, 1, 3000), honest(4, 2000, 4, 6000), honest(5, 6000, 5, 20000)}
			},
			params: withRate(60),
		},
		{
			name:   "d/parameter change mid-run",
			blocks: 3000,
			workers: func() []*simWorker {
				w := honest(7, 1500, 1, 4000)
				w.offFrom, w.offTo = 1700, 1900 // offline across the change of window
				return []*simWorker{honest(6, 1000, 3, 4000), w, honest(8, 4000, 4, 9000)}
			},
			params: func(h uint64) (tk.Params, refParams) {
				p, r := withRate(60)(h)
				if h > 1500 {
					p.BudgetPerBlock, r.budget = tk.FromInt(150), bfInt(150)
					p.Rho, r.rho = tk.MustParse("1.000001"), bf("1.000001")
					p.TreasuryRatio, r.treasury = tk.MustParse("0.1"), bf("0.1")
					p.HeartbeatWindow, r.window = 5, 5
					p.SlashRate, r.slash = mustRatio(24, 3_600_000), bfRat(24, 3_600_000)
					p.CostB, r.costB = tk.Zero, bfInt(0)
					p.MaxHeartbeatsPerWorkerHour, r.maxPerHour = 120, 120
				}
				return p, r
			},
		},
		{
			name:   "e/slow, fast and restarted workers: p_instant from heartbeat iterations",
			blocks: 2000,
			workers: func() []*simWorker {
				slow := honest(9, 2000, 1, 6000)
				slow.speed = 900 // 0.45·p_bench
				fast := honest(10, 2000, 1, 6000)
				fast.speed = 5000 // capped at 1.2·p_bench
				restarted := honest(11, 2000, 2, 6000)
				restarted.offFrom, restarted.offTo = 700, 760 // counter starts again
				return []*simWorker{slow, fast, restarted}
			},
			params: withRate(60),
			check: func(t *testing.T, outs []tk.Output, rejs []tk.Rejection) {
				var paid [3]tk.Fixed
				for _, o := range outs {
					for _, s := range o.Settlements {
						for i, k := range []tk.WorkerKey{testKey(9), testKey(10), testKey(11)} {
							if s.Worker == k {
								paid[i] = paid[i].Add(s.Payout)
							}
						}
					}
				}
				// Same stake and score: measured speed decides the split.
				if !paid[0].Less(paid[2]) || !paid[2].Less(paid[1]) {
					t.Fatalf("payouts slow %s, restarted %s, fast %s: want slow < restarted < fast", paid[0], paid[2], paid[1])
				}
			},
		},
		{
			name:   "f/workers starting while others are paid: Σshare before the block's starts",
			blocks: 1500,
			workers: func() []*simWorker {
				ws := []*simWorker{honest(12, 2000, 1, 6000), honest(13, 3000, 2, 9000)}
				for i, at := range []uint64{200, 201, 202, 400, 700, 701} {
					w := honest(14+i, uint32(1000+500*i), uint32(1+i%5), uint64(4000+3000*i))
					w.startAt = at
					ws = append(ws, w)
				}
				// Refused: its V_e would exceed v_max.
				rich := honest(20, 1000, 1, 40_000)
				rich.startAt = 300
				return append(ws, rich)
			},
			params: withRate(120), // q = 0.4: most start blocks carry heartbeats
			check: func(t *testing.T, outs []tk.Output, rejs []tk.Rejection) {
				if len(rejs) != 1 || !errors.Is(rejs[0], tk.ErrStakeTooHigh) || rejs[0].Worker != testKey(20) {
					t.Fatalf("rejections %v, want only the start above v_max", rejs)
				}
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(sc.workers()...)
			ref := &refModel{rounds: map[uint64]refRound{}}
			var et errTracker
			var outs []tk.Output
			var rejs []tk.Rejection
			st := tk.NewState(0)
			settlements := 0
			for h := uint64(1); h <= sc.blocks; h++ {
				p, rp := sc.params(h)
				b := s.block(h)
				out, rej, err := st.Apply(p, b)
				if err != nil {
					t.Fatal(err)
				}
				want := ref.step(rp, b)
				outs, rejs = append(outs, out), append(rejs, rej...)
				if got, w := refs(out.Offline), want.offline; !slices.Equal(got, w) {
					t.Fatalf("block %d offline %x, want %x", h, got, w)
				}
				if got, w := refs(out.Recovered), want.recovered; !slices.Equal(got, w) {
					t.Fatalf("block %d recovered %x, want %x", h, got, w)
				}
				if len(out.Settlements) != len(want.settle) {
					t.Fatalf("block %d: %d settlements, want %d", h, len(out.Settlements), len(want.settle))
				}
				for i, got := range out.Settlements {
					w := want.settle[i]
					if got.Worker != w.key {
						t.Fatalf("block %d settlement %d for %x, want %x", h, i, got.Worker[:4], w.key[:4])
					}
					et.compare(t, "settlement V", h, got.V, w.v)
					et.compare(t, "payout", h, got.Payout, w.payout)
					et.compare(t, "treasury", h, got.Treasury, w.treas)
					settlements++
				}
				// Every worker's V, every block.
				ws := st.Workers()
				if len(ws) != len(ref.workers) {
					t.Fatalf("block %d: %d workers, want %d", h, len(ws), len(ref.workers))
				}
				for i, w := range ws {
					et.compare(t, "p_instant", h, w.P, ref.workers[i].pInst)
					et.compare(t, "V", h, w.V, ref.workers[i].v)
					et.compare(t, "V_deductible", h, w.VDeductible, ref.workers[i].vded)
				}
				s.observe(p, st, h)
			}
			if settlements == 0 {
				t.Fatal("no settlement to compare")
			}
			t.Logf("%d blocks, %d settlements, %d values compared: max relative error %.3g, max absolute error on values < %g: %.3g",
				sc.blocks, settlements, et.n, et.maxRel, tinyBelow, et.maxAbsTiny)
			if sc.check != nil {
				sc.check(t, outs, rejs)
			}
		})
	}
}

func refs(r []tk.Ref) []tk.WorkerKey {
	var k []tk.WorkerKey
	for _, x := range r {
		k = append(k, x.Worker)
	}
	return k
}
