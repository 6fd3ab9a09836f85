package types

import (
	"encoding/binary"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// DefaultGenesisState returns an empty queue with default params.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis for internal consistency.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	// The retained log is contiguous and ends just below next_ingress_index:
	// pruning walks it index by index and pRuntimes read it in order, so a
	// gap would halt both.
	for i, e := range gs.Ingress {
		if i > 0 && e.Index != gs.Ingress[i-1].Index+1 {
			return fmt.Errorf("%w: ingress entry %d follows %d, want consecutive indexes", ErrInvalidGenesis, e.Index, gs.Ingress[i-1].Index)
		}
		if e.Index >= gs.NextIngressIndex {
			return fmt.Errorf("%w: ingress entry %d not below next_ingress_index %d", ErrInvalidGenesis, e.Index, gs.NextIngressIndex)
		}
		if i == len(gs.Ingress)-1 && e.Index != gs.NextIngressIndex-1 {
			return fmt.Errorf("%w: last ingress entry %d, want next_ingress_index-1 = %d", ErrInvalidGenesis, e.Index, gs.NextIngressIndex-1)
		}
		m, err := protocol.DecodeMessage(e.Message)
		if err != nil {
			return fmt.Errorf("%w: ingress entry %d: %w", ErrInvalidGenesis, e.Index, err)
		}
		if m.Seq != e.Index {
			return fmt.Errorf("%w: ingress entry %d carries seq %d", ErrInvalidGenesis, e.Index, m.Seq)
		}
	}
	seen := make(map[string]bool, len(gs.Sequences))
	var head uint64 // the gatekeeper channel's next sequence
	gkKey := string(protocol.GatekeeperOrigin().Key())
	for _, s := range gs.Sequences {
		if _, err := protocol.OriginFromKey(s.Origin); err != nil {
			return fmt.Errorf("%w: sequence origin: %w", ErrInvalidGenesis, err)
		}
		if seen[string(s.Origin)] {
			return fmt.Errorf("%w: duplicate sequence for origin %x", ErrInvalidGenesis, s.Origin)
		}
		seen[string(s.Origin)] = true
		if string(s.Origin) == gkKey {
			head = s.NextSeq
		}
	}
	tasks, err := gs.validateTasks(head)
	if err != nil {
		return err
	}
	// A vote's body is delivered as a gatekeeper message once it has a
	// quorum, without being verified again, so it must be one, at its seq:
	// on the task channel answering the task there, on a lane on one of the
	// lane's module's topics.
	votes := make(map[string]bool, len(gs.Votes))
	for _, v := range gs.Votes {
		if len(v.Signer) != 32 {
			return fmt.Errorf("%w: vote at seq %d: signer is %d bytes", ErrInvalidGenesis, v.Seq, len(v.Signer))
		}
		m, err := protocol.DecodeMessage(v.Body)
		if err != nil {
			return fmt.Errorf("%w: vote at seq %d: %w", ErrInvalidGenesis, v.Seq, err)
		}
		if m.Origin.Kind != protocol.OriginGatekeeper || m.Seq != v.Seq {
			return fmt.Errorf("%w: vote at seq %d carries a message from %s at seq %d", ErrInvalidGenesis, v.Seq, m.Origin, m.Seq)
		}
		if lane := m.Origin.Lane(); lane != "" {
			if protocol.TopicModule(m.Topic) != lane {
				return fmt.Errorf("%w: vote at seq %d of %s is on %q, not a topic of the lane's module", ErrInvalidGenesis, v.Seq, m.Origin, m.Topic)
			}
		} else if reply, ok := tasks[v.Seq]; !ok || reply != m.Topic {
			return fmt.Errorf("%w: vote at seq %d on %q answers no task on that topic", ErrInvalidGenesis, v.Seq, m.Topic)
		}
		k := string(m.Origin.Key()) + "/" + string(binary.BigEndian.AppendUint64(nil, v.Seq)) + string(v.Signer)
		if votes[k] {
			return fmt.Errorf("%w: two votes of %x at seq %d of %s", ErrInvalidGenesis, v.Signer, v.Seq, m.Origin)
		}
		votes[k] = true
	}
	return nil
}

// validateTasks checks the pending gatekeeper tasks against the channel's
// next sequence head and returns their reply topics by sequence. Tasks are
// allocated in order and deleted when their sequence is delivered, so they
// are exactly the sequences [head, next_task): a missing one would stall the
// channel for good (no message can be accepted at a sequence without a task),
// and one below head could never be answered.
func (gs *GenesisState) validateTasks(head uint64) (map[uint64]string, error) {
	tasks := make(map[uint64]string, len(gs.Tasks))
	for i, t := range gs.Tasks {
		if want := head + uint64(i); t.Seq != want {
			return nil, fmt.Errorf("%w: gatekeeper task %d at seq %d, want seq %d (tasks run from the channel's next seq %d, without gaps)",
				ErrInvalidGenesis, i, t.Seq, want, head)
		}
		if err := protocol.ValidateTopic(t.ReplyTopic); err != nil {
			return nil, fmt.Errorf("%w: gatekeeper task at seq %d: reply %w", ErrInvalidGenesis, t.Seq, err)
		}
		tasks[t.Seq] = t.ReplyTopic
	}
	switch end := head + uint64(len(gs.Tasks)); {
	case len(gs.Tasks) > 0 && gs.NextTask != end:
		return nil, fmt.Errorf("%w: next_task %d, want %d (just above the last task)", ErrInvalidGenesis, gs.NextTask, end)
	case len(gs.Tasks) == 0 && gs.NextTask > head:
		return nil, fmt.Errorf("%w: next_task %d is above the gatekeeper channel's next seq %d, but no task is pending", ErrInvalidGenesis, gs.NextTask, head)
	}
	return tasks, nil
}
