package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key and topic owner prefix.
	ModuleName = "registry"
	// StoreKey is the module's KV store.
	StoreKey = ModuleName
)

// Store layout of the "registry" store. Every key is prefix || encoded key.
// Prefixes 3-9, 11, 12, 16 and 30 held the gatekeeper protocol's state
// before it moved to x/gatekeeper's store (same numbers there); they are
// not reused here.
var (
	// ParamsKey holds Params.
	ParamsKey = collections.NewPrefix(0)
	// MeasurementPrefix || tee kind || 0x00 || measurement bytes → Measurement.
	MeasurementPrefix = collections.NewPrefix(1)
	// WorkerPrefix || identity key (32 bytes) → Worker.
	WorkerPrefix = collections.NewPrefix(2)
	// CollateralPrefix || tee kind || 0x00 || platform id → Collateral
	// (platform id: TDX FMSPC in lowercase hex, SEV-SNP product line).
	CollateralPrefix = collections.NewPrefix(10)
	// EndpointPrefix || identity key (32 bytes) → the worker's announced
	// endpoint URL (string). Kept out of the Worker record (whose endpoint
	// field is stored empty and filled on read) so that an announcement
	// writes ~60 bytes instead of rewriting the ~2.7 kB record; since
	// ConsensusVersion 2.
	EndpointPrefix = collections.NewPrefix(13)
)
