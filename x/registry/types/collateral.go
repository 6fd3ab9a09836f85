package types

import (
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// ToAttest converts stored TDX collateral for the verifier.
func (c *TDXCollateral) ToAttest() attest.TDXCollateral {
	return attest.TDXCollateral{
		TCBInfo: c.TcbInfo, TCBInfoIssuerChain: c.TcbInfoIssuerChain,
		QEIdentity: c.QeIdentity, QEIdentityIssuerChain: c.QeIdentityIssuerChain,
		PCKCRL: c.PckCrl, PCKCRLIssuerChain: c.PckCrlIssuerChain, RootCACRL: c.RootCaCrl,
	}
}

// ToAttest converts stored SNP collateral for the verifier.
func (c *SNPCollateral) ToAttest() attest.SNPCollateral {
	return attest.SNPCollateral{ProductLine: c.ProductLine, CRL: c.Crl, UpToDateTCB: c.UptodateTcb}
}

// ValidateCollateralShape checks what can be checked without time: exactly
// one payload, matching kind, bounded sizes, a well-formed platform id. sgx
// is SGX collateral, carried in a TDXCollateral message (same parts).
func ValidateCollateralShape(kind, platformID string, tdx *TDXCollateral, snp *SNPCollateral, sgx *TDXCollateral) error {
	n := 0
	for _, set := range []bool{tdx != nil, snp != nil, sgx != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: more than one of tdx, snp and sgx set", ErrInvalidCollateral)
	}
	intelKind := attest.KindTDX
	if sgx != nil {
		tdx, intelKind = sgx, attest.KindSGX
	}
	switch {
	case tdx != nil:
		if kind != intelKind {
			return fmt.Errorf("%w: %s collateral under kind %q", ErrInvalidCollateral, intelKind, kind)
		}
		if b, err := hex.DecodeString(platformID); err != nil || len(b) != 6 || hex.EncodeToString(b) != platformID {
			return fmt.Errorf("%w: platform id %q is not a lowercase hex FMSPC", ErrInvalidCollateral, platformID)
		}
		a := tdx.ToAttest()
		if err := a.CheckBounds(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCollateral, err)
		}
	case snp != nil:
		if kind != attest.KindSEVSNP || platformID != snp.ProductLine {
			return fmt.Errorf("%w: snp collateral for %q under %q/%q", ErrInvalidCollateral, snp.ProductLine, kind, platformID)
		}
		a := snp.ToAttest()
		if err := a.CheckBounds(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCollateral, err)
		}
	default:
		return fmt.Errorf("%w: none of tdx, snp and sgx set", ErrInvalidCollateral)
	}
	return nil
}

// Bounds of the accepted_advisories param.
const (
	MaxAcceptedAdvisories = 256
	MaxAdvisoryIDLen      = 32
)

func validateAdvisories(ids []string) error {
	if len(ids) > MaxAcceptedAdvisories {
		return fmt.Errorf("%w: %d accepted_advisories, limit %d", ErrInvalidParams, len(ids), MaxAcceptedAdvisories)
	}
	for i, id := range ids {
		if id == "" || len(id) > MaxAdvisoryIDLen {
			return fmt.Errorf("%w: accepted_advisories[%d]: want 1-%d characters", ErrInvalidParams, i, MaxAdvisoryIDLen)
		}
		for _, r := range id {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%w: accepted_advisories[%d] %q: only A-Z, 0-9 and '-'", ErrInvalidParams, i, id)
			}
		}
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		return fmt.Errorf("%w: accepted_advisories must be sorted and without duplicates", ErrInvalidParams)
	}
	return nil
}
