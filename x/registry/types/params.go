package types

import (
	"fmt"
	"math"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// Confidence levels of real hardware run from 1 (best) to 5 (worst); see
// DESIGN.md §7. attest.ConfidenceSimulated (128) marks a simulated TEE.
const (
	ConfidenceBest  = 1
	ConfidenceWorst = 5
)

// Default parameter values. The simulated TEE is off by default: a production
// chain must opt in to nothing.
const (
	DefaultWorkerConfidenceLimit     = 5
	DefaultGatekeeperConfidenceLimit = 3
	DefaultAttestationMaxAgeSeconds  = 3600
	DefaultBeaconIntervalBlocks      = 10
	DefaultMaxClusterWorkers         = 64
	DefaultRotationInterval          = 0
	DefaultKeyRetention              = 100
	// DefaultClusterInviteBlocks is about a day at 6 s blocks: long enough
	// for an operator to review an invitation, short enough that a stale one
	// does not wait to be accepted by surprise.
	DefaultClusterInviteBlocks = 14400
	// MaxClusterInviteBlocks bounds cluster_invite_blocks like key_retention.
	MaxClusterInviteBlocks = 1 << 32
	// DefaultReencryptStallBlocks: about ten minutes at one block a second.
	DefaultReencryptStallBlocks = 600
	// MaxKeyRetention bounds key_retention (2^32 blocks, a century at one
	// block a second), so that retirement height + key_retention never
	// overflows.
	MaxKeyRetention = 1 << 32
	// MaxClusterWorkersLimit bounds what governance may set: a cluster's
	// key publication appends one grant per member in a single handler.
	MaxClusterWorkersLimit = 1024
	// MaxSNPVMPL is the least privileged SEV-SNP VMPL there is.
	MaxSNPVMPL = 3
)

// DefaultParams returns production defaults.
func DefaultParams() Params {
	return Params{
		AllowSimulatedTee:         false,
		WorkerConfidenceLimit:     DefaultWorkerConfidenceLimit,
		GatekeeperConfidenceLimit: DefaultGatekeeperConfidenceLimit,
		AttestationMaxAgeSeconds:  DefaultAttestationMaxAgeSeconds,
		BeaconIntervalBlocks:      DefaultBeaconIntervalBlocks,
		MaxClusterWorkers:         DefaultMaxClusterWorkers,
		RotationInterval:          DefaultRotationInterval,
		KeyRetention:              DefaultKeyRetention,
		ClusterInviteBlocks:       DefaultClusterInviteBlocks,
		ReencryptStallBlocks:      DefaultReencryptStallBlocks,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	if p.WorkerConfidenceLimit < ConfidenceBest || p.WorkerConfidenceLimit > ConfidenceWorst {
		return fmt.Errorf("%w: worker_confidence_limit %d, want %d-%d", ErrInvalidParams, p.WorkerConfidenceLimit, ConfidenceBest, ConfidenceWorst)
	}
	if p.GatekeeperConfidenceLimit < ConfidenceBest || p.GatekeeperConfidenceLimit > p.WorkerConfidenceLimit {
		return fmt.Errorf("%w: gatekeeper_confidence_limit %d, want %d-%d (worker_confidence_limit)", ErrInvalidParams, p.GatekeeperConfidenceLimit, ConfidenceBest, p.WorkerConfidenceLimit)
	}
	if p.AttestationMaxAgeSeconds == 0 {
		return fmt.Errorf("%w: attestation_max_age_seconds must be positive", ErrInvalidParams)
	}
	if p.MaxClusterWorkers == 0 || p.MaxClusterWorkers > MaxClusterWorkersLimit {
		return fmt.Errorf("%w: max_cluster_workers %d, want 1-%d", ErrInvalidParams, p.MaxClusterWorkers, MaxClusterWorkersLimit)
	}
	if p.BeaconIntervalBlocks > math.MaxInt64 {
		return fmt.Errorf("%w: beacon_interval_blocks %d is above any block height", ErrInvalidParams, p.BeaconIntervalBlocks)
	}
	if p.RotationInterval > math.MaxInt64 {
		return fmt.Errorf("%w: rotation_interval %d is above any block height", ErrInvalidParams, p.RotationInterval)
	}
	if p.KeyRetention == 0 || p.KeyRetention > MaxKeyRetention {
		return fmt.Errorf("%w: key_retention %d, want 1-%d blocks", ErrInvalidParams, p.KeyRetention, uint64(MaxKeyRetention))
	}
	if p.SnpMaxVmpl > MaxSNPVMPL {
		return fmt.Errorf("%w: snp_max_vmpl %d, want 0-%d", ErrInvalidParams, p.SnpMaxVmpl, MaxSNPVMPL)
	}
	if p.ClusterInviteBlocks == 0 || p.ClusterInviteBlocks > MaxClusterInviteBlocks {
		return fmt.Errorf("%w: cluster_invite_blocks %d, want 1-%d blocks", ErrInvalidParams, p.ClusterInviteBlocks, uint64(MaxClusterInviteBlocks))
	}
	if p.ReencryptStallBlocks == 0 || p.ReencryptStallBlocks > MaxKeyRetention {
		return fmt.Errorf("%w: reencrypt_stall_blocks %d, want 1-%d blocks", ErrInvalidParams, p.ReencryptStallBlocks, uint64(MaxKeyRetention))
	}
	return validateAdvisories(p.AcceptedAdvisories)
}

// AcceptsLevel reports whether level is good enough under limit. The simulated
// level is accepted only while simulated TEEs are allowed.
func (p Params) AcceptsLevel(level, limit uint32) bool {
	if level == attest.ConfidenceSimulated {
		return p.AllowSimulatedTee
	}
	return level >= ConfidenceBest && level <= limit
}
