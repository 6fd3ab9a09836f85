package types

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// MaxMeasurementLen is x/registry's bound on a measurement, which a
// migration names.
const MaxMeasurementLen = registrytypes.MaxMeasurementLen

// FirstClusterID is the id of the first cluster; 0 never names one.
const FirstClusterID = 1

// DefaultGenesisState returns an empty gatekeeper module with default params.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextClusterId: FirstClusterID}
}

// Validate checks the genesis for internal consistency. It cannot see
// x/registry's genesis: InitGenesis checks the workers and measurements the
// state names against x/registry (ValidateAgainst).
func (gs *GenesisState) Validate() error { return gs.ValidateAgainst(nil, nil) }

// ValidateAgainst checks the genesis for internal consistency and, where
// workers (by identity key) and measurements (by tee kind || "/" ||
// measurement) are not nil, that every worker and measurement it names is
// registered in x/registry.
func (gs *GenesisState) ValidateAgainst(workers, measurements map[string]bool) error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	gks := make(map[string]bool, len(gs.Gatekeepers))
	for _, g := range gs.Gatekeepers {
		if !has(workers, g.IdentityKey) {
			return fmt.Errorf("%w: gatekeeper %x is not a worker", ErrInvalidGenesis, g.IdentityKey)
		}
		if gks[string(g.IdentityKey)] {
			return fmt.Errorf("%w: duplicate gatekeeper %x", ErrInvalidGenesis, g.IdentityKey)
		}
		gks[string(g.IdentityKey)] = true
		if g.LiveHeight < 0 {
			return fmt.Errorf("%w: gatekeeper %x: live_height %d", ErrInvalidGenesis, g.IdentityKey, g.LiveHeight)
		}
	}
	if err := gs.validateMasterKeys(gks); err != nil {
		return err
	}
	if err := gs.validateClusters(workers, gks); err != nil {
		return err
	}
	if err := gs.validateRotations(gks); err != nil {
		return err
	}
	if err := gs.validateMigrations(measurements); err != nil {
		return err
	}
	if b := gs.LatestBeacon; b != nil {
		if b.Version >= uint32(len(gs.MasterKeys)) {
			return fmt.Errorf("%w: latest beacon of master key version %d, which does not exist", ErrInvalidGenesis, b.Version)
		}
		if len(b.Value) != protocol.BeaconLen {
			return fmt.Errorf("%w: latest beacon value is %d bytes, want %d", ErrInvalidGenesis, len(b.Value), protocol.BeaconLen)
		}
	}
	return nil
}

// validateMasterKeys checks the master key history (versions 0, 1, … in
// order, each a valid public key) and the launcher, which is a current
// gatekeeper and exists only while there is no master key.
func (gs *GenesisState) validateMasterKeys(gks map[string]bool) error {
	for i, mk := range gs.MasterKeys {
		if mk.Version != uint32(i) {
			return fmt.Errorf("%w: master key %d has version %d, want versions 0, 1, … in order", ErrInvalidGenesis, i, mk.Version)
		}
		if err := crypto.ValidateMasterPublicKey(mk.PublicKey); err != nil {
			return fmt.Errorf("%w: master key version %d: %w", ErrInvalidGenesis, mk.Version, err)
		}
		if len(mk.GeneratedBy) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: master key version %d: generated_by is %d bytes", ErrInvalidGenesis, mk.Version, len(mk.GeneratedBy))
		}
	}
	if len(gs.Launcher) == 0 {
		return nil
	}
	if len(gs.MasterKeys) > 0 {
		return fmt.Errorf("%w: launcher %x set, but master key version 0 already exists", ErrInvalidGenesis, gs.Launcher)
	}
	if !gks[string(gs.Launcher)] {
		return fmt.Errorf("%w: launcher %x is not a gatekeeper", ErrInvalidGenesis, gs.Launcher)
	}
	return nil
}

