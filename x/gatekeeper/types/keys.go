package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key and topic owner prefix
	// (topics gatekeeper/...).
	ModuleName = "gatekeeper"
	// StoreKey is the module's KV store.
	StoreKey = ModuleName
)

// Store layout of the "gatekeeper" store. Every key is prefix || encoded
// key. The prefixes are the numbers these records had in the "registry"
// store before the gatekeeper protocol became its own module, so that the
// enclave's proven keys (internal/protocol/store.go) changed only by store
// name.
var (
	// ParamsKey holds Params.
	ParamsKey = collections.NewPrefix(0)
	// GatekeeperPrefix || identity key (32 bytes) → Gatekeeper. Iteration in
	// key order gives the canonical order of the gatekeeper set.
	GatekeeperPrefix = collections.NewPrefix(3)
	// MasterKeyPrefix || u32 big-endian version → MasterKey. Versions run
	// from 0 without gaps, so the number of entries is the number of versions.
	MasterKeyPrefix = collections.NewPrefix(4)
	// ClusterPrefix || u64 big-endian cluster id → Cluster.
	ClusterPrefix = collections.NewPrefix(5)
	// NextClusterIDKey holds the id the next cluster gets (u64; ids start
	// at 1, so 0 never names a cluster).
	NextClusterIDKey = collections.NewPrefix(6)
	// WorkerClusterPrefix || identity key (32 bytes) → u64 big-endian id of
	// the worker's cluster. A worker is in at most one cluster. An index of
	// ClusterPrefix, rebuilt from the clusters at genesis.
	WorkerClusterPrefix = collections.NewPrefix(7)
	// LauncherKey holds the identity key (32 bytes) of the gatekeeper that
	// must generate master key version 0; absent once it exists.
	LauncherKey = collections.NewPrefix(8)
	// LatestBeaconKey holds the newest accepted Beacon.
	LatestBeaconKey = collections.NewPrefix(9)
	// RotationPrefix || u32 big-endian to_version → Rotation: every master
	// key rotation, the running one (phase before DONE) always the last.
	// The last entry's start_height times rotation_interval.
	RotationPrefix = collections.NewPrefix(11)
	// MigrationPrefix || u64 big-endian id → Migration: every pRuntime
	// migration, ids from 1 without gaps, the pending one (SCHEDULED) always
	// the last.
	MigrationPrefix = collections.NewPrefix(12)
	// KeyRequestPrefix || u8 kind (1 master key history, 2 cluster key) ||
	// identity key (32 bytes) → u64 big-endian height || u64 big-endian
	// cluster id (0 for kind 1) || u32 big-endian version: the sender's last
	// granted key request, which bounds how often it may ask again. Not in
	// genesis: an export forgets it, which only lets each sender ask once
	// more.
	KeyRequestPrefix = collections.NewPrefix(16)
	// ClusterInvitationPrefix || u64 big-endian cluster id || identity key
	// → ClusterInvitation: pending invitations, at most max_cluster_workers
	// per cluster. Numbered apart so that prefixes other changes add after
	// 12 do not collide.
	ClusterInvitationPrefix = collections.NewPrefix(30)
)
