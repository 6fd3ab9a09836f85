package election_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

// TestWorstCaseReport times the election at the package's bounds:
// MaxCandidates candidates, MaxVoters voters with MaxTargets targets each,
// MaxWinners seats, stakes as large as MaxTotalStake allows, and
// MaxBalanceIterations sweeps. GK_BENCH=1 enables it.
func TestWorstCaseReport(t *testing.T) {
	if os.Getenv("GK_BENCH") == "" {
		t.Skip("set GK_BENCH=1 to run the worst-case report")
	}
	r := rand.New(rand.NewPCG(1, 1))
	cs := make([]election.Candidate, election.MaxCandidates)
	for i := range cs {
		cs[i] = election.Candidate{ID: fmt.Sprintf("c%05d", i)}
	}
	vs := make([]election.Voter, election.MaxVoters)
	per := uint64(election.MaxTotalStake) / uint64(len(vs))
	for i := range vs {
		var ts []string
		for _, j := range r.Perm(len(cs))[:election.MaxTargets] {
			ts = append(ts, cs[j].ID)
		}
		vs[i] = election.Voter{ID: fmt.Sprintf("v%06d", i), Stake: per/2 + r.Uint64N(per/2), Targets: ts}
	}
	cfg := election.Config{Winners: election.MaxWinners, BalanceIterations: election.MaxBalanceIterations}
	t0, c0 := time.Now(), cpuTime(t)
	res, err := election.Elect(cfg, cs, vs)
	wall, cpu := time.Since(t0), cpuTime(t)-c0
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worst case: %d candidates, %d voters × %d, %d seats, %d sweeps: wall %v, CPU %v, %d sweeps run",
		len(cs), len(vs), election.MaxTargets, cfg.Winners, cfg.BalanceIterations, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), res.BalanceSweeps)
}
