package election_test

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

// refVoter is a voter of the reference: nominators keyed "v:"+ID and
// self-votes "s:"+candidate ID.
type refVoter struct {
	key     string
	stake   int64
	targets []string
}

type refResult struct {
	winners []string
	// weight[voter key][candidate] is the exact Phragmén weight.
	weight map[string]map[string]*big.Rat
}

func refVoters(cs []election.Candidate, vs []election.Voter) []refVoter {
	var out []refVoter
	for _, c := range cs {
		if c.SelfBond > 0 {
			out = append(out, refVoter{"s:" + c.ID, int64(c.SelfBond), []string{c.ID}})
		}
	}
	for _, v := range vs {
		out = append(out, refVoter{"v:" + v.ID, int64(v.Stake), v.Targets})
	}
	return out
}

// refPhragmen is sequential Phragmén as the literature states it, in
// math/big.Rat, recomputing every score from scratch each round:
// score_c = (1 + Σ stake_v·load_v)/approval_c, lowest score wins (ties to
// the lower ID), the winner's voters' loads become its score. It shares no
// code or representation with the package.
func refPhragmen(k int, cs []election.Candidate, vs []election.Voter) refResult {
	voters := refVoters(cs, vs)
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	approval := map[string]*big.Rat{}
	for _, id := range ids {
		approval[id] = new(big.Rat)
	}
	for _, v := range voters {
		for _, tg := range v.targets {
			approval[tg].Add(approval[tg], big.NewRat(v.stake, 1))
		}
	}
	load := map[string]*big.Rat{}
	edgeLoad := map[string]map[string]*big.Rat{}
	for _, v := range voters {
		load[v.key] = new(big.Rat)
		edgeLoad[v.key] = map[string]*big.Rat{}
	}
	elected := map[string]bool{}
	var res refResult
	for round := 0; round < k; round++ {
		best, bestScore := "", (*big.Rat)(nil)
		for _, c := range ids {
			if elected[c] || approval[c].Sign() == 0 {
				continue
			}
			score := big.NewRat(1, 1)
			for _, v := range voters {
				if slices.Contains(v.targets, c) {
					score.Add(score, new(big.Rat).Mul(big.NewRat(v.stake, 1), load[v.key]))
				}
			}
			score.Quo(score, approval[c])
			if bestScore == nil || score.Cmp(bestScore) < 0 {
				best, bestScore = c, score
			}
		}
		if bestScore == nil {
			break
		}
		elected[best] = true
		res.winners = append(res.winners, best)
		for _, v := range voters {
			if slices.Contains(v.targets, best) {
				edgeLoad[v.key][best] = new(big.Rat).Sub(bestScore, load[v.key])
				load[v.key] = bestScore
			}
		}
	}
	res.weight = map[string]map[string]*big.Rat{}
	for _, v := range voters {
		if load[v.key].Sign() == 0 {
			continue
		}
		res.weight[v.key] = map[string]*big.Rat{}
		for c, el := range edgeLoad[v.key] {
			w := new(big.Rat).Mul(big.NewRat(v.stake, 1), el)
			res.weight[v.key][c] = w.Quo(w, load[v.key])
		}
	}
	return res
}

// randomInstance draws candidates, voters, stakes and approval sets.
// Small stake ranges make exact ties frequent, large ones make them rare.
func randomInstance(r *rand.Rand, maxCands, maxVoters int) (election.Config, []election.Candidate, []election.Voter) {
	nc := 1 + r.IntN(maxCands)
	nv := r.IntN(maxVoters + 1)
	stakeMax := []uint64{3, 100, 1 << 40}[r.IntN(3)]
	cs := make([]election.Candidate, nc)
	for i := range cs {
		cs[i].ID = fmt.Sprintf("c%03d", r.IntN(1000*nc)) // distinct below
		cs[i].ID = fmt.Sprintf("%s-%d", cs[i].ID, i)
		if r.IntN(3) == 0 {
			cs[i].SelfBond = 1 + r.Uint64N(stakeMax)
		}
	}
	vs := make([]election.Voter, nv)
	for i := range vs {
		vs[i].ID = fmt.Sprintf("v%d", i)
		vs[i].Stake = 1 + r.Uint64N(stakeMax)
		nt := 1 + r.IntN(min(nc, election.MaxTargets))
		for _, j := range r.Perm(nc)[:nt] {
			vs[i].Targets = append(vs[i].Targets, cs[j].ID)
		}
	}
	cfg := election.Config{Winners: 1 + r.IntN(nc+1), BalanceIterations: r.IntN(4)}
	return cfg, cs, vs
}

// TestAgainstRationalReference runs the package and the Rat reference on
// random instances: the winners and their order agree exactly, and before
// balancing every exposure is within one token unit of the exact weight
// (the largest-remainder rounding moves each by less than one).
func TestAgainstRationalReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(17, 1))
	n := 400
	if testing.Short() {
		n = 100
	}
	for i := 0; i < n; i++ {
		cfg, cs, vs := randomInstance(r, 12, 25)
		cfg.BalanceIterations = 0
		got := mustElect(t, cfg, cs, vs)
		ref := refPhragmen(cfg.Winners, cs, vs)
		var ids []string
		for _, w := range got.Winners {
			ids = append(ids, w.ID)
		}
		if !slices.Equal(ids, ref.winners) {
			t.Fatalf("instance %d: winners %v, reference %v", i, ids, ref.winners)
		}
		exposed := map[string]map[string]uint64{}
		for _, a := range got.Assignments {
			exposed["v:"+a.Voter] = map[string]uint64{}
			for _, x := range a.Exposures {
				exposed["v:"+a.Voter][x.Who] = x.Amount
			}
		}
		for _, w := range got.Winners {
			if w.Own > 0 {
				exposed["s:"+w.ID] = map[string]uint64{w.ID: w.Own}
			}
		}
		if len(exposed) != len(ref.weight) {
			t.Fatalf("instance %d: %d exposed voters, reference %d", i, len(exposed), len(ref.weight))
		}
		one := big.NewRat(1, 1)
		for key, ws := range ref.weight {
			for c, exact := range ws {
				diff := new(big.Rat).Sub(new(big.Rat).SetUint64(exposed[key][c]), exact)
				if diff.Abs(diff).Cmp(one) >= 0 {
					t.Fatalf("instance %d: %s→%s exposed %d, exact %s", i, key, c, exposed[key][c], exact.RatString())
				}
			}
		}
	}
}
