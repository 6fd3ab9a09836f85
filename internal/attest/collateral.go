package attest

import (
	"fmt"
	"slices"
	"time"
)

// IntelCollateral is Intel's verification collateral for one SGX or TDX
// platform family (FMSPC), exactly as an operator downloads it from the Intel
// Provisioning Certification Service (PCS, API v4) or a PCCS mirror. Nothing
// in it is trusted on its own: every piece is signed by a key that chains to
// the pinned Intel SGX Root CA, and that is checked at every use.
// SGX and TDX use the same format with different TCB info and QE identity
// (the /sgx/ and /tdx/ endpoints).
type IntelCollateral struct {
	// TCBInfo is the body of GET /{tdx,sgx}/certification/v4/tcb?fmspc=…:
	// {"tcbInfo":{…},"signature":"…"}.
	TCBInfo []byte
	// TCBInfoIssuerChain is that response's TCB-Info-Issuer-Chain header:
	// PEM of the TCB signing certificate, then the root.
	TCBInfoIssuerChain []byte
	// QEIdentity is the body of GET /{tdx,sgx}/certification/v4/qe/identity:
	// {"enclaveIdentity":{…},"signature":"…"}.
	QEIdentity []byte
	// QEIdentityIssuerChain is that response's
	// SGX-Enclave-Identity-Issuer-Chain header (PEM).
	QEIdentityIssuerChain []byte
	// PCKCRL is GET /sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der
	// (DER), for the CA that issued the platform's PCK certificates.
	PCKCRL []byte
	// PCKCRLIssuerChain is that response's SGX-PCK-CRL-Issuer-Chain header (PEM).
	PCKCRLIssuerChain []byte
	// RootCACRL is the Intel SGX Root CA's CRL (DER), from
	// https://certificates.trustedservices.intel.com/IntelSGXRootCA.der.
	RootCACRL []byte
}

// TDXCollateral is the collateral of a TDX platform family: TCB info
// "TDX", QE identity "TD_QE".
type TDXCollateral = IntelCollateral

// SGXCollateral is the collateral of an SGX platform family: TCB info
// "SGX", QE identity "QE".
type SGXCollateral = IntelCollateral

// SNPCollateral is AMD's verification collateral for one SEV-SNP product
// line. The ARK and ASK certificates are pinned in code; what changes over
// time is the CRL and governance's idea of an up-to-date TCB.
type SNPCollateral struct {
	// ProductLine is "Milan", "Genoa" or "Turin".
	ProductLine string
	// CRL is the ARK-signed CRL of the product's VCEK chain (DER), from
	// https://kdsintf.amd.com/vcek/v1/{ProductLine}/crl.
	CRL []byte
	// UpToDateTCB is the TCB_VERSION (as in an attestation report) that
	// governance considers current for this product: a report whose
	// reported TCB is at least this in every component gets level 1; any
	// lower component means OutOfDate (level 5). AMD publishes no TCB
	// status service, so this judgement is governance's.
	UpToDateTCB uint64
}

// Collateral size bounds: generous multiples of what the vendors serve
// today, small enough that a proposal cannot bloat state.
const (
	MaxTCBInfoLen     = 64 << 10
	MaxQEIdentityLen  = 16 << 10
	MaxIssuerChainLen = 8 << 10
	MaxCRLLen         = 512 << 10
)

// CheckBounds checks every field against its size bound and presence.
func (c *IntelCollateral) CheckBounds() error {
	for _, f := range []struct {
		name string
		b    []byte
		max  int
	}{
		{"tcb_info", c.TCBInfo, MaxTCBInfoLen},
		{"tcb_info_issuer_chain", c.TCBInfoIssuerChain, MaxIssuerChainLen},
		{"qe_identity", c.QEIdentity, MaxQEIdentityLen},
		{"qe_identity_issuer_chain", c.QEIdentityIssuerChain, MaxIssuerChainLen},
		{"pck_crl", c.PCKCRL, MaxCRLLen},
		{"pck_crl_issuer_chain", c.PCKCRLIssuerChain, MaxIssuerChainLen},
		{"root_ca_crl", c.RootCACRL, MaxCRLLen},
	} {
		if len(f.b) == 0 {
			return fmt.Errorf("%w: intel: %s is empty", ErrInvalidCollateral, f.name)
		}
		if len(f.b) > f.max {
			return fmt.Errorf("%w: intel: %s is %d bytes, limit %d", ErrInvalidCollateral, f.name, len(f.b), f.max)
		}
	}
	return nil
}

// SNPProductLines are the product lines an SNPCollateral may name.
var SNPProductLines = []string{"Milan", "Genoa", "Turin"}

// CheckBounds checks every field against its size bound and presence.
func (c *SNPCollateral) CheckBounds() error {
	if !slices.Contains(SNPProductLines, c.ProductLine) {
		return fmt.Errorf("%w: sev-snp: product line %q, want one of %v", ErrInvalidCollateral, truncate(c.ProductLine), SNPProductLines)
	}
	if len(c.CRL) == 0 || len(c.CRL) > MaxCRLLen {
		return fmt.Errorf("%w: sev-snp: crl is %d bytes, want 1-%d", ErrInvalidCollateral, len(c.CRL), MaxCRLLen)
	}
	return nil
}

// CollateralInfo is what checking a piece of collateral established.
type CollateralInfo struct {
	// PlatformID is what the collateral is stored under: TDX FMSPC in
	// lowercase hex, SNP product line.
	PlatformID string
	// NotAfter is the earliest expiry among the collateral's parts; quotes
	// verified after it are rejected with ErrCollateralExpired.
	NotAfter time.Time
}

// StaticCollateral is a Collateral held in memory, for tests and tools.
// The chain reads its collateral from state instead.
type StaticCollateral struct {
	TDXByFMSPC             map[string]TDXCollateral
	SGXByFMSPC             map[string]SGXCollateral
	SNPByProduct           map[string]SNPCollateral
	AcceptedAdvisoriesList []string
}

var _ Collateral = StaticCollateral{}

// TDX implements Collateral.
func (s StaticCollateral) TDX(fmspc string) (TDXCollateral, error) {
	c, ok := s.TDXByFMSPC[fmspc]
	if !ok {
		return TDXCollateral{}, fmt.Errorf("%w: tdx fmspc %s", ErrNoCollateral, truncate(fmspc))
	}
	return c, nil
}

// SGX implements Collateral.
func (s StaticCollateral) SGX(fmspc string) (SGXCollateral, error) {
	c, ok := s.SGXByFMSPC[fmspc]
	if !ok {
		return SGXCollateral{}, fmt.Errorf("%w: sgx fmspc %s", ErrNoCollateral, truncate(fmspc))
	}
	return c, nil
}

// SNP implements Collateral.
func (s StaticCollateral) SNP(productLine string) (SNPCollateral, error) {
	c, ok := s.SNPByProduct[productLine]
	if !ok {
		return SNPCollateral{}, fmt.Errorf("%w: sev-snp product %s", ErrNoCollateral, truncate(productLine))
	}
	return c, nil
}

// AcceptedAdvisories implements Collateral.
func (s StaticCollateral) AcceptedAdvisories() []string { return s.AcceptedAdvisoriesList }

// truncate bounds untrusted strings repeated in errors.
func truncate(s string) string {
	const max = 32
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return s
}
