package tdx

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/google/go-tdx-guest/verify"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
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
	pool := x509.NewCertPool()
	pool.AddCert(root)
	opts := &verify.Options{
		Now:          &verify.TimeSet{PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now},
		TrustedRoots: pool,
	}
	if err := verify.TdxQuote(q.Proto, opts); err != nil {
		return attest.Report{}, fmt.Errorf("%w: tdx: %v", attest.ErrQuoteSignature, err)
	}
	if coll == nil {
		return attest.Report{}, fmt.Errorf("%w: tdx: no collateral source", attest.ErrNoCollateral)
	}
	c, err := coll.TDX(q.FMSPC())
	if err != nil {
		return attest.Report{}, err
	}
	cc, err := checkCollateral(c, root, now)
	if err != nil {
		return attest.Report{}, err
	}
	if cc.pckCRL.Issuer.String() != q.PCK.Issuer.String() {
		return attest.Report{}, fmt.Errorf("%w: tdx: stored PCK CRL is %q's, the quote's PCK certificate is issued by %q",
			attest.ErrInvalidCollateral, cc.pckCRL.Issuer.CommonName, q.PCK.Issuer.CommonName)
	}
	if revoked(cc.rootCRL, q.Intermediate) {
		return attest.Report{}, fmt.Errorf("%w: tdx: PCK CA %q (serial %x)", attest.ErrCertificateRevoked, q.Intermediate.Subject.CommonName, q.Intermediate.SerialNumber)
	}
	if revoked(cc.pckCRL, q.PCK) {
		return attest.Report{}, fmt.Errorf("%w: tdx: PCK certificate serial %x", attest.ErrCertificateRevoked, q.PCK.SerialNumber)
	}
	grade, err := gradePlatform(q, cc)
	if err != nil {
		return attest.Report{}, err
	}
	level, err := attest.ConfidenceLevel(grade.status, grade.advisories, coll.AcceptedAdvisories())
	if err != nil {
		return attest.Report{}, fmt.Errorf("tdx: FMSPC %s: %w", q.FMSPC(), err)
	}
	r := attest.Report{
		Kind:            attest.KindTDX,
		Measurement:     q.Measurement(),
		ConfidenceLevel: level,
		TCBStatus:       grade.status,
		Advisories:      attest.MergeAdvisories(grade.advisories),
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
	cc, err := checkCollateral(c, root, now)
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	return attest.CollateralInfo{PlatformID: normalizeFMSPC(cc.tcbInfo.Fmspc), NotAfter: cc.notAfter}, nil
}

// intelRootPEM is the Intel SGX Root CA certificate, the trust anchor of
// every TDX and SGX quote. Pinned here, not fetched, not taken from a quote.
const intelRootPEM = `-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
`

// IntelRootSHA256 is the SHA-256 of the pinned root's DER encoding.
const IntelRootSHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3"

// PinnedRoot returns the pinned Intel SGX Root CA.
func PinnedRoot() (*x509.Certificate, error) {
	blk, _ := pem.Decode([]byte(intelRootPEM))
	if blk == nil {
		return nil, fmt.Errorf("tdx: pinned root does not decode")
	}
	if fmt.Sprintf("%x", sha256.Sum256(blk.Bytes)) != IntelRootSHA256 {
		return nil, fmt.Errorf("tdx: pinned root does not match its fingerprint")
	}
	return x509.ParseCertificate(blk.Bytes)
}
