package election

import (
	"math/bits"
	"slices"
)

// balance runs up to iterations sweeps of star balancing over the voters
// in canonical order and returns how many it ran.
func (e *election) balance(iterations int, tolerance uint64) int {
	order := make([]int, 0, MaxTargets)
	for it := 1; it <= iterations; it++ {
		var maxDiff uint64
		for vi := range e.voters {
			if d := e.balanceVoter(&e.voters[vi], tolerance, order); d > maxDiff {
				maxDiff = d
			}
		}
		if maxDiff <= tolerance {
			return it
		}
	}
	return iterations
}

// balanceVoter spreads one voter's stake over its winners by water
// filling: its stake is taken back, and its least-backed winners are
// raised to the highest common level the stake reaches. It returns the
// voter's imbalance before the step: the spread between the most-backed
// winner it funds and its least-backed winner.
func (e *election) balanceVoter(v *voter, tolerance uint64, order []int) uint64 {
	es := v.edges
	if len(es) <= 1 {
		return 0
	}
	var maxB uint64
	minB := ^uint64(0)
	funded := false
	for _, ed := range es {
		b := e.backed[ed.cand]
		minB = min(minB, b)
		if ed.weight > 0 {
			funded = true
			maxB = max(maxB, b)
		}
	}
	diff := v.stake
	if funded {
		diff = maxB - minB
		if diff < tolerance {
			return diff
		}
	}
	for i := range es {
		e.backed[es[i].cand] -= es[i].weight
		es[i].weight = 0
	}
	order = order[:0]
	for i := range es {
		order = append(order, i)
	}
	slices.SortFunc(order, func(i, j int) int {
		bi, bj := e.backed[es[i].cand], e.backed[es[j].cand]
		switch {
		case bi < bj:
			return -1
		case bi > bj:
			return 1
		}
		return int(es[i].cand - es[j].cand)
	})
	// Raise the first i+1 edges to the backing of edge i while the stake
	// covers it: cost i·b_i − Σ_{j<i} b_j. Sums stay below 2^64 because the
	// total stake is at most MaxTotalStake.
	var cum uint64
	last := len(order) - 1
	for i, idx := range order {
		b := e.backed[es[idx].cand]
		hi, lo := bits.Mul64(uint64(i), b)
		if hi != 0 || lo-cum > v.stake {
			last = i - 1
			break
		}
		cum += b
	}
	ways := uint64(last + 1)
	level := e.backed[es[order[last]].cand]
	excess := v.stake + cum - level*ways
	base, rem := excess/ways, excess%ways
	for i, idx := range order[:ways] {
		c := es[idx].cand
		w := base + level - e.backed[c]
		if uint64(i) < rem {
			w++
		}
		es[idx].weight = w
		e.backed[c] += w
	}
	return diff
}
