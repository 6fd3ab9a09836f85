package tokenomics_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// benchNet is n computing workers whose pRuntimes answer every challenge two
// blocks later; the driver's own challenge test uses precomputed key hashes
// so that it stays cheap next to the engine.
type benchNet struct {
	p      tk.Params
	st     *tk.State
	keys   []tk.WorkerKey
	hashes [][32]byte
	due    map[uint64][]tk.Heartbeat
	h      uint64
}

func newBenchNet(tb testing.TB, n int, p tk.Params) *benchNet {
	tb.Helper()
	net := &benchNet{p: p, st: tk.NewState(0), due: map[uint64][]tk.Heartbeat{}}
	starts := make([]tk.Start, n)
	for i := range n {
		k := testKey(i)
		net.keys = append(net.keys, k)
		net.hashes = append(net.hashes, sha256.Sum256(k[:]))
		starts[i] = tk.Start{Worker: k, Session: uint64(i + 1), P: uint32(1000 + i%5000), Level: uint32(1 + i%5), Stake: tk.FromInt(20_000)}
	}
	net.next(tb, starts)
	return net
}

func xorLE(h, seed *[32]byte, t *tk.Target) bool {
	for i := 0; i < 32; i += 8 {
		x := binary.BigEndian.Uint64(h[i:]) ^ binary.BigEndian.Uint64(seed[i:])
		y := binary.BigEndian.Uint64(t[i:])
		if x != y {
			return x < y
		}
	}
	return true
}

// block returns the next block (answers due at it).
func (n *benchNet) block() tk.Block {
	h := n.h + 1
	b := tk.Block{Height: h, Seed: testSeed(h), Heartbeats: n.due[h]}
	delete(n.due, h)
	return b
}

// observe schedules the answers to block h's challenges.
func (n *benchNet) observe(h uint64, seed [32]byte) int {
	target := n.p.OnlineTarget(uint32(n.st.Len()))
	hits := 0
	for i := range n.hashes {
		if xorLE(&n.hashes[i], &seed, &target) {
			n.due[h+2] = append(n.due[h+2], tk.Heartbeat{Worker: n.keys[i], Session: uint64(i + 1), Challenge: h})
			hits++
		}
	}
	return hits
}

func (n *benchNet) next(tb testing.TB, starts []tk.Start) tk.Output {
	b := n.block()
	b.Started = starts
	out, rej, err := n.st.Apply(n.p, b)
	if err != nil || len(rej) != 0 {
		tb.Fatalf("block %d: %v %v", b.Height, err, rej)
	}
	n.h = b.Height
	n.observe(b.Height, b.Seed)
	return out
}

// BenchmarkStep100k times one block of the engine (State.Apply, in place)
// with 100,000 computing workers: Phala's default rate (20 heartbeats per
// block over the network) and a heavy one (1,000 per block). The issue's
// goal is under 50 ms per block on one core.
func BenchmarkStep100k(b *testing.B) {
	for _, perBlock := range []uint32{20, 1000} {
		b.Run(fmt.Sprintf("heartbeats=%d", perBlock), func(b *testing.B) {
			p := tk.DefaultParams()
			p.ExpectedHeartbeatCount = perBlock
			p.MaxHeartbeatsPerWorkerHour = 3600
			net := newBenchNet(b, 100_000, p)
			for range 3 { // let answers start arriving
				net.next(b, nil)
			}
			beats, settled := 0, 0
			b.ResetTimer()
			for b.Loop() {
				blk := net.block()
				out, _, err := net.st.Apply(p, blk)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				beats += len(blk.Heartbeats)
				settled += len(out.Settlements)
				net.h = blk.Height
				net.observe(blk.Height, blk.Seed)
				b.StartTimer()
			}
			b.ReportMetric(float64(beats)/float64(b.N), "heartbeats/block")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/block")
		})
	}
}

// BenchmarkStepPure100k is the same block through Step, which copies the
// state first.
func BenchmarkStepPure100k(b *testing.B) {
	p := tk.DefaultParams()
	net := newBenchNet(b, 100_000, p)
	st := net.st
	for b.Loop() {
		blk := tk.Block{Height: st.Height() + 1, Seed: testSeed(st.Height() + 1)}
		next, _, _, err := tk.Step(p, st, blk)
		if err != nil {
			b.Fatal(err)
		}
		st = next
	}
}

// BenchmarkSum100kFixed is the floor a per-block walk can cost: adding up
// 100,000 Fixed values.
func BenchmarkSum100kFixed(b *testing.B) {
	vs := make([]tk.Fixed, 100_000)
	for i := range vs {
		vs[i] = tk.FromBits(uint64(i), uint64(i)*0x9E3779B97F4A7C15)
	}
	var sum tk.Fixed
	for b.Loop() {
		sum = tk.Zero
		for _, v := range vs {
			sum = sum.Add(v)
		}
	}
	_ = sum
}

func BenchmarkFixed(b *testing.B) {
	x, y := tk.MustParse("12345.6789"), tk.MustParse("1.000000666600231")
	var r tk.Fixed
	b.Run("Mul", func(b *testing.B) {
		for b.Loop() {
			r = x.Mul(y)
		}
	})
	b.Run("Div", func(b *testing.B) {
		for b.Loop() {
			r = x.Div(y)
		}
	})
	b.Run("Sqrt", func(b *testing.B) {
		v := x.Mul(x)
		for b.Loop() {
			r = v.Sqrt()
		}
	})
	b.Run("Share", func(b *testing.B) {
		conf := tk.MustParse("0.8")
		for b.Loop() {
			r = tk.Share(x, tk.FromInt(3000), conf)
		}
	})
	_ = r
}
