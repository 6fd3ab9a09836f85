// Package computation is the enclave's computation role (DESIGN §8): every
// pRuntime runs the tokenomic engine on the same verified ingress, and a
// live gatekeeper publishes its non-empty outputs by quorum. The role keeps
// its part of the checkpoint in state.Computation and reaches the rest of
// the enclave only through Core.
package computation

import (
	"bytes"
	"encoding/hex"
	"errors"
	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// The computation role (DESIGN §8). Every pRuntime runs the tokenomic
// engine on the same verified ingress: the inputs of a block (sessions
// started and stopped, heartbeats) are the computation messages between two
// computation/block entries, and the entry closes the block. Running it
// everywhere keeps every pRuntime ready to be designated gatekeeper with the
// engine's state, and tells a computing worker, from the same state, when it
// is challenged. Only live gatekeepers publish an output, and only a
// non-empty one, on the gatekeepers' computation lane at the sequence that
// counts the non-empty outputs before it; all of them compute byte-identical
// outputs at identical sequences, which the chain takes by quorum.

// Core is what the computation role needs from the rest of the enclave.
type Core interface {
	// Log is the enclave's logger.
	Log() *slog.Logger
	// Self is this pRuntime's identity key.
	Self() []byte
	// Emit signs a worker egress message with the next sequence into next.
	Emit(next *state.State, topic string, payload []byte) error
	// AnswerOrQueue publishes a gatekeeper quorum output now if this
	// gatekeeper is live, or queues it until it is.
	AnswerOrQueue(tx *state.Tx, q state.QueuedTask) error
	// Iterations is the benchmark loop's count since ResetIterations.
	Iterations() uint64
	ResetIterations()
	// HeartbeatSent counts a heartbeat answer to a challenge.
	HeartbeatSent()
}

// Role is the computation role.
type Role struct {
	core Core
}

// New returns the computation role on core.
func New(core Core) *Role { return &Role{core: core} }

// Routes are the role's rows of the topic table.
func (r *Role) Routes() []ingress.Route {
	return []ingress.Route{
		{Topic: protocol.TopicComputationParams, Role: ingress.RoleComputation, Handle: ingress.NoKeys(r.onComputationParams)},
		{Topic: protocol.TopicSessionStarted, Role: ingress.RoleComputation, Handle: ingress.NoKeys(r.onSessionStarted)},
		{Topic: protocol.TopicSessionStopped, Role: ingress.RoleComputation, Handle: ingress.NoKeys(r.onSessionStopped)},
		{Topic: protocol.TopicHeartbeat, Role: ingress.RoleComputation, Handle: ingress.NoKeys(r.onHeartbeat)},
		{Topic: protocol.TopicBlock, Role: ingress.RoleComputation, Handle: ingress.NoKeys(r.onBlock)},
	}
}

// maxPendingComputationInputs bounds the inputs buffered for one block.
const maxPendingComputationInputs = 1 << 20

func (r *Role) onComputationParams(tx *state.Tx, payload []byte) error {
	var p tokenomics.Params
	if err := p.UnmarshalBinary(payload); err != nil {
		return err
	}
	tx.Next.Computation.Params = bytes.Clone(payload)
	return nil
}

func (r *Role) onSessionStarted(tx *state.Tx, payload []byte) error {
	c := &tx.Next.Computation
	s, err := protocol.DecodeSessionStarted(payload)
	if err != nil {
		return err
	}
	if err := appendInput(&c.Started, payload); err != nil {
		return err
	}
	if bytes.Equal(s.Worker, r.core.Self()) {
		// Heartbeats count iterations from the session start: the engine
		// measures the first one from the start block's time.
		r.core.ResetIterations()
		c.Session = s.Session
		r.core.Log().Info("computing session started", "session", s.Session)
	}
	return nil
}

func (r *Role) onSessionStopped(tx *state.Tx, payload []byte) error {
	c := &tx.Next.Computation
	s, err := protocol.DecodeSessionRef(payload)
	if err != nil {
		return err
	}
	if err := appendInput(&c.Stopped, payload); err != nil {
		return err
	}
	if bytes.Equal(s.Worker, r.core.Self()) && s.Session == c.Session {
		c.Session = 0
		r.core.Log().Info("computing session stopped", "session", s.Session)
	}
	return nil
}

func (r *Role) onHeartbeat(tx *state.Tx, payload []byte) error {
	rel, err := protocol.DecodeRelayed(payload)
	if err != nil {
		return err
	}
	if _, err := protocol.DecodeHeartbeat(rel.Body); err != nil {
		return err
	}
	return appendInput(&tx.Next.Computation.Heartbeats, payload)
}

func appendInput(dst *[][]byte, payload []byte) error {
	if len(*dst) >= maxPendingComputationInputs {
		return errors.New("computation: too many inputs in one block")
	}
	*dst = append(*dst, bytes.Clone(payload))
	return nil
}

// onBlock closes a block: it runs the engine on the block's inputs,
// publishes a non-empty output if this is a live gatekeeper (or queues it
// while the gatekeeper waits for its keys), and answers this worker's
// challenge.
func (r *Role) onBlock(tx *state.Tx, payload []byte) error {
	blk, err := protocol.DecodeComputationBlock(payload)
	if err != nil {
		return err
	}
	c := &tx.Next.Computation
	params := tokenomics.DefaultParams()
	if len(c.Params) > 0 {
		if err := params.UnmarshalBinary(c.Params); err != nil {
			return err
		}
	}
	st := tokenomics.NewState(0)
	if len(c.Engine) > 0 {
		if err := st.UnmarshalBinary(c.Engine); err != nil {
			return err
		}
	}
	if st.Len() == 0 && st.Height()+1 != blk.Height {
		// With no worker the engine carries nothing over: the chain only
		// closes blocks while sessions exist, so it resumes at this height.
		st = tokenomics.NewState(blk.Height - 1)
	}
	b, err := buildBlock(blk, c)
	if err != nil {
		return err
	}
	out, rejected, err := st.Apply(params, b)
	if err != nil {
		return err
	}
	for _, rej := range rejected {
		r.core.Log().Info("tokenomics input rejected", "height", blk.Height, "input", rej.Input.String(),
			"worker", hex.EncodeToString(rej.Worker[:]), "session", rej.Session, "reason", rej.Reason)
	}
	if c.Engine, err = st.MarshalBinary(); err != nil {
		return err
	}
	c.Started, c.Stopped, c.Heartbeats = nil, nil, nil

	// An output too large for one message goes out in consecutive parts.
	for _, part := range out.Split(protocol.MaxPayloadLen) {
		seq := c.Reports
		c.Reports++
		if tx.Next.IsGatekeeper(r.core.Self()) || tx.Next.PendingGatekeeper() {
			q := state.QueuedTask{Topic: protocol.TopicBlock, Lane: protocol.LaneComputation, Seq: seq, Reply: part.Encode()}
			if err := r.core.AnswerOrQueue(tx, q); err != nil {
				return err
			}
		}
	}
	var self tokenomics.WorkerKey
	copy(self[:], r.core.Self())
	if c.Session != 0 && st.Challenged(self, blk.Height) {
		r.core.HeartbeatSent()
		hb := protocol.Heartbeat{Session: c.Session, Challenge: blk.Height, Iterations: r.core.Iterations()}
		return r.core.Emit(&tx.Next, protocol.TopicHeartbeat, hb.Encode())
	}
	return nil
}

// buildBlock turns the buffered ingress of a block into the engine's input.
func buildBlock(blk protocol.ComputationBlock, c *state.Computation) (tokenomics.Block, error) {
	// The block time and the heartbeats' iteration counts are what the
	// engine measures p_instant from: both must reach it.
	b := tokenomics.Block{Height: blk.Height, Time: blk.Time}
	copy(b.Seed[:], blk.Seed)
	for _, p := range c.Started {
		s, err := protocol.DecodeSessionStarted(p)
		if err != nil {
			return b, err
		}
		var stake tokenomics.Fixed
		if err := stake.UnmarshalBinary(s.Stake); err != nil {
			return b, err
		}
		st := tokenomics.Start{Session: s.Session, P: s.Score, Level: s.Level, Stake: stake}
		copy(st.Worker[:], s.Worker)
		b.Started = append(b.Started, st)
	}
	for _, p := range c.Stopped {
		s, err := protocol.DecodeSessionRef(p)
		if err != nil {
			return b, err
		}
		st := tokenomics.Stop{Session: s.Session}
		copy(st.Worker[:], s.Worker)
		b.Stopped = append(b.Stopped, st)
	}
	for _, p := range c.Heartbeats {
		rel, err := protocol.DecodeRelayed(p)
		if err != nil {
			return b, err
		}
		h, err := protocol.DecodeHeartbeat(rel.Body)
		if err != nil {
			return b, err
		}
		hb := tokenomics.Heartbeat{Session: h.Session, Challenge: h.Challenge, Iterations: h.Iterations}
		copy(hb.Worker[:], rel.Sender)
		b.Heartbeats = append(b.Heartbeats, hb)
	}
	return b, nil
}
