package election_test

import (
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

// checkInvariants checks what every Result promises: at most k winners,
// each approved and backed by exactly its own plus others' exposures,
// every assignment summing to its voter's stake and naming only winners
// the voter approves, and both views of the exposures agreeing.
func checkInvariants(t *testing.T, cfg election.Config, cs []election.Candidate, vs []election.Voter, res election.Result) {
	t.Helper()
	if len(res.Winners) > cfg.Winners {
		t.Fatalf("%d winners > k = %d", len(res.Winners), cfg.Winners)
	}
	self := map[string]uint64{}
	for _, c := range cs {
		self[c.ID] = c.SelfBond
	}
	voter := map[string]election.Voter{}
	for _, v := range vs {
		voter[v.ID] = v
	}
	approved := map[string]bool{}
	for _, v := range vs {
		for _, tg := range v.Targets {
			approved[tg] = true
		}
	}
	won := map[string]bool{}
	fromWinners := map[[2]string]uint64{}
	for i, w := range res.Winners {
		if won[w.ID] {
			t.Fatalf("%q elected twice", w.ID)
		}
		won[w.ID] = true
		if w.Round != i {
			t.Fatalf("winner %d has round %d", i, w.Round)
		}
		if !approved[w.ID] && self[w.ID] == 0 {
			t.Fatalf("%q elected without approval", w.ID)
		}
		if w.Own != self[w.ID] {
			t.Fatalf("%q own %d, self-bond %d", w.ID, w.Own, self[w.ID])
		}
		sum := w.Own
		for j, o := range w.Others {
			if o.Amount == 0 {
				t.Fatalf("%q zero exposure listed", w.ID)
			}
			if j > 0 && strings.Compare(w.Others[j-1].Who, o.Who) >= 0 {
				t.Fatalf("%q others not sorted", w.ID)
			}
			sum += o.Amount
			fromWinners[[2]string{o.Who, w.ID}] = o.Amount
		}
		if sum != w.Backing {
			t.Fatalf("%q backing %d, exposures sum %d", w.ID, w.Backing, sum)
		}
	}
	seen := 0
	for i, a := range res.Assignments {
		if i > 0 && strings.Compare(res.Assignments[i-1].Voter, a.Voter) >= 0 {
			t.Fatalf("assignments not sorted")
		}
		v, ok := voter[a.Voter]
		if !ok {
			t.Fatalf("assignment of unknown voter %q", a.Voter)
		}
		var sum uint64
		for j, x := range a.Exposures {
			if j > 0 && strings.Compare(a.Exposures[j-1].Who, x.Who) >= 0 {
				t.Fatalf("%q exposures not sorted", a.Voter)
			}
			if !won[x.Who] || !contains(v.Targets, x.Who) || x.Amount == 0 {
				t.Fatalf("%q exposed %d to %q (winner %v)", a.Voter, x.Amount, x.Who, won[x.Who])
			}
			if fromWinners[[2]string{a.Voter, x.Who}] != x.Amount {
				t.Fatalf("views disagree on %q→%q", a.Voter, x.Who)
			}
			sum += x.Amount
			seen++
		}
		if sum != v.Stake {
			t.Fatalf("%q exposed %d, stake %d", a.Voter, sum, v.Stake)
		}
	}
	if seen != len(fromWinners) {
		t.Fatalf("winners list %d exposures, assignments %d", len(fromWinners), seen)
	}
	// A voter approving a winner has an assignment.
	for _, v := range vs {
		for _, tg := range v.Targets {
			if won[tg] && !hasAssignment(res, v.ID) {
				t.Fatalf("%q approves winner %q but has no assignment", v.ID, tg)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func hasAssignment(res election.Result, id string) bool {
	for _, a := range res.Assignments {
		if a.Voter == id {
			return true
		}
	}
	return false
}
