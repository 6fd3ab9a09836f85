package tokenomics_test

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// reportEnv gates TestReport so that `go test ./...` stays fast.
const reportEnv = "GK_BENCH"

var (
	flagWorkers   = flag.Int("tokenomics.workers", 100_000, "computing workers")
	flagBlocks    = flag.Int("tokenomics.blocks", 60, "timed blocks")
	flagPerBlock  = flag.Int("tokenomics.heartbeats", 20, "expected heartbeats per block over the network (Phala's default: 20)")
	flagBigEvery  = flag.Int("tokenomics.bigevery", 10, "run the math/big reference every this many blocks")
	flagSettleLen = flag.Int("tokenomics.settlements", 10_000, "settlements in the encode/decode figure")
)

// network is the workload: n workers (scores 1000–5999, confidence levels
// 1–5, stake 20,000) that answer every challenge two blocks later.
type network struct {
	p      tk.Params
	st     *tk.State
	keys   []tk.WorkerKey
	hashes [][32]byte
	due    map[uint64][]tk.Heartbeat
}

func seed(h uint64) [32]byte {
	return sha256.Sum256(binary.BigEndian.AppendUint64([]byte("beacon"), h))
}

func newNetwork(tb testing.TB, n int, p tk.Params) *network {
	tb.Helper()
	net := &network{p: p, st: tk.NewState(0), due: map[uint64][]tk.Heartbeat{}}
	starts := make([]tk.Start, n)
	for i := range n {
		k := tk.WorkerKey(sha256.Sum256(binary.BigEndian.AppendUint64([]byte("worker"), uint64(i))))
		net.keys = append(net.keys, k)
		net.hashes = append(net.hashes, tk.KeyHash(k[:]))
		starts[i] = tk.Start{Worker: k, Session: uint64(i + 1), P: uint32(1000 + i%5000), Level: uint32(1 + i%5), Stake: tk.FromInt(20_000)}
	}
	if _, rej, err := net.st.Apply(p, tk.Block{Height: 1, Time: blockTime(1), Seed: seed(1), Started: starts}); err != nil || len(rej) != 0 {
		tb.Fatalf("start: %v %v", err, rej)
	}
	net.observe(1)
	return net
}

// blockTime is block h's time (unix ms) at 12 s blocks.
func blockTime(h uint64) uint64 { return h * 12_000 }

// observe schedules the answers to block h's challenges (the pRuntimes' side);
// each carries the iterations a worker running at 90% of its score did
// since genesis, so that every heartbeat re-measures p_instant.
func (n *network) observe(h uint64) {
	target := n.p.OnlineTarget(uint32(n.st.Len()))
	s := seed(h)
	var x [32]byte
	for i := range n.hashes {
		for j := range x {
			x[j] = n.hashes[i][j] ^ s[j]
		}
		if string(x[:]) <= string(target[:]) {
			it := uint64(1000+i%5000) * 9 / 10 * blockTime(h) / (tk.ScoreSeconds * 1000)
			n.due[h+2] = append(n.due[h+2], tk.Heartbeat{Worker: n.keys[i], Session: uint64(i + 1), Challenge: h, Iterations: it})
		}
	}
}

// step applies the next block and returns its duration.
func (n *network) step(tb testing.TB) (time.Duration, tk.Output, int) {
	h := n.st.Height() + 1
	b := tk.Block{Height: h, Time: blockTime(h), Seed: seed(h), Heartbeats: n.due[h]}
	delete(n.due, h)
	t0 := time.Now()
	out, rej, err := n.st.Apply(n.p, b)
	d := time.Since(t0)
	if err != nil || len(rej) != 0 {
		tb.Fatalf("block %d: %v %v", h, err, rej)
	}
	n.observe(h)
	return d, out, len(b.Heartbeats)
}

// sumReference adds up every worker's V: the cheapest possible walk over
// the same 100,000 workers.
func sumReference(ws []tk.Worker) (time.Duration, tk.Fixed) {
	t0 := time.Now()
	var s tk.Fixed
	for i := range ws {
		s = s.Add(ws[i].V)
	}
	return time.Since(t0), s
}

// bigReference computes Σshare = Σ√(V² + (2·p·conf)²) with math/big
// (256-bit big.Float), the part of the step that dominates it, as a
// software-arbitrary-precision engine would.
// setFixed sets z to x's exact value (hi + lo/2^64).
func setFixed(z *big.Float, x tk.Fixed) {
	hi, lo := x.Bits()
	z.SetUint64(hi)
	z.SetMantExp(z, 64)
	z.Add(z, new(big.Float).SetUint64(lo))
	z.SetMantExp(z, -64)
}

