package pruntime

import (
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// self is this pRuntime's identity key.
func (r *Runtime) self() []byte { return r.id.PublicKey() }

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

// CurrentClusterKey returns this worker's cluster and its newest key version
// held, for the app API. Like the other two below, it reads the published
// view and never waits on sync work.
func (r *Runtime) CurrentClusterKey() (cluster uint64, version uint32, key [crypto.KeySize]byte, ok bool) {
	c := r.view.Load().cluster
	if c == nil {
		return 0, 0, key, false
	}
	for i := len(c.keys) - 1; i >= 0; i-- {
		if len(c.keys[i].key) == crypto.KeySize {
			copy(key[:], c.keys[i].key)
			return c.id, c.keys[i].version, key, true
		}
	}
	return 0, 0, key, false
}

// NewerClusterKeyPending reports whether a key version of cluster above
// version was granted to this worker and has not arrived yet: the app API
// holds writes back until it has (see pendingClusterKeys).
func (r *Runtime) NewerClusterKeyPending(cluster uint64, version uint32) bool {
	c := r.view.Load().cluster
	if c == nil || c.id != cluster {
		return false
	}
	for _, k := range c.keys {
		if k.version > version && len(k.key) == 0 {
			return true
		}
	}
	return false
}

// ClusterKeyVersion returns a key version of this worker's cluster, for
// blobs saved under an older version.
func (r *Runtime) ClusterKeyVersion(cluster uint64, version uint32) (key [crypto.KeySize]byte, ok bool) {
	c := r.view.Load().cluster
	if c == nil || c.id != cluster {
		return key, false
	}
	for _, k := range c.keys {
		if k.version == version && len(k.key) == crypto.KeySize {
			copy(key[:], k.key)
			return key, true
		}
	}
	return key, false
}
