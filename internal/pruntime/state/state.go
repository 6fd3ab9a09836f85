package state

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// State is everything the runtime remembers across restarts; it is the
// payload of a checkpoint. It is a value: sync calls work on a clone and
// commit it only when the whole request verified.
type State struct {
	Version int `json:"version"`
	// Trusted is chainsync.TrustedState.Marshal(); empty before init.
	Trusted     []byte `json:"trusted,omitempty"`
	NextIngress uint64 `json:"next_ingress"`
	// IngressHead is the ingress head at NextIngress (protocol.IngressHead,
	// 32 bytes): the hash chain over the entries applied, which the next
	// range of entries must extend to a proven head. Empty when unknown (a
	// version 2 checkpoint, after a bootstrap): the next sync proves it.
	IngressHead []byte `json:"ingress_head,omitempty"`
	Registered  bool   `json:"registered"`
	// Gatekeepers are the current gatekeepers' identity keys, sorted.
	Gatekeepers   [][]byte                 `json:"gatekeepers,omitempty"`
	NextEgressSeq uint64                   `json:"next_egress_seq"`
	Egress        []protocol.SignedMessage `json:"egress,omitempty"`
	EndpointSent  bool                     `json:"endpoint_sent"`
	// MasterPubKeys are the master key versions' public keys as the chain
	// recorded them (index = version). Every pRuntime tracks them: a worker
	// designated gatekeeper later checks the history it receives against them.
	MasterPubKeys [][]byte `json:"master_pubkeys,omitempty"`
	// GK is this pRuntime's gatekeeper role, if designated.
	GK Gatekeeper `json:"gk"`
	// Cluster is the cluster this worker belongs to, with its key versions.
	Cluster *MemberCluster `json:"cluster,omitempty"`
	// Beacon is the latest beacon the chain accepted.
	Beacon *Beacon `json:"beacon,omitempty"`
	// MasterErasedBelow: the chain ordered versions [0, MasterErasedBelow)
	// erased; nobody holds them any more (registry/master_key_erase).
	MasterErasedBelow uint32 `json:"master_erased_below,omitempty"`
	// Rotation is the master key rotation this gatekeeper takes part in,
	// from its start until its old version is erased.
	Rotation *Rotation `json:"rotation,omitempty"`
	// Computation is the tokenomic engine's state and this worker's session.
	Computation Computation `json:"computation"`
	// Migration is the pending pRuntime migration, if any.
	Migration *Migration `json:"migration,omitempty"`
	// KnownClusterKeys: a successor pRuntime's record of every cluster key
	// version's public key, to check the cluster keys it is handed.
	KnownClusterKeys []KnownClusterKey `json:"known_cluster_keys,omitempty"`
	// Retired: a migration replaced this pRuntime's version; it erased its
	// keys and acts on nothing more.
	Retired bool `json:"retired,omitempty"`
	// CheckpointSeq numbers checkpoints; it only grows.
	CheckpointSeq uint64 `json:"checkpoint_seq"`
	// CheckpointHeight is the synced height of the last checkpoint.
	CheckpointHeight int64 `json:"checkpoint_height"`
	// CheckpointIngress is NextIngress at the last checkpoint.
	CheckpointIngress uint64 `json:"checkpoint_ingress"`
}

// SchemaVersion 2: rotationState and migrationState hold their phases as
// enums (rotation_phase.go, migration_phase.go) instead of booleans; a
// version 1 checkpoint does not load.
//
// SchemaVersion 3: IngressHead. A version 2 checkpoint loads as version 3
// without a head, which the next ingress sync proves.
const SchemaVersion = 3

func (s State) Clone() State {
	c := s
	c.Trusted = slices.Clone(s.Trusted)
	c.IngressHead = slices.Clone(s.IngressHead)
	c.Gatekeepers = slices.Clone(s.Gatekeepers)
	c.Egress = slices.Clone(s.Egress)
	c.MasterPubKeys = slices.Clone(s.MasterPubKeys)
	c.GK.Tasks = slices.Clone(s.GK.Tasks)
	if s.Cluster != nil {
		mc := *s.Cluster
		mc.Keys = slices.Clone(s.Cluster.Keys)
		c.Cluster = &mc
	}
	if s.Beacon != nil {
		b := *s.Beacon
		c.Beacon = &b
	}
	if s.Rotation != nil {
		c.Rotation = s.Rotation.Clone()
	}
	c.Computation = s.Computation.Clone()
	if s.Migration != nil {
		c.Migration = s.Migration.Clone()
	}
	c.KnownClusterKeys = slices.Clone(s.KnownClusterKeys)
	return c
}

// ExpectClusterKey records that this worker is a member of id's cluster and
// that the key version id names has public key pub. Joining another cluster
// drops the old one's keys (the chain allows one cluster per worker).
func (s *State) ExpectClusterKey(id protocol.ClusterKeyID, pub []byte) {
	if s.Cluster == nil || s.Cluster.ID != id.Cluster {
		s.Cluster = &MemberCluster{ID: id.Cluster}
	}
	if s.ClusterKeySlot(id) == nil {
		s.Cluster.Keys = append(s.Cluster.Keys, ClusterKey{Version: id.Version, PublicKey: slices.Clone(pub)})
		slices.SortFunc(s.Cluster.Keys, func(a, b ClusterKey) int { return cmp.Compare(a.Version, b.Version) })
	}
}

// ClusterKeySlot returns the entry for a key version of this worker's
// cluster, or nil. The returned pointer aliases s.Cluster.Keys, which clone
// copied, so writing through it changes only s.
func (s *State) ClusterKeySlot(id protocol.ClusterKeyID) *ClusterKey {
	if s.Cluster == nil || s.Cluster.ID != id.Cluster {
		return nil
	}
	for i := range s.Cluster.Keys {
		if s.Cluster.Keys[i].Version == id.Version {
			return &s.Cluster.Keys[i]
		}
	}
	return nil
}

func (s State) Marshal() ([]byte, error) { return json.Marshal(s) }

func Unmarshal(b []byte) (State, error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return State{}, fmt.Errorf("state: checkpoint state: %w", err)
	}
	switch s.Version {
	case SchemaVersion:
	case 2:
		if s.IngressHead != nil {
			return State{}, fmt.Errorf("state: checkpoint state version 2 has an ingress head")
		}
		s.Version = SchemaVersion
	default:
		return State{}, fmt.Errorf("state: checkpoint state version %d, want 2 or %d", s.Version, SchemaVersion)
	}
	if n := len(s.IngressHead); n != 0 && n != protocol.IngressHeadLen {
		return State{}, fmt.Errorf("state: checkpoint ingress head is %d bytes, want %d", n, protocol.IngressHeadLen)
	}
	return s, nil
}

func (s *State) IsGatekeeper(key []byte) bool {
	_, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare)
	return found
}

func (s *State) AddGatekeeper(key []byte) {
	if i, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare); !found {
		s.Gatekeepers = slices.Insert(s.Gatekeepers, i, slices.Clone(key))
	}
}

func (s *State) RemoveGatekeeper(key []byte) {
	if i, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare); found {
		s.Gatekeepers = slices.Delete(s.Gatekeepers, i, i+1)
	}
}

// ErrStorage marks failures of the enclave's own disk; the RPC maps it to
// HTTP 500.
var ErrStorage = errors.New("state: storage")
