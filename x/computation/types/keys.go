package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key, topic owner prefix
	// ("computation/...") and the name of the module account that escrows
	// stakes and mints the budget (Minter, Burner).
	ModuleName = "computation"
	// StoreKey is the module's KV store.
	StoreKey = ModuleName
	// TreasuryName is the module account (no permissions) that receives the
	// treasury's part of every payout.
	TreasuryName = "computation_treasury"
)

// Store layout of the "computation" store. Every key is prefix || encoded
// key; integers are big-endian, so iteration is in numeric order.
var (
	// ParamsKey holds Params.
	ParamsKey = collections.NewPrefix(0)
	// BenchmarkPrefix || worker identity key (32 bytes) → Benchmark.
	BenchmarkPrefix = collections.NewPrefix(1)
	// SessionPrefix || worker identity key (32 bytes) → Session: the
	// worker's current session (computing, unresponsive or cooling down).
	// A worker has at most one; it is deleted when the stake is released.
	SessionPrefix = collections.NewPrefix(2)
	// NextSessionIDKey holds the u64 id the next session gets (absent: 1).
	NextSessionIDKey = collections.NewPrefix(3)
	// Prefix 4 held pending block tasks before settlements moved to the
	// gatekeepers' computation lane; it is not reused.
	// CooldownPrefix || u64 cooldown end height || worker identity key → ()
	// for every COOLING_DOWN session: EndBlock releases the stakes of the
	// heights up to the current one. An index of SessionPrefix, rebuilt
	// from the sessions at genesis.
	CooldownPrefix = collections.NewPrefix(5)
	// ActiveSessionsKey holds the u64 number of COMPUTING and UNRESPONSIVE
	// sessions, so EndBlock knows without a scan whether the engine needs
	// the block closed. Derived, rebuilt from the sessions at genesis.
	ActiveSessionsKey = collections.NewPrefix(6)
	// LastChangeHeightKey holds the u64 height of the latest start or stop:
	// that block is closed even when no session is active after it.
	LastChangeHeightKey = collections.NewPrefix(7)
	// ParamsPublishedKey holds a bool: the params are on the ingress log.
	ParamsPublishedKey = collections.NewPrefix(8)
	// LastClosedHeightKey holds the u64 height of the last block closed for
	// the engine (a protocol.TopicBlock on the ingress log).
	LastClosedHeightKey = collections.NewPrefix(9)
	// LastOutputHeightKey holds the u64 height of the block of the last
	// settlement delivered on the computation lane.
	LastOutputHeightKey = collections.NewPrefix(10)
)

// FirstSessionID is the id of the first session; 0 never names one.
const FirstSessionID = 1
