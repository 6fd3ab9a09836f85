package election_test

import (
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/election"
)

// The classic example (see TestClassicExample for the arithmetic).
func ExampleElect() {
	res, err := election.Elect(
		election.Config{Winners: 2, BalanceIterations: 2},
		[]election.Candidate{{ID: "X"}, {ID: "Y"}, {ID: "Z"}},
		[]election.Voter{
			{ID: "A", Stake: 10, Targets: []string{"X", "Y"}},
			{ID: "B", Stake: 20, Targets: []string{"X", "Z"}},
			{ID: "C", Stake: 30, Targets: []string{"Y", "Z"}},
		})
	if err != nil {
		panic(err)
	}
	for _, w := range res.Winners {
		fmt.Println(w.ID, w.Backing, w.Others)
	}
	// Output:
	// Z 30 [{B 20} {C 10}]
	// Y 30 [{A 10} {C 20}]
}
