// Package pherry is the relayer between a chain node and a pRuntime. It is
// untrusted by design: it carries headers, proofs and signed messages that
// the pRuntime and the chain verify themselves, and it pays transaction fees
// from an operator account. It can be stopped and restarted at any time:
// everything it needs to resume is asked from the pRuntime and the chain.
package pherry

import (
	"errors"
	"fmt"
	"io"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Config is the relayer's configuration.
type Config struct {
	// NodeRPC is the CometBFT RPC of a node (tcp://host:26657).
	NodeRPC string
	// PRuntime is the pRuntime's RPC (http://host:8000).
	PRuntime string
	// ChainID must match the node's and the pRuntime's.
	ChainID string
	// KeyringDir, KeyringBackend and KeyName select the operator key; or
	// Mnemonic gives it directly (kept in memory only).
	KeyringDir     string
	KeyringBackend string
	KeyName        string
	Mnemonic       string
	// KeyringInput answers the keyring's passphrase prompts (the file
	// backend asks for one); nil answers nothing, so such a keyring fails
	// with an error instead of waiting.
	KeyringInput io.Reader
	// GasPrices pay fees for worker transactions.
	GasPrices string
	// IngressBatch is how many ingress entries go in one sync request.
	IngressBatch int
	// EgressBatch is how many egress messages go in one transaction.
	EgressBatch int
	// PollInterval is how long to wait when there is nothing to do.
	PollInterval time.Duration
	// ProgressInterval is how often progress is logged.
	ProgressInterval time.Duration
}

// DefaultConfig returns defaults; NodeRPC, PRuntime, ChainID and a key must be set.
func DefaultConfig() Config {
	return Config{
		KeyringBackend:   "test",
		KeyName:          "operator",
		GasPrices:        "0.001stake",
		IngressBatch:     500,
		EgressBatch:      100,
		PollInterval:     time.Second,
		ProgressInterval: 10 * time.Second,
	}
}

// Validate names the first wrong field by the flag that sets it, which
// is what an operator can act on.
func (c Config) Validate() error {
	switch {
	case c.NodeRPC == "":
		return errors.New("pherry: --node: required")
	case c.PRuntime == "":
		return errors.New("pherry: --pruntime: required")
	case c.ChainID == "":
		return errors.New("pherry: --chain-id: required")
	case c.Mnemonic == "" && (c.KeyringDir == "" || c.KeyName == ""):
		return errors.New("pherry: --home and --from, or --mnemonic-env: required")
	case c.IngressBatch < 1 || c.IngressBatch > 1000:
		return fmt.Errorf("pherry: --ingress-batch: %d, want 1-1000", c.IngressBatch)
	case c.EgressBatch < 1 || c.EgressBatch > 256:
		return fmt.Errorf("pherry: --egress-batch: %d, want 1-256", c.EgressBatch)
	case c.PollInterval <= 0 || c.ProgressInterval <= 0:
		return fmt.Errorf("pherry: --poll and --progress-interval: %s and %s, want positive", c.PollInterval, c.ProgressInterval)
	}
	if _, err := sdk.ParseDecCoins(c.GasPrices); err != nil {
		return fmt.Errorf("pherry: --gas-prices: %w", err)
	}
	return nil
}
