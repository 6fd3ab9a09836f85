package state

import (
	"bytes"
	"slices"
)

// Migration is this pRuntime's view of the pending migration.
type Migration struct {
	ID          uint64 `json:"id"`
	Activation  uint64 `json:"activation"`
	Measurement []byte `json:"measurement"` // the successors'
	// Old: this pRuntime runs a replaced measurement of the migration's TEE
	// kind; it stops at activation.
	Old bool `json:"old,omitempty"`
	// Successor side: the parts of the handover received so far (by index)
	// and, once all opened and checked, whether the predecessor was a
	// gatekeeper and the cluster keys handed over.
	Phase  MigrationPhase `json:"phase"`
	Parts  [][]byte       `json:"parts,omitempty"`
	WasGK  bool           `json:"was_gk,omitempty"`
	Handed *MemberCluster `json:"handed,omitempty"`
}

func (m *Migration) Clone() *Migration {
	c := *m
	c.Measurement = bytes.Clone(m.Measurement)
	c.Parts = slices.Clone(m.Parts)
	if m.Handed != nil {
		h := *m.Handed
		h.Keys = slices.Clone(m.Handed.Keys)
		c.Handed = &h
	}
	return &c
}

// KnownClusterKey is a cluster key version's public key as the gatekeepers
// published it (registry/cluster_key). A successor records them from its
// first ingress entry on, to check the cluster keys it is handed.
type KnownClusterKey struct {
	Cluster   uint64 `json:"cluster"`
	Version   uint32 `json:"version"`
	PublicKey []byte `json:"public_key"`
}

// PendingGatekeeper reports whether this pRuntime is a ready successor of
// a gatekeeper: it queues gatekeeper tasks and outputs so that, live at
// activation, it answers those the old gatekeepers left unanswered.
func (s *State) PendingGatekeeper() bool {
	return s.Migration != nil && s.Migration.Phase == MigrationReady && s.Migration.WasGK
}
