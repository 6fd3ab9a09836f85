package pruntime

import (
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// signer signs this pRuntime's egress into the next state: worker messages
// and gatekeeper quorum messages.
type signer struct {
	r *Runtime
}

// emit signs a worker egress message with the next sequence into next.
func (sg *signer) emit(next *state.State, topic string, payload []byte) error {
	m := protocol.Message{Origin: protocol.WorkerOrigin(sg.r.id.PublicKey()), Topic: topic, Seq: next.NextEgressSeq, Payload: payload}
	sm, err := protocol.SignMessage(sg.r.id.ChainID, sg.r.id.Signing, &m)
	if err != nil {
		return fmt.Errorf("pruntime: signing egress: %w", err)
	}
	next.Egress = append(next.Egress, sm)
	next.NextEgressSeq++
	return nil
}

// emitGatekeeper signs a gatekeeper-origin (quorum) message from origin (the
// task channel or a lane) at seq: the sequence the chain allocated to the
// task, or the one the lane's rule gives.
func (sg *signer) emitGatekeeper(next *state.State, origin protocol.Origin, seq uint64, topic string, payload []byte) error {
	m := protocol.Message{Origin: origin, Topic: topic, Seq: seq, Payload: payload}
	sm, err := protocol.SignMessage(sg.r.id.ChainID, sg.r.id.Signing, &m)
	if err != nil {
		return fmt.Errorf("pruntime: signing gatekeeper message: %w", err)
	}
	next.Egress = append(next.Egress, sm)
	return nil
}
