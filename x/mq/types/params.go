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
// gatekeeper set has n members: gk_quorum, or a majority when it is 0.
//
// A gk_quorum above n is clamped to n (every gatekeeper must sign): governance
// cannot set one above the set (MsgUpdateParams refuses it), but a later set
// change (a removal, a migration, genesis) can shrink the set below it, and
// an unreachable quorum would stall the gatekeeper channel for good. The
// clamp never asks for fewer signatures than the whole set, which is at
// least a majority, and the stored gk_quorum applies again once the set has
// grown back. x/mq emits EventQuorumClamped when the clamp starts to apply.
func (p Params) Quorum(n int) int {
	switch {
	case p.GkQuorum == 0 || n == 0:
		return n/2 + 1
	case int(p.GkQuorum) > n:
		return n
	default:
		return int(p.GkQuorum)
	}
}

// Clamped reports whether Quorum(n) is below gk_quorum because the set of
// n gatekeepers is smaller than it.
func (p Params) Clamped(n int) bool { return n > 0 && int(p.GkQuorum) > n }
