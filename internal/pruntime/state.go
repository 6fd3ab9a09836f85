package pruntime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// state is everything the runtime remembers across restarts; it is the
// payload of a checkpoint. It is a value: sync calls work on a clone and
// commit it only when the whole request verified.
type state struct {
	Version int `json:"version"`
	// Trusted is chainsync.TrustedState.Marshal(); empty before init.
	Trusted     []byte `json:"trusted,omitempty"`
	NextIngress uint64 `json:"next_ingress"`
	Registered  bool   `json:"registered"`
	// Gatekeepers are the current gatekeepers' identity keys, sorted.
	Gatekeepers   [][]byte                 `json:"gatekeepers,omitempty"`
	NextEgressSeq uint64                   `json:"next_egress_seq"`
	Egress        []protocol.SignedMessage `json:"egress,omitempty"`
	EndpointSent  bool                     `json:"endpoint_sent"`
	// CheckpointSeq numbers checkpoints; it only grows.
	CheckpointSeq uint64 `json:"checkpoint_seq"`
	// CheckpointHeight is the synced height of the last checkpoint.
	CheckpointHeight int64 `json:"checkpoint_height"`
	// CheckpointIngress is NextIngress at the last checkpoint.
	CheckpointIngress uint64 `json:"checkpoint_ingress"`
}

const stateVersion = 1

func (s state) clone() state {
	c := s
	c.Trusted = slices.Clone(s.Trusted)
	c.Gatekeepers = slices.Clone(s.Gatekeepers)
	c.Egress = slices.Clone(s.Egress)
	return c
}

func (s state) marshal() ([]byte, error) { return json.Marshal(s) }

func unmarshalState(b []byte) (state, error) {
	var s state
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return state{}, fmt.Errorf("pruntime: checkpoint state: %w", err)
	}
	if s.Version != stateVersion {
		return state{}, fmt.Errorf("pruntime: checkpoint state version %d, want %d", s.Version, stateVersion)
	}
	return s, nil
}

func (s *state) isGatekeeper(key []byte) bool {
	_, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare)
	return found
}

func (s *state) addGatekeeper(key []byte) {
	if i, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare); !found {
		s.Gatekeepers = slices.Insert(s.Gatekeepers, i, slices.Clone(key))
	}
}

func (s *state) removeGatekeeper(key []byte) {
	if i, found := slices.BinarySearchFunc(s.Gatekeepers, key, bytes.Compare); found {
		s.Gatekeepers = slices.Delete(s.Gatekeepers, i, i+1)
	}
}
