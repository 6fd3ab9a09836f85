package state

import (
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Gatekeeper is the gatekeeper role's part of the checkpointed state.
type Gatekeeper struct {
	// Launching: the chain named this gatekeeper to generate master key v0
	// and it has announced the public key; it goes live when it sees the
	// key on chain.
	Launching bool `json:"launching,omitempty"`
	// Live: it holds and has verified every master key version on chain.
	Live bool `json:"live,omitempty"`
	// Tasks are gatekeeper tasks seen while designated but not yet live; they
	// are answered, in order, on going live.
	Tasks []QueuedTask `json:"tasks,omitempty"`
	// BeaconMismatches counts accepted beacons that differ from this
	// gatekeeper's own computation (a faulty quorum: never expected).
	BeaconMismatches uint64 `json:"beacon_mismatches,omitempty"`
}

type QueuedTask struct {
	Topic string `json:"topic"`
	// Lane is the gatekeeper lane the answer goes on ("" for the task
	// channel); Seq is its sequence there.
	Lane string `json:"lane,omitempty"`
	Seq  uint64 `json:"seq"`
	Body []byte `json:"body,omitempty"`
	// Reply is the answer computed when the task was seen (a block's
	// tokenomic output depends on the engine state at that block, not at
	// the time the gatekeeper goes live).
	Reply []byte `json:"reply,omitempty"`
}

// MemberCluster is the cluster this worker belongs to, and the key versions
// it holds. Keys are secrets: they live only in sealed checkpoints.
type MemberCluster struct {
	ID   uint64       `json:"id"`
	Keys []ClusterKey `json:"keys"`
}

type ClusterKey struct {
	Version   uint32 `json:"version"`
	PublicKey []byte `json:"public_key"`
	// Key is empty until a copy that matches PublicKey arrived.
	Key []byte `json:"key,omitempty"`
}

// Beacon is the latest beacon the chain accepted.
type Beacon struct {
	Height  uint64 `json:"height"`
	Version uint32 `json:"version"`
	Value   []byte `json:"value"`
}

// Tx is what one sync call changes: the state and the master key
// history, both committed together or not at all.
type Tx struct {
	Next   State
	Master MasterHistory
	// copies are the cluster keys to seal for the grants of this call;
	// commitIngress seals them on every core before the commit.
	Copies []PendingCopy
	// erased: keys were erased (a master key version, or what a migration
	// took away), so the checkpoints before this call's must go once it is
	// committed; rotationDone: the rotation ended, its re-encryption
	// journal goes too.
	Erased, RotationDone bool
}

// PendingCopy is a cluster key copy to make: the grant and the master key
// version it derives from.
type PendingCopy struct {
	Grant protocol.ClusterGrant
	Key   *crypto.MasterKey
}
