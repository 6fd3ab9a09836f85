package election_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

func mustElect(t *testing.T, cfg election.Config, cs []election.Candidate, vs []election.Voter) election.Result {
	t.Helper()
	res, err := election.Elect(cfg, cs, vs)
	if err != nil {
		t.Fatalf("Elect: %v", err)
	}
	checkInvariants(t, cfg, cs, vs, res)
	return res
}

// TestClassicExample is the example of the Phragmén literature used by
// the W3F reference implementation and Polkadot's tests: voters A (10)
// approving X,Y; B (20) approving X,Z; C (30) approving Y,Z; two seats.
//
// By hand. Round 1: approvals X=30, Y=40, Z=50; scores 1/30, 1/40, 1/50:
// Z wins at 1/50, loads B=C=1/50. Round 2:
// X = (1 + 20·1/50)/30 = 1.4/30 = 7/150; Y = (1 + 30·1/50)/40 = 1.6/40 =
// 6/150; Y wins at 1/25, loads A = 1/25 (edge 1/25), C = 1/25 (edge Y
// 1/25 − 1/50 = 1/50). Weights: A→Y 10; B→Z 20; C→Z 30·(1/50)/(1/25) = 15,
// C→Y 15. Backings Z 35, Y 25.
//
// Balancing C (the only voter with two winners): without C, Y=10, Z=20;
// C's 30 raises Y to 20 (cost 10) and then both to 30: C→Y 20, C→Z 10,
// backings 30 and 30.
func TestClassicExample(t *testing.T) {
	t.Parallel()
	cs := []election.Candidate{{ID: "X"}, {ID: "Y"}, {ID: "Z"}}
	vs := []election.Voter{
		{ID: "A", Stake: 10, Targets: []string{"X", "Y"}},
		{ID: "B", Stake: 20, Targets: []string{"X", "Z"}},
		{ID: "C", Stake: 30, Targets: []string{"Y", "Z"}},
	}
	tests := []struct {
		name  string
		iters int
		want  election.Result
	}{
		{"phragmen", 0, election.Result{
			Winners: []election.Winner{
				{ID: "Z", Round: 0, Backing: 35, Others: []election.Exposure{{"B", 20}, {"C", 15}}},
				{ID: "Y", Round: 1, Backing: 25, Others: []election.Exposure{{"A", 10}, {"C", 15}}},
			},
			Assignments: []election.Assignment{
				{Voter: "A", Exposures: []election.Exposure{{"Y", 10}}},
				{Voter: "B", Exposures: []election.Exposure{{"Z", 20}}},
				{Voter: "C", Exposures: []election.Exposure{{"Y", 15}, {"Z", 15}}},
			},
		}},
		{"balanced", 2, election.Result{
			Winners: []election.Winner{
				{ID: "Z", Round: 0, Backing: 30, Others: []election.Exposure{{"B", 20}, {"C", 10}}},
				{ID: "Y", Round: 1, Backing: 30, Others: []election.Exposure{{"A", 10}, {"C", 20}}},
			},
			Assignments: []election.Assignment{
				{Voter: "A", Exposures: []election.Exposure{{"Y", 10}}},
				{Voter: "B", Exposures: []election.Exposure{{"Z", 20}}},
				{Voter: "C", Exposures: []election.Exposure{{"Y", 20}, {"Z", 10}}},
			},
			BalanceSweeps: 2,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustElect(t, election.Config{Winners: 2, BalanceIterations: tt.iters}, cs, vs)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestSelfBondAndRounding: candidates a (self-bond 5), b, c; voters
// v1 (10) approving a,b; v2 (7) approving b,c; v3 (3) approving c; two
// seats.
//
// By hand. Round 1: approvals a = 5+10 = 15, b = 10+7 = 17, c = 7+3 = 10;
// b wins at 1/17; loads v1 = v2 = 1/17 = 5/85. Round 2:
// a = (1 + 10·1/17)/15 = 27/255 = 9/85; c = (1 + 7·1/17)/10 = 12/85;
// a wins at 9/85; loads self(a) = 9/85, v1 = 9/85 (edge a = 4/85).
// Weights: v1→b 10·5/9 = 5 rem 5/9, v1→a 10·4/9 = 4 rem 4/9; one unit
// left goes to the larger remainder, b: v1→b 6, v1→a 4. v2→b 7 (c lost),
// v3 exposes nothing, a's own 5. Backings a = 9, b = 13.
//
// Balancing v1: without it a = 5, b = 7; its 10 raise a to 7 (cost 2)
// and the remaining 8 split evenly: v1→a 6, v1→b 4; a = b = 11.
func TestSelfBondAndRounding(t *testing.T) {
	t.Parallel()
	cs := []election.Candidate{{ID: "a", SelfBond: 5}, {ID: "b"}, {ID: "c"}}
	vs := []election.Voter{
		{ID: "v1", Stake: 10, Targets: []string{"a", "b"}},
		{ID: "v2", Stake: 7, Targets: []string{"b", "c"}},
		{ID: "v3", Stake: 3, Targets: []string{"c"}},
	}
	got := mustElect(t, election.Config{Winners: 2}, cs, vs)
	want := election.Result{
		Winners: []election.Winner{
			{ID: "b", Round: 0, Backing: 13, Others: []election.Exposure{{"v1", 6}, {"v2", 7}}},
			{ID: "a", Round: 1, Backing: 9, Own: 5, Others: []election.Exposure{{"v1", 4}}},
		},
		Assignments: []election.Assignment{
			{Voter: "v1", Exposures: []election.Exposure{{"a", 4}, {"b", 6}}},
			{Voter: "v2", Exposures: []election.Exposure{{"b", 7}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("phragmen:\ngot  %+v\nwant %+v", got, want)
	}
	got = mustElect(t, election.Config{Winners: 2, BalanceIterations: 1}, cs, vs)
	want.Winners[0].Backing, want.Winners[0].Others[0].Amount = 11, 4
	want.Winners[1].Backing, want.Winners[1].Others[0].Amount = 11, 6
	want.Assignments[0].Exposures = []election.Exposure{{"a", 6}, {"b", 4}}
	want.BalanceSweeps = 1
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("balanced:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestTiesAndUnapproved(t *testing.T) {
	t.Parallel()
	// "b" and "a" have equal approval (5): the lower ID wins the seat.
	// "z" has no approval and is never elected, even with a seat free.
	cs := []election.Candidate{{ID: "b"}, {ID: "z"}, {ID: "a"}}
	vs := []election.Voter{
		{ID: "v", Stake: 5, Targets: []string{"b"}},
		{ID: "w", Stake: 5, Targets: []string{"a"}},
	}
	got := mustElect(t, election.Config{Winners: 1}, cs, vs)
	if len(got.Winners) != 1 || got.Winners[0].ID != "a" {
		t.Fatalf("tie: got %+v, want a", got.Winners)
	}
	got = mustElect(t, election.Config{Winners: 3}, cs, vs)
	if len(got.Winners) != 2 || got.Winners[0].ID != "a" || got.Winners[1].ID != "b" {
		t.Fatalf("unapproved: got %+v, want a, b only", got.Winners)
	}
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	got := mustElect(t, election.Config{Winners: 3}, nil, nil)
	if len(got.Winners) != 0 || len(got.Assignments) != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestRefusedInput(t *testing.T) {
	t.Parallel()
	ok := election.Config{Winners: 1}
	cs := []election.Candidate{{ID: "a"}, {ID: "b"}}
	v := func(id string, stake uint64, ts ...string) election.Voter {
		return election.Voter{ID: id, Stake: stake, Targets: ts}
	}
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('A' + i))
		}
		return out
	}
	manyCands := func(n int) []election.Candidate {
		out := make([]election.Candidate, n)
		for i := range out {
			out[i] = election.Candidate{ID: string(rune('A' + i))}
		}
		return out
	}
	tests := []struct {
		name string
		cfg  election.Config
		cs   []election.Candidate
		vs   []election.Voter
		want error
	}{
		{"zero winners", election.Config{}, cs, nil, election.ErrConfig},
		{"too many winners", election.Config{Winners: election.MaxWinners + 1}, cs, nil, election.ErrConfig},
		{"negative balancing", election.Config{Winners: 1, BalanceIterations: -1}, cs, nil, election.ErrConfig},
		{"too much balancing", election.Config{Winners: 1, BalanceIterations: election.MaxBalanceIterations + 1}, cs, nil, election.ErrConfig},
		{"too many candidates", ok, make([]election.Candidate, election.MaxCandidates+1), nil, election.ErrTooManyCandidates},
		{"too many voters", ok, cs, make([]election.Voter, election.MaxVoters+1), election.ErrTooManyVoters},
		{"empty candidate id", ok, []election.Candidate{{ID: ""}}, nil, election.ErrBadID},
		{"long candidate id", ok, []election.Candidate{{ID: strings.Repeat("x", election.MaxIDLen+1)}}, nil, election.ErrBadID},
		{"duplicate candidate", ok, []election.Candidate{{ID: "a"}, {ID: "b"}, {ID: "a", SelfBond: 1}}, nil, election.ErrDuplicateCandidate},
		{"empty voter id", ok, cs, []election.Voter{v("", 1, "a")}, election.ErrBadID},
		{"long voter id", ok, cs, []election.Voter{v(strings.Repeat("y", election.MaxIDLen+1), 1, "a")}, election.ErrBadID},
		{"duplicate voter", ok, cs, []election.Voter{v("v", 1, "a"), v("w", 1, "a"), v("v", 2, "b")}, election.ErrDuplicateVoter},
		{"zero stake", ok, cs, []election.Voter{v("v", 0, "a")}, election.ErrZeroStake},
		{"no targets", ok, cs, []election.Voter{v("v", 1)}, election.ErrTargets},
		{"17 targets", ok, manyCands(17), []election.Voter{v("v", 1, many(17)...)}, election.ErrTargets},
		{"duplicate target", ok, cs, []election.Voter{v("v", 1, "a", "b", "a")}, election.ErrDuplicateTarget},
		{"unknown target", ok, cs, []election.Voter{v("v", 1, "a", "c")}, election.ErrUnknownTarget},
		{"stake overflow", ok, cs, []election.Voter{v("v", election.MaxTotalStake, "a"), v("w", 1, "b")}, election.ErrStakeOverflow},
		{"self-bond overflow", ok, []election.Candidate{{ID: "a", SelfBond: election.MaxTotalStake}, {ID: "b", SelfBond: 1}}, nil, election.ErrStakeOverflow},
		{"voter overflow after self-bond", ok, []election.Candidate{{ID: "a", SelfBond: election.MaxTotalStake}}, []election.Voter{v("v", 1, "a")}, election.ErrStakeOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := election.Elect(tt.cfg, tt.cs, tt.vs)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// 16 targets and the stake limit itself are accepted.
	if _, err := election.Elect(ok, manyCands(16), []election.Voter{v("v", election.MaxTotalStake, many(16)...)}); err != nil {
		t.Fatalf("16 targets at MaxTotalStake: %v", err)
	}
}