// validateClusters checks each cluster against the workers and master keys,
// and that no worker is in two clusters. A cluster may be larger than
// max_cluster_workers: governance may have lowered it after the cluster grew.
func (gs *GenesisState) validateClusters(workers, gks map[string]bool) error {
	next := max(gs.NextClusterId, FirstClusterID)
	member := make(map[string]uint64)
	for i, c := range gs.Clusters {
		if c.Id < FirstClusterID || c.Id >= next {
			return fmt.Errorf("%w: cluster id %d, want %d to next_cluster_id-1 = %d", ErrInvalidGenesis, c.Id, FirstClusterID, next-1)
		}
		if i > 0 && c.Id <= gs.Clusters[i-1].Id {
			return fmt.Errorf("%w: cluster %d follows cluster %d, want ascending ids", ErrInvalidGenesis, c.Id, gs.Clusters[i-1].Id)
		}
		if c.Owner == "" {
			return fmt.Errorf("%w: cluster %d has no owner", ErrInvalidGenesis, c.Id)
		}
		if c.KeyVersion >= uint32(len(gs.MasterKeys)) {
			return fmt.Errorf("%w: cluster %d derives from master key version %d, which does not exist", ErrInvalidGenesis, c.Id, c.KeyVersion)
		}
		if len(c.PublicKey) != 0 && len(c.PublicKey) != protocol.ClusterPublicKeyLen {
			return fmt.Errorf("%w: cluster %d public key is %d bytes", ErrInvalidGenesis, c.Id, len(c.PublicKey))
		}
		for j, w := range c.Workers {
			if j > 0 && bytes.Compare(c.Workers[j-1], w) >= 0 {
				return fmt.Errorf("%w: cluster %d workers are not in ascending order without duplicates", ErrInvalidGenesis, c.Id)
			}
			if !has(workers, w) {
				return fmt.Errorf("%w: cluster %d member %x is not a worker", ErrInvalidGenesis, c.Id, w)
			}
			if other, ok := member[string(w)]; ok {
				return fmt.Errorf("%w: worker %x is in clusters %d and %d", ErrInvalidGenesis, w, other, c.Id)
			}
			if gks[string(w)] {
				return fmt.Errorf("%w: cluster %d member %x is a gatekeeper", ErrInvalidGenesis, c.Id, w)
			}
			member[string(w)] = c.Id
		}
	}
	return gs.validateInvitations(workers, gks, member)
}

// validateInvitations checks the pending cluster invitations: in (cluster,
// worker) order without duplicates, of an existing cluster, each of a
// registered worker that is in no cluster and not a gatekeeper (the checks
// JoinCluster repeats), at most max_cluster_workers per cluster. Expired
// ones may remain: InviteClusterWorker prunes them.
func (gs *GenesisState) validateInvitations(workers, gks map[string]bool, member map[string]uint64) error {
	clusters := make(map[uint64]bool, len(gs.Clusters))
	for _, c := range gs.Clusters {
		clusters[c.Id] = true
	}
	perCluster := 0
	for i, inv := range gs.ClusterInvitations {
		if i > 0 {
			prev := gs.ClusterInvitations[i-1]
			if inv.ClusterId < prev.ClusterId || (inv.ClusterId == prev.ClusterId && bytes.Compare(prev.Worker, inv.Worker) >= 0) {
				return fmt.Errorf("%w: cluster invitations are not in ascending (cluster, worker) order without duplicates", ErrInvalidGenesis)
			}
			if inv.ClusterId != prev.ClusterId {
				perCluster = 0
			}
		}
		perCluster++
		switch {
		case !clusters[inv.ClusterId]:
			return fmt.Errorf("%w: invitation to cluster %d, which does not exist", ErrInvalidGenesis, inv.ClusterId)
		case !has(workers, inv.Worker):
			return fmt.Errorf("%w: invitation of %x to cluster %d: not a worker", ErrInvalidGenesis, inv.Worker, inv.ClusterId)
		case gks[string(inv.Worker)]:
			return fmt.Errorf("%w: invitation of %x to cluster %d: a gatekeeper", ErrInvalidGenesis, inv.Worker, inv.ClusterId)
		case inv.InvitedHeight < 0 || inv.ExpiresHeight < inv.InvitedHeight:
			return fmt.Errorf("%w: invitation of %x to cluster %d: invited at %d, expires at %d", ErrInvalidGenesis, inv.Worker, inv.ClusterId, inv.InvitedHeight, inv.ExpiresHeight)
		case perCluster > int(gs.Params.MaxClusterWorkers):
			return fmt.Errorf("%w: cluster %d has more than max_cluster_workers = %d invitations", ErrInvalidGenesis, inv.ClusterId, gs.Params.MaxClusterWorkers)
		}
		if id, in := member[string(inv.Worker)]; in {
			return fmt.Errorf("%w: invitation of %x to cluster %d: already in cluster %d", ErrInvalidGenesis, inv.Worker, inv.ClusterId, id)
		}
	}
	return nil
}

// has reports whether set, if it is not nil, holds key.
func has(set map[string]bool, key []byte) bool { return set == nil || set[string(key)] }
