package election

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Input bounds (see the package comment).
const (
	MaxCandidates              = 4096
	MaxVoters                  = 1 << 17
	MaxTargets                 = 16
	MaxIDLen                   = 128
	MaxBalanceIterations       = 100
	MaxTotalStake              = math.MaxInt64
	MaxWinners                 = 256
	notSelf              int32 = -1
)

// Candidate is one candidate. A positive SelfBond is a vote of that stake
// for the candidate alone; zero means no self-vote.
type Candidate struct {
	ID       string
	SelfBond uint64
}

// Voter is one nominator: its stake and the candidates it approves.
type Voter struct {
	ID      string
	Stake   uint64
	Targets []string
}

// Config is what the election is asked to do.
type Config struct {
	// Winners is the number of seats, k (1..MaxWinners).
	Winners int
	// BalanceIterations is the maximum number of balancing sweeps
	// (0..MaxBalanceIterations); 0 keeps the plain Phragmén exposures.
	BalanceIterations int
	// Tolerance stops balancing early: a sweep in which no voter's
	// imbalance exceeds it is the last, and a voter whose imbalance is
	// below it is left alone. 0 runs every sweep.
	Tolerance uint64
}

// DefaultConfig is the configuration of the benchmarks: 100 seats and 10
// balancing sweeps, as issue 17 measures.
func DefaultConfig() Config {
	return Config{Winners: 100, BalanceIterations: 10}
}

// Validate checks the config's own bounds.
func (c Config) Validate() error {
	if c.Winners < 1 || c.Winners > MaxWinners {
		return fmt.Errorf("%w: winners %d not in [1, %d]", ErrConfig, c.Winners, MaxWinners)
	}
	if c.BalanceIterations < 0 || c.BalanceIterations > MaxBalanceIterations {
		return fmt.Errorf("%w: balance_iterations %d not in [0, %d]", ErrConfig, c.BalanceIterations, MaxBalanceIterations)
	}
	return nil
}

// Exposure is an amount of stake one account puts behind another: in a
// Winner, a nominator's stake behind the winner; in an Assignment, the
// voter's stake behind a winner.
type Exposure struct {
	Who    string
	Amount uint64
}

// Winner is an elected candidate.
type Winner struct {
	ID string
	// Round is the 0-based round in which the candidate was elected.
	Round int
	// Backing is Own plus the sum of Others.
	Backing uint64
	// Own is the candidate's self-bond (all of it backs the candidate).
	Own uint64
	// Others are the nominators' exposures, sorted by voter ID, zero
	// amounts omitted.
	Others []Exposure
}

// Assignment is one voter's distribution of its stake over winners,
// sorted by candidate ID, zero amounts omitted. Amounts sum to the voter's
// stake exactly.
type Assignment struct {
	Voter     string
	Exposures []Exposure
}

// Result is the outcome of an election.
type Result struct {
	// Winners in the order they were elected (at most Config.Winners).
	Winners []Winner
	// Assignments of every voter approving at least one winner, sorted
	// by voter ID. Voters approving no winner are absent: nothing of
	// theirs is exposed.
	Assignments []Assignment
	// BalanceSweeps is the number of balancing sweeps run.
	BalanceSweeps int
}

// Elect runs sequential Phragmén with balancing. It returns an error
// wrapping one of the package's sentinel errors for refused input, and the
// same Result for every permutation of candidates, voters and targets.
func Elect(cfg Config, candidates []Candidate, voters []Voter) (Result, error) {
	e, err := newElection(cfg, candidates, voters)
	if err != nil {
		return Result{}, err
	}
	e.phragmen(cfg.Winners)
	e.assignWeights()
	sweeps := e.balance(cfg.BalanceIterations, cfg.Tolerance)
	res := e.result()
	res.BalanceSweeps = sweeps
	return res, nil
}

func validID(id string) bool { return len(id) >= 1 && len(id) <= MaxIDLen }

