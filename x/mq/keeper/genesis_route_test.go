package keeper_test

import (
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// A genesis vote on a topic no module handles would panic when it reached
// quorum, and its task could never be answered; InitGenesis refuses them.
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
	gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: m.Topic}}
	gs.NextTask = 1
	gs.Votes = []types.GatekeeperVote{{Seq: 0, Signer: pub(f.gks[0]), Body: body}}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the genesis is well-formed apart from its route: %v", err)
	}
	if err := f.k.InitGenesis(f.ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("InitGenesis = %v, want ErrInvalidGenesis", err)
	}
}

// A task whose reply topic does not take gatekeeper messages could never be
// answered and would stall the channel.
func TestInitGenesisRejectsUnanswerableTask(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{"test/nowhere", topicWorkerOnly} {
		t.Run(reply, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			gs := types.DefaultGenesisState()
			gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: reply}}
			gs.NextTask = 1
			if err := gs.Validate(); err != nil {
				t.Fatalf("the genesis is well-formed apart from its route: %v", err)
			}
			if err := f.k.InitGenesis(f.ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
				t.Fatalf("InitGenesis = %v, want ErrInvalidGenesis", err)
			}
		})
	}
}
