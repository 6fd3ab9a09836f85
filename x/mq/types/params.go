package types

import "fmt"

// Default parameter values.
const (
	DefaultIngressRetentionBlocks = 100_000
	DefaultMaxMessagesPerTx       = 256
	// MaxMessagesPerTxLimit bounds what governance may set.
	MaxMessagesPerTxLimit = 4096
)

// DefaultParams returns the defaults: majority quorum, 100k blocks retention.
func DefaultParams() Params {
	return Params{
		GkQuorum:               0,
		IngressRetentionBlocks: DefaultIngressRetentionBlocks,
		MaxMessagesPerTx:       DefaultMaxMessagesPerTx,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	if p.MaxMessagesPerTx == 0 || p.MaxMessagesPerTx > MaxMessagesPerTxLimit {
		return fmt.Errorf("%w: max_messages_per_tx %d, want 1-%d", ErrInvalidParams, p.MaxMessagesPerTx, MaxMessagesPerTxLimit)
	}
	if p.GkQuorum > 1024 {
		return fmt.Errorf("%w: gk_quorum %d is larger than any gatekeeper set", ErrInvalidParams, p.GkQuorum)
	}
	return nil
}

// Quorum returns how many signatures a gatekeeper message needs when the
// gatekeeper set has n members: gk_quorum, or a majority when it is 0. A set
// smaller than gk_quorum cannot reach quorum: governance must lower it.
func (p Params) Quorum(n int) int {
	if p.GkQuorum == 0 {
		return n/2 + 1
	}
	return int(p.GkQuorum)
}
