package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key and topic owner prefix.
	ModuleName = "registry"
	// StoreKey is the module's KV store.
	StoreKey = ModuleName
)

// Store layout of the "registry" store. Every key is prefix || encoded key.
var (
	// ParamsKey holds Params.
	ParamsKey = collections.NewPrefix(0)
	// MeasurementPrefix || tee kind || 0x00 || measurement bytes → Measurement.
	MeasurementPrefix = collections.NewPrefix(1)
	// WorkerPrefix || identity key (32 bytes) → Worker.
	WorkerPrefix = collections.NewPrefix(2)
	// GatekeeperPrefix || identity key (32 bytes) → Gatekeeper. Iteration in
	// key order gives the canonical order of the gatekeeper set.
	GatekeeperPrefix = collections.NewPrefix(3)
)
