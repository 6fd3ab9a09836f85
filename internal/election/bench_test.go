package election_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

// The workload: 100 seats, 1,000 candidates, 10,000 nominators
// with 16 votes each, 10 balancing sweeps.
const (
	benchCandidates = 1000
	benchNominators = 10_000
	benchSeats      = 100
	benchSweeps     = 10
)

// benchWorkload is deterministic: candidates "cand-NNNN" with self-bonds
// of 1–2 M units, nominators "nom-NNNNN" with 0.1–1 M units approving 16
// distinct candidates drawn uniformly.
func benchWorkload() ([]election.Candidate, []election.Voter) {
	r := rand.New(rand.NewPCG(2026, 17))
	cs := make([]election.Candidate, benchCandidates)
	for i := range cs {
		cs[i] = election.Candidate{ID: fmt.Sprintf("cand-%04d", i), SelfBond: 1_000_000 + r.Uint64N(1_000_000)}
	}
	vs := make([]election.Voter, benchNominators)
	for i := range vs {
		ts := make([]string, 0, election.MaxTargets)
		for _, j := range r.Perm(benchCandidates)[:election.MaxTargets] {
			ts = append(ts, cs[j].ID)
		}
		vs[i] = election.Voter{ID: fmt.Sprintf("nom-%05d", i), Stake: 100_000 + r.Uint64N(900_000), Targets: ts}
	}
	return cs, vs
}