// newElection validates the input and builds the canonical (ID-sorted)
// internal form. Validation is complete before anything big is allocated
// beyond the bounded copies.
func newElection(cfg Config, candidates []Candidate, voters []Voter) (*election, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(candidates) > MaxCandidates {
		return nil, fmt.Errorf("%w: %d > %d", ErrTooManyCandidates, len(candidates), MaxCandidates)
	}
	if len(voters) > MaxVoters {
		return nil, fmt.Errorf("%w: %d > %d", ErrTooManyVoters, len(voters), MaxVoters)
	}
	cs := slices.Clone(candidates)
	slices.SortFunc(cs, func(a, b Candidate) int { return strings.Compare(a.ID, b.ID) })
	var total uint64
	addStake := func(s uint64) bool {
		if s > MaxTotalStake-total {
			return false
		}
		total += s
		return true
	}
	for i, c := range cs {
		if !validID(c.ID) {
			return nil, fmt.Errorf("%w: candidate id of %d bytes, want 1..%d", ErrBadID, len(c.ID), MaxIDLen)
		}
		if i > 0 && cs[i-1].ID == c.ID {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateCandidate, c.ID)
		}
		if !addStake(c.SelfBond) {
			return nil, fmt.Errorf("%w: at candidate %q", ErrStakeOverflow, c.ID)
		}
	}
	candIndex := func(id string) int32 {
		i, ok := slices.BinarySearchFunc(cs, id, func(c Candidate, id string) int { return strings.Compare(c.ID, id) })
		if !ok {
			return -1
		}
		return int32(i)
	}
	vs := slices.Clone(voters)
	slices.SortFunc(vs, func(a, b Voter) int { return strings.Compare(a.ID, b.ID) })
	for i, v := range vs {
		if !validID(v.ID) {
			return nil, fmt.Errorf("%w: voter id of %d bytes, want 1..%d", ErrBadID, len(v.ID), MaxIDLen)
		}
		if i > 0 && vs[i-1].ID == v.ID {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateVoter, v.ID)
		}
		if v.Stake == 0 {
			return nil, fmt.Errorf("%w: %q", ErrZeroStake, v.ID)
		}
		if len(v.Targets) < 1 || len(v.Targets) > MaxTargets {
			return nil, fmt.Errorf("%w: voter %q has %d, want 1..%d", ErrTargets, v.ID, len(v.Targets), MaxTargets)
		}
		if !addStake(v.Stake) {
			return nil, fmt.Errorf("%w: at voter %q", ErrStakeOverflow, v.ID)
		}
	}

	e := &election{cands: make([]cand, len(cs))}
	for i, c := range cs {
		e.cands[i].id = c.ID
		if c.SelfBond > 0 {
			e.voters = append(e.voters, voter{self: int32(i), stake: c.SelfBond, targets: []int32{int32(i)}})
		}
	}
	for _, v := range vs {
		ts := make([]int32, len(v.Targets))
		for j, t := range v.Targets {
			ci := candIndex(t)
			if ci < 0 {
				return nil, fmt.Errorf("%w: voter %q approves %q", ErrUnknownTarget, v.ID, t)
			}
			ts[j] = ci
		}
		slices.Sort(ts)
		for j := 1; j < len(ts); j++ {
			if ts[j] == ts[j-1] {
				return nil, fmt.Errorf("%w: voter %q approves %q twice", ErrDuplicateTarget, v.ID, cs[ts[j]].ID)
			}
		}
		e.voters = append(e.voters, voter{id: v.ID, self: notSelf, stake: v.Stake, targets: ts})
	}
	for vi := range e.voters {
		v := &e.voters[vi]
		for _, t := range v.targets {
			c := &e.cands[t]
			c.approval += v.stake // cannot overflow: total stake is bounded
			c.voters = append(c.voters, int32(vi))
		}
	}
	return e, nil
}
