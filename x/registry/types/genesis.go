package types

import (
	"crypto/ed25519"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// MaxMeasurementLen bounds a measurement: TDX's is MRTD || RTMR0..3
// (240 bytes), SNP's MEASUREMENT 48, sim's 32.
const MaxMeasurementLen = 256

// DefaultGenesisState returns an empty registry with default params.
func DefaultGenesisState() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

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
	return gs.validateCollaterals()
}

// validateCollaterals checks the shape of stored collateral: kind and
// platform id consistent with its one payload, ascending unique keys, sizes
// bounded. Signatures are checked when a quote uses it, at block time.
func (gs *GenesisState) validateCollaterals() error {
	for i, c := range gs.Collaterals {
		if err := ValidateCollateralShape(c.TeeKind, c.PlatformId, c.Tdx, c.Snp, c.Sgx); err != nil {
			return fmt.Errorf("%w: collateral %d: %w", ErrInvalidGenesis, i, err)
		}
		if i > 0 {
			prev := gs.Collaterals[i-1]
			if prev.TeeKind > c.TeeKind || prev.TeeKind == c.TeeKind && prev.PlatformId >= c.PlatformId {
				return fmt.Errorf("%w: collaterals are not in ascending (tee_kind, platform_id) order without duplicates", ErrInvalidGenesis)
			}
		}
	}
	return nil
}
