package tdx

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/google/go-tdx-guest/verify"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// Verifier verifies TDX quotes. The zero value trusts only the pinned
// Intel SGX Root CA, which is what the chain uses.
type Verifier struct {
	// root overrides the pinned root; set only by tests of this package
	// (export_test.go), never reachable from another package.
	root *x509.Certificate
}

var _ attest.Verifier = Verifier{}

// Kind returns attest.KindTDX.
func (Verifier) Kind() string { return attest.KindTDX }

func (v Verifier) trustRoot() (*x509.Certificate, error) {
	if v.root != nil {
		return v.root, nil
	}
	return PinnedRoot()
}

// Verify checks a TDX quote at now:
//
//  1. it parses strictly (ParseQuote);
//  2. its PCK certificate chain leads to the pinned Intel SGX Root CA and
//     is valid at now; the QE report is signed by the PCK key and binds the
//     attestation key, which signs the quote header and TD report
//     (go-tdx-guest verify, without network access);
//  3. collateral for the PCK certificate's FMSPC is stored, verifies and
//     has not expired at now (checkCollateral);
//  4. neither the PCK certificate nor its CA is on a CRL;
//  5. the platform's and quoting enclave's TCB levels are found in the
//     collateral and graded to a confidence level.
//
// Errors wrap the attest sentinel naming the cause.
func (v Verifier) Verify(quote []byte, now time.Time, coll attest.Collateral) (attest.Report, error) {
	root, err := v.trustRoot()
	if err != nil {
		return attest.Report{}, err
	}
	q, err := ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	if !q.Root.Equal(root) {
		return attest.Report{}, fmt.Errorf("%w: tdx: PCK chain root %q is not the pinned Intel SGX Root CA", attest.ErrCertificateChain, q.Root.Subject.CommonName)
	}
	if q.v5 != nil {
		if err := intel.TDX.CheckSignatures(*q.v5, root, now); err != nil {
			return attest.Report{}, err
		}
		// A TD bound to a service TD (a migration TD, TDX 1.5) can have
		// its state exported by code the measurement does not cover.
		if len(q.MRServiceTD) != 0 && !bytes.Equal(q.MRServiceTD, make([]byte, len(q.MRServiceTD))) {
			return attest.Report{}, fmt.Errorf("%w: tdx: TD is bound to service TD %x; not accepted", attest.ErrPlatformMismatch, q.MRServiceTD)
		}
	} else {
		pool := x509.NewCertPool()
		pool.AddCert(root)
		opts := &verify.Options{
			Now:          &verify.TimeSet{PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now},
			TrustedRoots: pool,
		}
		if err := verify.TdxQuote(q.Proto, opts); err != nil {
			return attest.Report{}, fmt.Errorf("%w: tdx: %v", attest.ErrQuoteSignature, err)
		}
	}
	if coll == nil {
		return attest.Report{}, fmt.Errorf("%w: tdx: no collateral source", attest.ErrNoCollateral)
	}
	c, err := coll.TDX(q.FMSPC())
	if err != nil {
		return attest.Report{}, err
	}
	cc, err := intel.TDX.CheckPlatform(c, root, q.PCK, q.Intermediate, now)
	if err != nil {
		return attest.Report{}, err
	}
	grade, err := gradePlatform(q, cc)
	if err != nil {
		return attest.Report{}, err
	}
	level, err := attest.ConfidenceLevel(grade.Status, grade.Advisories, coll.AcceptedAdvisories())
	if err != nil {
		return attest.Report{}, fmt.Errorf("tdx: FMSPC %s: %w", q.FMSPC(), err)
	}
	r := attest.Report{
		Kind:            attest.KindTDX,
		Measurement:     q.Measurement(),
		ConfidenceLevel: level,
		TCBStatus:       grade.Status,
		Advisories:      attest.MergeAdvisories(grade.Advisories),
		Debug:           q.Debug(),
		PlatformID:      q.FMSPC(),
	}
	copy(r.ReportData[:], q.Proto.GetTdQuoteBody().GetReportData())
	return r, nil
}

// CheckCollateral verifies collateral at now as Verify would use it, and
// returns the FMSPC it is for and when it expires. The chain runs it when
// governance sets collateral, so that unusable collateral is refused then
// rather than discovered at the next registration.
func (v Verifier) CheckCollateral(c attest.TDXCollateral, now time.Time) (attest.CollateralInfo, error) {
	root, err := v.trustRoot()
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	cc, err := intel.CheckCollateral(intel.TDX, c, root, now)
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	return attest.CollateralInfo{PlatformID: intel.NormalizeFMSPC(cc.TCBInfo.Fmspc), NotAfter: cc.NotAfter}, nil
}