func BenchmarkElect(b *testing.B) {
	cs, vs := benchWorkload()
	for _, sweeps := range []int{0, benchSweeps} {
		b.Run(fmt.Sprintf("k=%d/sweeps=%d", benchSeats, sweeps), func(b *testing.B) {
			cfg := election.Config{Winners: benchSeats, BalanceIterations: sweeps}
			for b.Loop() {
				if _, err := election.Elect(cfg, cs, vs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run(fmt.Sprintf("k=%d/fixedpoint-reference", benchSeats), func(b *testing.B) {
		for b.Loop() {
			fixedPointPhragmen(benchSeats, cs, vs)
		}
	})
}

// fixedPointPhragmen is the reference of the benchmark: sequential
// Phragmén as Polkadot's seq_phragmen_core computes it, every score
// recomputed from all edges each round, in 64-bit fixed point (loads in
// units of 2^-62, products in 128 bits, rounding down), weights
// stake·edge_load/load rounded down. It is neither exact nor
// order-independent and only handles the benchmark's magnitudes (it relies
// on stake·load < 2^64·approval); it exists to time the textbook
// integer method against Elect's incremental exact one. It returns the
// winners' indices in election order and their backings.
func fixedPointPhragmen(k int, cs []election.Candidate, vs []election.Voter) ([]int, []uint64) {
	const den = uint64(1) << 62
	type rvoter struct {
		stake   uint64
		load    uint64
		targets []int
		eload   []uint64
	}
	index := make(map[string]int, len(cs))
	for i, c := range cs {
		index[c.ID] = i
	}
	approval := make([]uint64, len(cs))
	voters := make([]rvoter, 0, len(cs)+len(vs))
	for i, c := range cs {
		if c.SelfBond > 0 {
			voters = append(voters, rvoter{stake: c.SelfBond, targets: []int{i}, eload: make([]uint64, 1)})
		}
	}
	for _, v := range vs {
		rv := rvoter{stake: v.Stake, eload: make([]uint64, len(v.Targets))}
		for _, t := range v.Targets {
			rv.targets = append(rv.targets, index[t])
		}
		voters = append(voters, rv)
	}
	for _, v := range voters {
		for _, t := range v.targets {
			approval[t] += v.stake
		}
	}
	elected := make([]bool, len(cs))
	score := make([]uint64, len(cs))
	var winners []int
	for round := 0; round < k; round++ {
		for c := range cs {
			if !elected[c] && approval[c] > 0 {
				score[c] = den / approval[c]
			}
		}
		for _, v := range voters {
			for _, t := range v.targets {
				if !elected[t] && approval[t] > 0 {
					hi, lo := bits.Mul64(v.load, v.stake)
					q, _ := bits.Div64(hi, lo, approval[t])
					score[t] += q
				}
			}
		}
		w := -1
		for c := range cs {
			if !elected[c] && approval[c] > 0 && (w < 0 || score[c] < score[w]) {
				w = c
			}
		}
		if w < 0 {
			break
		}
		elected[w] = true
		winners = append(winners, w)
		for i := range voters {
			v := &voters[i]
			for j, t := range v.targets {
				if t == w {
					v.eload[j] = score[w] - v.load
					v.load = score[w]
				}
			}
		}
	}
	backing := make([]uint64, len(cs))
	for _, v := range voters {
		for j, t := range v.targets {
			if elected[t] && v.load > 0 {
				hi, lo := bits.Mul64(v.stake, v.eload[j])
				q, _ := bits.Div64(hi, lo, v.load)
				backing[t] += q
			}
		}
	}
	out := make([]uint64, len(winners))
	for i, w := range winners {
		out[i] = backing[w]
	}
	return winners, out
}

// TestBenchReport prints the figures of bench/README.md ("election"):
// runs of the three variants interleaved, so that each figure and its
// reference share the same time windows on a shared machine, and their
// medians and ratios. GK_BENCH=1 enables it.
func TestBenchReport(t *testing.T) {
	if os.Getenv("GK_BENCH") == "" {
		t.Skip("set GK_BENCH=1 to run the election benchmark report")
	}
	cs, vs := benchWorkload()
	const runs = 15
	var full, plain, ref, fullCPU, plainCPU, refCPU []time.Duration
	var first election.Result
	for i := 0; i < runs; i++ {
		t0, c0 := time.Now(), cpuTime(t)
		res, err := election.Elect(election.Config{Winners: benchSeats, BalanceIterations: benchSweeps}, cs, vs)
		full, fullCPU = append(full, time.Since(t0)), append(fullCPU, cpuTime(t)-c0)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = res
			checkInvariants(t, election.Config{Winners: benchSeats}, cs, vs, res)
		} else if !slices.EqualFunc(res.Winners, first.Winners, func(a, b election.Winner) bool {
			return a.ID == b.ID && a.Backing == b.Backing
		}) {
			t.Fatal("two runs differ")
		}
		t0, c0 = time.Now(), cpuTime(t)
		if _, err := election.Elect(election.Config{Winners: benchSeats}, cs, vs); err != nil {
			t.Fatal(err)
		}
		plain, plainCPU = append(plain, time.Since(t0)), append(plainCPU, cpuTime(t)-c0)
		t0, c0 = time.Now(), cpuTime(t)
		refWinners, _ := fixedPointPhragmen(benchSeats, cs, vs)
		ref, refCPU = append(ref, time.Since(t0)), append(refCPU, cpuTime(t)-c0)
		if i == 0 {
			same := 0
			for j, w := range refWinners {
				if j < len(first.Winners) && cs[w].ID == first.Winners[j].ID {
					same++
				}
			}
			t.Logf("fixed-point reference elects the same candidate in the same round in %d of %d rounds", same, len(first.Winners))
		}
	}
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	minB := ^uint64(0)
	for _, w := range first.Winners {
		minB = min(minB, w.Backing)
	}
	t.Logf("workload: %d candidates, %d nominators × %d votes, %d seats, %d sweeps; %d runs",
		benchCandidates, benchNominators, election.MaxTargets, benchSeats, benchSweeps, runs)
	t.Logf("                                wall median   wall max   CPU median")
	t.Logf("Elect, 10 sweeps (headline)     %8.1f ms %8.1f ms  %8.1f ms", ms(med(full)), ms(slices.Max(full)), ms(med(fullCPU)))
	t.Logf("Elect, no balancing             %8.1f ms %8.1f ms  %8.1f ms", ms(med(plain)), ms(slices.Max(plain)), ms(med(plainCPU)))
	t.Logf("ref: fixed-point seq-Phragmén   %8.1f ms %8.1f ms  %8.1f ms", ms(med(ref)), ms(slices.Max(ref)), ms(med(refCPU)))
	t.Logf("ratios (wall medians): headline/ref %.3f, no-balancing/ref %.3f; (CPU medians): headline/ref %.3f, no-balancing/ref %.3f",
		ratio(med(full), med(ref)), ratio(med(plain), med(ref)), ratio(med(fullCPU), med(refCPU)), ratio(med(plainCPU), med(refCPU)))
	t.Logf("elected %d, minimum backing %d units", len(first.Winners), minB)
}

// cpuTime is the process's user+system CPU time: with GOMAXPROCS=1 it is
// the time the machine actually gave the measured code (and the GC), which
// wall time on a shared machine is not.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
