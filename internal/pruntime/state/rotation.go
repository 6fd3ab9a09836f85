package state

import (
	"bytes"
	"slices"
)

// Rotation is a gatekeeper's view of the running rotation; it is part
// of the checkpointed state. It holds no secret: v+1 lives only in the
// sealed master key history.
type Rotation struct {
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
	// Members and ReceiveKeys are the snapshot, in key order.
	Members     [][]byte `json:"members"`
	ReceiveKeys [][]byte `json:"receive_keys"`
	// ClockHeight is the synced height at which this pRuntime saw the start
	// or the last rejection: the proposers' turns count from it.
	ClockHeight int64 `json:"clock_height"`
	// Rejected are the proposers the chain barred in this rotation.
	Rejected [][]byte `json:"rejected,omitempty"`
	// Phase is where the rotation stands (rotation_phase.go); Copy is this
	// gatekeeper's part in the current proposal round.
	Phase RotationPhase `json:"phase"`
	Copy  CopyState     `json:"copy,omitempty"`
	// Proposer and PublicKey are the taken proposal's (phase acking on).
	Proposer  []byte `json:"proposer,omitempty"`
	PublicKey []byte `json:"public_key,omitempty"`
	// PendingClusters are the clusters whose key version To the chain asked
	// for and has not published yet; ClustersHeight is the synced height at
	// which the last of them was published (or re-encryption started).
	PendingClusters []uint64 `json:"pending_clusters,omitempty"`
	ClustersHeight  int64    `json:"clusters_height,omitempty"`
	// RangeState: whether this gatekeeper re-encrypts range Range of Ranges
	// (or lost it to another).
	RangeState RangeState `json:"range_state,omitempty"`
	Range      uint32     `json:"range,omitempty"`
	Ranges     uint32     `json:"ranges,omitempty"`
	// Done, Total, Failed and Finished are what it last reported.
	Done     uint64 `json:"done,omitempty"`
	Total    uint64 `json:"total,omitempty"`
	Failed   uint64 `json:"failed,omitempty"`
	Finished bool   `json:"finished,omitempty"`
	// EraseHeight: From is retired (phase retiring) and will be erased then.
	EraseHeight uint64 `json:"erase_height,omitempty"`
	// SweepHeight is the chain's sweep height (registry/reencrypt_sweep):
	// a finished report counts only if its verify pass began at or above
	// it, so one that began below runs again.
	SweepHeight int64 `json:"sweep_height,omitempty"`
	// Adopted are other gatekeepers' ranges reassigned to this one.
	Adopted []AdoptedRange `json:"adopted,omitempty"`
}

// AdoptedRange is a stalled range the chain reassigned to this gatekeeper
// (registry/reencrypt_reassigned), with what it last reported of it.
type AdoptedRange struct {
	Range    uint32 `json:"range"`
	Done     uint64 `json:"done,omitempty"`
	Total    uint64 `json:"total,omitempty"`
	Failed   uint64 `json:"failed,omitempty"`
	Finished bool   `json:"finished,omitempty"`
}

func (s *Rotation) Clone() *Rotation {
	c := *s
	c.Members = slices.Clone(s.Members)
	c.ReceiveKeys = slices.Clone(s.ReceiveKeys)
	c.Rejected = slices.Clone(s.Rejected)
	c.PendingClusters = slices.Clone(s.PendingClusters)
	c.Adopted = slices.Clone(s.Adopted)
	return &c
}

// Member returns key's index in the snapshot, or -1.
func (s *Rotation) Member(key []byte) int {
	return slices.IndexFunc(s.Members, func(m []byte) bool { return bytes.Equal(m, key) })
}

func (s *Rotation) IsRejected(key []byte) bool {
	return slices.ContainsFunc(s.Rejected, func(m []byte) bool { return bytes.Equal(m, key) })
}

// ProposerRank is key's turn among the members the chain did not bar, or
// -1 if it may not propose.
func (s *Rotation) ProposerRank(key []byte) int {
	rank := 0
	for _, m := range s.Members {
		if s.IsRejected(m) {
			continue
		}
		if bytes.Equal(m, key) {
			return rank
		}
		rank++
	}
	return -1
}
