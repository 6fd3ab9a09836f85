package keeper_test

import (
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// A genesis vote on a topic no module handles would panic when it reached
// quorum; InitGenesis refuses it instead.
func TestInitGenesisRejectsUnroutedVote(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := gkMsg(0, "x")
	m.Topic = "nobody/handles"
	body, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gs := types.DefaultGenesisState()
	gs.Votes = []types.GatekeeperVote{{Seq: 0, Signer: pub(f.gks[0]), Body: body}}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the genesis is well-formed apart from its route: %v", err)
	}
	if err := f.k.InitGenesis(f.ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("InitGenesis = %v, want ErrInvalidGenesis", err)
	}
}
