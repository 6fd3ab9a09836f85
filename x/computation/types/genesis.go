package types

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// DefaultGenesisState returns no sessions and default params.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextSessionId: FirstSessionID}
}

// Validate checks the genesis for internal consistency: valid params;
// sessions and benchmarks in strictly increasing worker order with 32-byte
// keys; session ids unique and below next_session_id; every session's
// fields consistent with its status; the last output not after the last
// closed block.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidGenesis, fmt.Sprintf(format, args...))
	}
	next := gs.NextSessionId
	if next == 0 {
		next = FirstSessionID
	}
	ids := make(map[uint64]bool, len(gs.Sessions))
	for i, s := range gs.Sessions {
		if len(s.Worker) != ed25519.PublicKeySize {
			return bad("session %d: worker key of %d bytes", i, len(s.Worker))
		}
		if i > 0 && bytes.Compare(gs.Sessions[i-1].Worker, s.Worker) >= 0 {
			return bad("sessions not in strictly increasing worker order at %d", i)
		}
		if s.SessionId == 0 || s.SessionId >= next || ids[s.SessionId] {
			return bad("session %x: id %d duplicate or not in [1, %d)", s.Worker, s.SessionId, next)
		}
		ids[s.SessionId] = true
		if s.Operator == "" {
			return bad("session %x: no operator", s.Worker)
		}
		if s.Stake.IsNil() || !s.Stake.IsPositive() || s.TotalPaid.IsNil() || s.TotalPaid.IsNegative() {
			return bad("session %x: stake %v, total paid %v", s.Worker, s.Stake, s.TotalPaid)
		}
		if _, err := tokenomics.Parse(s.V); err != nil {
			return bad("session %x: v %q: %v", s.Worker, s.V, err)
		}
		switch s.Status {
		case SESSION_STATUS_COMPUTING, SESSION_STATUS_UNRESPONSIVE:
			if s.StoppedHeight != 0 || s.CooldownEndHeight != 0 {
				return bad("session %x: %s with a stop height", s.Worker, s.Status)
			}
		case SESSION_STATUS_COOLING_DOWN:
			if s.CooldownEndHeight <= 0 || s.CooldownEndHeight < s.StoppedHeight {
				return bad("session %x: cooling down until %d", s.Worker, s.CooldownEndHeight)
			}
		default:
			return bad("session %x: status %s", s.Worker, s.Status)
		}
	}
	for i, b := range gs.Benchmarks {
		if len(b.Worker) != ed25519.PublicKeySize {
			return bad("benchmark %d: worker key of %d bytes", i, len(b.Worker))
		}
		if i > 0 && bytes.Compare(gs.Benchmarks[i-1].Worker, b.Worker) >= 0 {
			return bad("benchmarks not in strictly increasing worker order at %d", i)
		}
		if b.Score == 0 {
			return bad("benchmark %x: score 0", b.Worker)
		}
	}
	switch {
	case gs.LastClosedHeight < 0 || gs.LastOutputHeight < 0:
		return bad("negative last closed height %d or last output height %d", gs.LastClosedHeight, gs.LastOutputHeight)
	case gs.LastOutputHeight > gs.LastClosedHeight:
		return bad("last output height %d above the last closed height %d", gs.LastOutputHeight, gs.LastClosedHeight)
	}
	return nil
}
