package types

import (
	"fmt"
	"math"
)

// Default parameter values.
const (
	DefaultBeaconIntervalBlocks = 10
	DefaultMaxClusterWorkers    = 64
	DefaultRotationInterval     = 0
	DefaultKeyRetention         = 100
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
)

// DefaultParams returns production defaults.
func DefaultParams() Params {
	return Params{
		BeaconIntervalBlocks: DefaultBeaconIntervalBlocks,
		MaxClusterWorkers:    DefaultMaxClusterWorkers,
		RotationInterval:     DefaultRotationInterval,
		KeyRetention:         DefaultKeyRetention,
		ClusterInviteBlocks:  DefaultClusterInviteBlocks,
		ReencryptStallBlocks: DefaultReencryptStallBlocks,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
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
	if p.ClusterInviteBlocks == 0 || p.ClusterInviteBlocks > MaxClusterInviteBlocks {
		return fmt.Errorf("%w: cluster_invite_blocks %d, want 1-%d blocks", ErrInvalidParams, p.ClusterInviteBlocks, uint64(MaxClusterInviteBlocks))
	}
	if p.ReencryptStallBlocks == 0 || p.ReencryptStallBlocks > MaxKeyRetention {
		return fmt.Errorf("%w: reencrypt_stall_blocks %d, want 1-%d blocks", ErrInvalidParams, p.ReencryptStallBlocks, uint64(MaxKeyRetention))
	}
	return nil
}
