package types

import (
	"crypto/ed25519"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// MaxMeasurementLen bounds a measurement (TDX MRTD and SNP MEASUREMENT are 48 bytes).
const MaxMeasurementLen = 64

// DefaultGenesisState returns an empty registry with default params.
func DefaultGenesisState() *GenesisState { return &GenesisState{Params: DefaultParams()} }

// Validate checks the genesis for internal consistency.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seenM := make(map[string]bool, len(gs.Measurements))
	for _, m := range gs.Measurements {
		if m.TeeKind == "" || len(m.Measurement) == 0 || len(m.Measurement) > MaxMeasurementLen {
			return fmt.Errorf("%w: measurement %q/%x", ErrInvalidGenesis, m.TeeKind, m.Measurement)
		}
		k := m.TeeKind + "/" + string(m.Measurement)
		if seenM[k] {
			return fmt.Errorf("%w: duplicate measurement %s/%x", ErrInvalidGenesis, m.TeeKind, m.Measurement)
		}
		seenM[k] = true
	}
	workers := make(map[string]bool, len(gs.Workers))
	for _, w := range gs.Workers {
		if len(w.IdentityKey) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: worker identity key is %d bytes", ErrInvalidGenesis, len(w.IdentityKey))
		}
		if len(w.ReceiveKey) != protocol.ReceiveKeyLen {
			return fmt.Errorf("%w: worker %x: receive key is %d bytes", ErrInvalidGenesis, w.IdentityKey, len(w.ReceiveKey))
		}
		if workers[string(w.IdentityKey)] {
			return fmt.Errorf("%w: duplicate worker %x", ErrInvalidGenesis, w.IdentityKey)
		}
		workers[string(w.IdentityKey)] = true
	}
	gks := make(map[string]bool, len(gs.Gatekeepers))
	for _, g := range gs.Gatekeepers {
		if !workers[string(g.IdentityKey)] {
			return fmt.Errorf("%w: gatekeeper %x is not a worker", ErrInvalidGenesis, g.IdentityKey)
		}
		if gks[string(g.IdentityKey)] {
			return fmt.Errorf("%w: duplicate gatekeeper %x", ErrInvalidGenesis, g.IdentityKey)
		}
		gks[string(g.IdentityKey)] = true
	}
	return nil
}