func bigReference(ws []tk.Worker) time.Duration {
	t0 := time.Now()
	sum := new(big.Float).SetPrec(256)
	v, q, t := new(big.Float).SetPrec(256), new(big.Float).SetPrec(256), new(big.Float).SetPrec(256)
	two := big.NewFloat(2)
	conf := []*big.Float{big.NewFloat(1), big.NewFloat(1), big.NewFloat(1), big.NewFloat(1), new(big.Float).SetPrec(256).SetRat(big.NewRat(4, 5)), new(big.Float).SetPrec(256).SetRat(big.NewRat(7, 10))}
	for i := range ws {
		setFixed(v, ws[i].V)
		v.Mul(v, v)
		setFixed(q, ws[i].P)
		q.Mul(q, two)
		q.Mul(q, conf[min(ws[i].Level, 5)])
		q.Mul(q, q)
		t.Add(v, q)
		t.Sqrt(t)
		sum.Add(sum, t)
	}
	return time.Since(t0)
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestReport prints the per-block time of the engine for 100,000 workers
// next to the references, block by block interleaved so both see the same
// machine load.
func TestReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the tokenomics report", reportEnv)
	}
	p := tk.DefaultParams()
	p.ExpectedHeartbeatCount = uint32(*flagPerBlock)
	p.MaxHeartbeatsPerWorkerHour = 3600 // let the network-wide count decide
	t0 := time.Now()
	net := newNetwork(t, *flagWorkers, p)
	setup := time.Since(t0)
	for range 3 { // warm-up; answers start arriving at height 3
		net.step(t)
	}
	var steps, sums, bigs []time.Duration
	beats, settled := 0, 0
	for i := range *flagBlocks {
		d, out, hb := net.step(t)
		steps = append(steps, d)
		beats += hb
		settled += len(out.Settlements)
		ws := net.st.Workers()
		sd, _ := sumReference(ws)
		sums = append(sums, sd)
		if *flagBigEvery > 0 && i%*flagBigEvery == 0 {
			bigs = append(bigs, bigReference(ws))
		}
	}
	// The quorum payload of a large settlement: encode and strict decode.
	o := tk.Output{Height: 1}
	for i := range *flagSettleLen {
		k := net.keys[i%len(net.keys)]
		o.Settlements = append(o.Settlements, tk.Settlement{Worker: k, Session: uint64(i + 1), V: tk.FromInt(20000), Payout: tk.MustParse("1.25"), Treasury: tk.MustParse("0.3125")})
	}
	slices.SortFunc(o.Settlements, func(a, b tk.Settlement) int { return strings.Compare(string(a.Worker[:]), string(b.Worker[:])) })
	o.Settlements = slices.CompactFunc(o.Settlements, func(a, b tk.Settlement) bool { return a.Worker == b.Worker })
	te := time.Now()
	enc := o.Encode()
	encD := time.Since(te)
	td := time.Now()
	if _, err := tk.DecodeOutput(enc); err != nil {
		t.Fatal(err)
	}
	decD := time.Since(td)

	var b strings.Builder
	fmt.Fprintf(&b, "tokenomics engine, one block, %d computing workers, %d expected heartbeats/block (%.1f measured), %d timed blocks\n",
		*flagWorkers, *flagPerBlock, float64(beats)/float64(len(steps)), len(steps))
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d; setup (start block of %d workers) %.0f ms\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU(), *flagWorkers, ms(setup))
	fmt.Fprintf(&b, "%-36s %10s %10s %10s %10s\n", "figure", "p50 ms", "p90 ms", "max ms", "p50/step")
	row := func(name string, ds []time.Duration) {
		if len(ds) == 0 {
			return
		}
		fmt.Fprintf(&b, "%-36s %10.2f %10.2f %10.2f %10.3f\n", name, ms(quantile(ds, .5)), ms(quantile(ds, .9)), ms(quantile(ds, 1)),
			float64(quantile(ds, .5))/float64(quantile(steps, .5)))
	}
	row("State.Apply (the engine)", steps)
	row("ref: Σ of 100k Fixed (walk floor)", sums)
	row("ref: Σshare in math/big (256-bit)", bigs)
	goal := quantile(steps, .9) < 50*time.Millisecond
	fmt.Fprintf(&b, "engine p50 = %.1f× the walk floor, math/big Σshare alone = %.1f× the whole engine step\n",
		float64(quantile(steps, .5))/float64(quantile(sums, .5)), float64(quantile(bigs, .5))/float64(quantile(steps, .5)))
	fmt.Fprintf(&b, "goal p90 < 50 ms per block on one core: %v; %d settlements over the run\n", goal, settled)
	fmt.Fprintf(&b, "quorum payload of %d settlements: %d bytes, encode %.2f ms, strict decode %.2f ms\n", len(o.Settlements), len(enc), ms(encD), ms(decD))
	t.Log("\n" + b.String())
	if !goal {
		t.Errorf("p90 %.1f ms per block, goal < 50 ms", ms(quantile(steps, .9)))
	}
}

// BenchmarkApply100k: one block per iteration (see TestReport for the
// workload); the state grows older by one block each iteration.
func BenchmarkApply100k(b *testing.B) {
	p := tk.DefaultParams()
	p.MaxHeartbeatsPerWorkerHour = 3600
	net := newNetwork(b, 100_000, p)
	var total time.Duration
	for b.Loop() {
		d, _, _ := net.step(b)
		total += d
	}
	b.ReportMetric(ms(total)/float64(b.N), "ms/block")
}
