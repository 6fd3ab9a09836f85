package attest

import (
	"errors"
	"time"
)

// TEE kinds with a Verifier. The strings are part of the chain's state (the
// measurement allow-list and registered workers are keyed by them).
const (
	// KindTDX is Intel TDX: quotes are Intel DCAP ECDSA quotes (versions 4
	// and 5),
	// verified by package attest/tdx.
	KindTDX = "tdx"
	// KindSEVSNP is AMD SEV-SNP: quotes are an attestation report with its
	// VCEK certificate (SNPQuoteMagic), verified by package attest/snp.
	KindSEVSNP = "sev-snp"
	// KindSGX is Intel SGX: quotes are Intel DCAP ECDSA quotes (versions 3
	// and 4), verified by package attest/sgx.
	KindSGX = "sgx"
)

// Report is what a verified quote states.
type Report struct {
	// Kind is the TEE kind of the quote (KindSim, KindTDX, KindSEVSNP, KindSGX).
	Kind string
	// Measurement is the code identity of the attested program (sim: 32
	// bytes; tdx: MRTD || RTMR0..3, 240 bytes; sev-snp: MEASUREMENT, 48
	// bytes; sgx: MRENCLAVE, 32 bytes).
	Measurement []byte
	// SignerMeasurement is a second code identity a kind may offer, which
	// an allow-list may name instead of Measurement (sgx: MRSIGNER ||
	// ISVPRODID || ISVSVN, 36 bytes, see sgx.SignerMeasurement); nil for
	// other kinds.
	SignerMeasurement []byte
	// ReportData is the 64 bytes the program bound into the quote.
	ReportData [64]byte
	// ConfidenceLevel grades the platform (DESIGN.md §7): 1–5 for hardware,
	// computed by ConfidenceLevel from TCBStatus and Advisories and the
	// governance's accepted advisories; ConfidenceSimulated for sim.
	ConfidenceLevel uint32
	// TCBStatus is the platform's TCB status as its vendor's collateral
	// grades it (TCBUpToDate, …); empty for sim.
	TCBStatus TCBStatus
	// Advisories are the security advisories the collateral lists for the
	// platform's TCB level, sorted and without duplicates.
	Advisories []string
	// Debug reports a TEE launched with debugging enabled (TDX TD attribute
	// DEBUG, SNP guest policy DEBUG): its host can read and change its
	// memory, so it protects no secret. Callers reject it unless they are a
	// test network.
	Debug bool
	// PlatformID names the collateral the quote was checked against (TDX:
	// FMSPC in lowercase hex; SNP: product line); empty for sim.
	PlatformID string
	// IssuedAt is when the quote was made; zero when the quote format carries no time.
	IssuedAt time.Time
	// VMPL is the SEV-SNP virtual machine privilege level the report was
	// requested from (0, the most privileged, to 3); 0 for other kinds.
	// Software at a lower VMPL (a paravisor, an SVSM) can read and change
	// the memory of a guest at a higher one.
	VMPL uint32
}

// Verifier verifies quotes of one TEE kind. Implementations are
// deterministic: same input, same output.
type Verifier interface {
	// Kind names the TEE kind this verifier accepts.
	Kind() string
	// Verify checks quote at time now (block time, never the host clock)
	// against the governance-managed collateral, and returns what it
	// states. Kinds that need no collateral (sim) accept a nil collateral.
	Verify(quote []byte, now time.Time, collateral Collateral) (Report, error)
}

// Collateral is what a hardware verifier needs from chain state besides the
// quote: the vendor collateral governance stored for the quote's platform,
// and governance's list of accepted advisories. Verifiers look collateral up
// by the platform the quote names, so callers need not parse quotes.
// Implementations read consensus state and must be deterministic.
type Collateral interface {
	// TDX returns the collateral stored for the TDX platform family fmspc
	// (12 lowercase hex digits), or an error wrapping ErrNoCollateral.
	TDX(fmspc string) (TDXCollateral, error)
	// SGX returns the collateral stored for the SGX platform family fmspc
	// (12 lowercase hex digits), or an error wrapping ErrNoCollateral.
	SGX(fmspc string) (SGXCollateral, error)
	// SNP returns the collateral stored for the SEV-SNP product line
	// ("Milan", "Genoa", "Turin"), or an error wrapping ErrNoCollateral.
	SNP(productLine string) (SNPCollateral, error)
	// AcceptedAdvisories returns the advisory ids (e.g. "INTEL-SA-00615")
	// whose mitigations governance does not require: a platform whose only
	// open advisories are accepted gets level 3 instead of 4.
	AcceptedAdvisories() []string
}

// Errors that callers branch on; returned wrapped with detail.
var (
	ErrMalformedQuote  = errors.New("attest: malformed quote")
	ErrQuoteSignature  = errors.New("attest: quote signature does not verify")
	ErrQuoteFromFuture = errors.New("attest: quote issued after verification time")

	// ErrNoCollateral: governance stored no collateral for the quote's platform.
	ErrNoCollateral = errors.New("attest: no collateral for this platform")
	// ErrInvalidCollateral: collateral is malformed, not signed by the
	// vendor's pinned root, or not for this quote's platform.
	ErrInvalidCollateral = errors.New("attest: invalid collateral")
	// ErrCollateralExpired: a piece of collateral (TCB info, QE identity,
	// CRL, signing certificate) is past its validity at verification time.
	ErrCollateralExpired = errors.New("attest: collateral expired")
	// ErrCertificateRevoked: a certificate of the quote's chain is on a CRL.
	ErrCertificateRevoked = errors.New("attest: certificate revoked")
	// ErrCertificateChain: the quote's certificate chain does not lead to the
	// vendor's pinned root at verification time.
	ErrCertificateChain = errors.New("attest: certificate chain does not verify")
	// ErrTCBNotAccepted: the platform's TCB level is revoked, unknown to
	// the collateral, or graded with a status no confidence level admits.
	ErrTCBNotAccepted = errors.New("attest: TCB level not accepted")
	// ErrPlatformMismatch: the quote's platform identity (QE identity,
	// TDX module signer, VCEK TCB) differs from what the collateral or the
	// certificate states.
	ErrPlatformMismatch = errors.New("attest: platform identity does not match collateral")
)

const (
	// MaxQuoteLen bounds a quote of any kind; larger input is rejected unread.
	MaxQuoteLen = 64 << 10

	// MaxFutureSkew is how far a quote's issue time may lie after the
	// verification time. Block time and the enclave host's clock are not
	// synchronized, so a little skew is tolerated; more means a wrong or
	// manipulated clock.
	MaxFutureSkew = time.Minute
)

// ConfidenceSimulated is the confidence level of a simulated quote: no
// hardware attestation at all (DESIGN.md §7).
const ConfidenceSimulated uint32 = 128
