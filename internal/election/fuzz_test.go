package election_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

var sentinels = []error{
	election.ErrConfig, election.ErrTooManyCandidates, election.ErrTooManyVoters,
	election.ErrBadID, election.ErrDuplicateCandidate, election.ErrDuplicateVoter,
	election.ErrZeroStake, election.ErrTargets, election.ErrDuplicateTarget,
	election.ErrUnknownTarget, election.ErrStakeOverflow,
}

// fuzzInput turns bytes into an election input that is often invalid:
// IDs come from a small alphabet (so duplicates and unknown targets
// occur), stakes can be zero or near MaxTotalStake, target counts can
// exceed MaxTargets, and the config can be out of bounds.
func fuzzInput(data []byte) (election.Config, []election.Candidate, []election.Voter) {
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	id := func() string {
		b := next()
		if b%32 == 31 {
			return ""
		}
		return string(rune('a' + b%20))
	}
	stake := func() uint64 {
		b := next()
		if b >= 250 {
			return election.MaxTotalStake - uint64(255-b)
		}
		return uint64(b)
	}
	cfg := election.Config{Winners: int(next()%10) - 1, BalanceIterations: int(next() % 5), Tolerance: uint64(next() % 3)}
	var cs []election.Candidate
	var vs []election.Voter
	for len(data) > 0 {
		if next()%2 == 0 {
			cs = append(cs, election.Candidate{ID: id(), SelfBond: stake()})
			continue
		}
		v := election.Voter{ID: "V" + id(), Stake: stake()}
		for n := int(next() % 19); n > 0; n-- {
			v.Targets = append(v.Targets, id())
		}
		vs = append(vs, v)
	}
	return cfg, cs, vs
}

// FuzzElect: any input is either refused with one of the package's
// errors or elected with every invariant holding, and the same input in
// reverse order gives the same result.
func FuzzElect(f *testing.F) {
	f.Add([]byte{3, 1, 0, 0, 1, 0, 2, 0, 3, 1, 1, 10, 2, 0, 1, 1, 2, 20, 2, 0, 2, 1, 3, 30, 2, 1, 2})
	f.Add([]byte{2, 2, 0, 0, 0, 5, 0, 1, 0, 1, 2, 10, 2, 0, 1, 1, 3, 7, 2, 1, 2})
	f.Add([]byte{9, 4, 2, 1, 0, 0, 1, 255, 1, 0, 1, 1, 250, 1, 1})
	f.Add([]byte{1, 0, 0, 1, 0, 0, 18, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		cfg, cs, vs := fuzzInput(data)
		res, err := election.Elect(cfg, cs, vs)
		if err != nil {
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		checkInvariants(t, cfg, cs, vs, res)
		slices.Reverse(cs)
		slices.Reverse(vs)
		again, err := election.Elect(cfg, cs, vs)
		if err != nil || !reflect.DeepEqual(res, again) {
			t.Fatalf("reversed input: err %v, equal %v", err, reflect.DeepEqual(res, again))
		}
	})
}
