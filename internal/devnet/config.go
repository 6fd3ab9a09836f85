package devnet

import (
	"errors"
	"fmt"
	"time"
)

// Config is the devnet's configuration.
type Config struct {
	// Home is the directory holding the whole devnet.
	Home string
	// ChainID of a new devnet; a resumed one keeps its own.
	ChainID string
	// PortOffset is added to every default port (26656 p2p, 26657 RPC,
	// 9090 gRPC, 1317 REST, 26660 metrics, 8000+i pRuntime i, 8100+i its
	// app API), so that
	// several devnets can run on one machine.
	PortOffset int
	// BlockTime is CometBFT's timeout_commit.
	BlockTime time.Duration
	// StatusInterval is how often the status table is printed; 0 prints it
	// once, when the chain is up.
	StatusInterval time.Duration
	// VotingPeriod is the governance voting period of a new devnet; the
	// expedited period is half of it.
	VotingPeriod time.Duration
	// Accounts are the names of funded accounts besides the validator.
	Accounts []string
	// IngressRetention is x/mq's ingress_retention_blocks for a new devnet
	// (0: the module default).
	IngressRetention uint64
	// Workers is how many worker pRuntimes (sim TEE) with pherry relayers
	// to run; with gatekeepers, they form a demo cluster.
	Workers int
	// Gatekeepers is how many more pRuntimes to run and designate as
	// gatekeepers (through a governance proposal). A new devnet funds an
	// operator account for every pRuntime.
	Gatekeepers int
	// RotationInterval is x/gatekeeper's rotation_interval for a new devnet:
	// the master key rotates on its own every this many blocks (0: off).
	RotationInterval uint64
	// KeyRetention is x/gatekeeper's key_retention for a new devnet: blocks
	// from a retired master key version to its erasure (0: the module
	// default).
	KeyRetention uint64
	// ReencryptStallBlocks is x/gatekeeper's reencrypt_stall_blocks for a new
	// devnet (0: the module default).
	ReencryptStallBlocks uint64
	// Down names pRuntimes (e.g. "gatekeeper-0") this run starts neither
	// with nor without their relayer: a pRuntime that died for good, for
	// fault tests. NoRelayer names pRuntimes started without their pherry
	// relayer: they serve their app API but fall behind the chain.
	Down, NoRelayer []string
}

// DefaultConfig returns the defaults of `gkd devnet`.
func DefaultConfig() Config {
	return Config{
		ChainID:        "gatekeeper-devnet",
		BlockTime:      time.Second,
		StatusInterval: 10 * time.Second,
		VotingPeriod:   20 * time.Second,
		Accounts:       []string{"faucet", "operator"},
		Gatekeepers:    3,
		Workers:        2,
	}
}

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	switch {
	case c.Home == "":
		return errors.New("devnet: Home: must be set")
	case c.ChainID == "" || len(c.ChainID) > 50:
		return fmt.Errorf("devnet: ChainID: %q must be 1-50 characters", c.ChainID)
	case c.PortOffset < 0 || c.PortOffset > 30000:
		return fmt.Errorf("devnet: PortOffset: %d, want 0-30000", c.PortOffset)
	case c.BlockTime < 100*time.Millisecond || c.BlockTime > time.Minute:
		return fmt.Errorf("devnet: BlockTime: %s, want 100ms-1m", c.BlockTime)
	case c.VotingPeriod < 2*time.Second || c.VotingPeriod > 24*time.Hour:
		return fmt.Errorf("devnet: VotingPeriod: %s, want 2s-24h", c.VotingPeriod)
	case c.Workers < 0 || c.Workers > 32:
		return fmt.Errorf("devnet: Workers: %d, want 0-32", c.Workers)
	case c.Gatekeepers < 0 || c.Gatekeepers+c.Workers > 32:
		return fmt.Errorf("devnet: Gatekeepers: %d, want 0-%d (at most 32 pRuntimes)", c.Gatekeepers, 32-c.Workers)
	case c.KeyRetention > 1<<32:
		return fmt.Errorf("devnet: KeyRetention: %d, want at most 2^32 blocks", c.KeyRetention)
	case c.ReencryptStallBlocks > 1<<32:
		return fmt.Errorf("devnet: ReencryptStallBlocks: %d, want at most 2^32 blocks", c.ReencryptStallBlocks)
	case c.StatusInterval < 0:
		return fmt.Errorf("devnet: StatusInterval: %s must not be negative", c.StatusInterval)
	}
	seen := map[string]bool{ValidatorKey: true}
	for _, a := range c.Accounts {
		if a == "" || seen[a] {
			return fmt.Errorf("devnet: Accounts: %q is empty or repeated", a)
		}
		seen[a] = true
	}
	return nil
}

// Ports are the devnet's listen ports.
type Ports struct {
	P2P, RPC, GRPC, REST, Metrics int
	// PRuntime is the first pRuntime's RPC port; pRuntime i (gatekeepers
	// first, then workers) uses PRuntime+i.
	PRuntime int
	// AppAPI is the first pRuntime's local app API port, likewise.
	AppAPI int
	// PherryMetrics is the first relayer's metrics port (/metrics,
	// /health, /ready), likewise.
	PherryMetrics int
}

// Ports returns the listen ports for the configured offset.
func (c Config) Ports() Ports {
	o := c.PortOffset
	return Ports{P2P: 26656 + o, RPC: 26657 + o, GRPC: 9090 + o, REST: 1317 + o, Metrics: 26660 + o, PRuntime: pruntimeBasePort + o, AppAPI: appAPIBasePort + o,
		PherryMetrics: pherryMetricsBasePort + o}
}
