package election

import (
	"math/big"
	"slices"
)

// election is the canonical internal form: candidates sorted by ID (so a
// candidate's index order is its ID order), self-votes first in candidate
// order, then nominators sorted by ID.
type election struct {
	cands  []cand
	voters []voter
	// winners in election order (candidate indices).
	winners []int32
	// loads[r] is the score of the winner of round r-1 over the current
	// common denominator; loads[0] is the zero load every voter starts with.
	loads []*big.Int
	// backed is each candidate's backing during and after balancing.
	backed []uint64
}

type cand struct {
	id       string
	approval uint64
	elected  bool
	round    int
	// sum is Σ stake_v·load_v over the candidate's voters, times the
	// common denominator (an integer).
	sum    big.Int
	voters []int32
}

type voter struct {
	id      string
	self    int32 // candidate index of a self-vote, or notSelf
	stake   uint64
	targets []int32 // sorted candidate indices
	load    int32   // index into election.loads
	edges   []edge  // to winners, in election order
}

// edge is a voter's share in one winner: its load is
// loads[to] − loads[from], its weight the stake it exposes.
type edge struct {
	cand     int32
	from, to int32
	weight   uint64
}

// phragmen runs the k rounds of sequential Phragmén in exact arithmetic.
//
// Invariant at the start of a round: den = D, the product of the winners'
// approvals so far; loads[j] = (score of winner j)·D; cand.sum =
// D·Σ stake·load. Then score_c = (D + sum_c) / (D·A_c), so comparing two
// candidates needs only (D+sum_a)·A_b against (D+sum_b)·A_a.
func (e *election) phragmen(k int) {
	den := big.NewInt(1)
	e.loads = []*big.Int{new(big.Int)}
	var x, best, l, r, a, s, delta big.Int
	for round := 0; round < k; round++ {
		bi := int32(-1)
		var bestA uint64
		for ci := range e.cands {
			c := &e.cands[ci]
			if c.elected || c.approval == 0 {
				continue
			}
			x.Add(den, &c.sum)
			if bi >= 0 {
				l.Mul(&x, a.SetUint64(bestA))
				r.Mul(&best, a.SetUint64(c.approval))
				// Strictly lower only: on a tie the earlier, lower ID stays.
				if l.Cmp(&r) >= 0 {
					continue
				}
			}
			bi, bestA = int32(ci), c.approval
			best.Set(&x)
		}
		if bi < 0 {
			return // no approved candidate left
		}
		w := &e.cands[bi]
		w.elected, w.round = true, round
		e.winners = append(e.winners, bi)

		// Move everything to the new denominator D·A_w; the winner's score
		// (D+sum_w)/(D·A_w) is then exactly best over it.
		a.SetUint64(w.approval)
		den.Mul(den, &a)
		for _, ld := range e.loads[1:] {
			ld.Mul(ld, &a)
		}
		for ci := range e.cands {
			c := &e.cands[ci]
			if !c.elected && c.approval != 0 {
				c.sum.Mul(&c.sum, &a)
			}
		}
		e.loads = append(e.loads, new(big.Int).Set(&best))
		now := int32(len(e.loads) - 1)

		for _, vi := range w.voters {
			v := &e.voters[vi]
			delta.Sub(e.loads[now], e.loads[v.load])
			v.edges = append(v.edges, edge{cand: bi, from: v.load, to: now})
			v.load = now
			s.Mul(&delta, a.SetUint64(v.stake))
			for _, t := range v.targets {
				if c := &e.cands[t]; !c.elected {
					c.sum.Add(&c.sum, &s)
				}
			}
		}
	}
}

// assignWeights turns each voter's edge loads into whole-unit weights that
// sum to its stake: floor of stake·edge_load/load, then the leftover units
// to the largest remainders (ties to the lower candidate ID).
func (e *election) assignWeights() {
	e.backed = make([]uint64, len(e.cands))
	var num, q, total, st big.Int
	rems := make([]big.Int, MaxTargets)
	order := make([]int, 0, MaxTargets)
	for vi := range e.voters {
		v := &e.voters[vi]
		if len(v.edges) == 0 {
			continue
		}
		total.Set(e.loads[v.load])
		st.SetUint64(v.stake)
		var used uint64
		order = order[:0]
		for i := range v.edges {
			ed := &v.edges[i]
			num.Sub(e.loads[ed.to], e.loads[ed.from])
			num.Mul(&num, &st)
			q.QuoRem(&num, &total, &rems[i])
			ed.weight = q.Uint64() // ≤ stake
			used += ed.weight
			order = append(order, i)
		}
		short := v.stake - used // < len(edges)
		if short > 0 {
			slices.SortFunc(order, func(i, j int) int {
				if c := rems[j].Cmp(&rems[i]); c != 0 {
					return c
				}
				return int(v.edges[i].cand - v.edges[j].cand)
			})
			for _, i := range order[:short] {
				v.edges[i].weight++
			}
		}
		for _, ed := range v.edges {
			e.backed[ed.cand] += ed.weight
		}
	}
}
