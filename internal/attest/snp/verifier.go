package snp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/go-sev-guest/verify"
	"github.com/google/go-sev-guest/verify/trust"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// Verifier verifies SEV-SNP quotes against the AMD roots pinned below. The
// zero value is what the chain uses (app.Verifiers), and the only value
// that trusts nothing but the pinned roots.
type Verifier struct {
	// testCRLSigner, set only by NewVerifierWithTestCRLSigner, replaces the
	// ARK as the CRL's expected signer. Nil in production.
	testCRLSigner *x509.Certificate
	// testRoots, set only by NewVerifierWithTestRoots, replaces the pinned
	// roots of its product line for reports and CRLs. Nil in production.
	testRoots *trust.ProductCerts
	testLine  string
}

// NewVerifierWithTestRoots returns a Verifier for TESTS ONLY that trusts
// certs (a synthetic ARK with its ASK and ASVK, such as go-sev-guest's test
// signer makes) as the roots of productLine, for reports and CRLs alike,
// and no other product line.
//
// It exists because no genuine VLEK-signed report with its VLEK is
// available offline, so the VLEK path (ASVK chain, ASVK revocation, TCB
// from the VLEK, chip id rule) could not be tested otherwise. The chain
// never constructs one: app.Verifiers uses the zero Verifier, and
// PinnedOnly is false for this one. An ARK that is a pinned AMD root is
// refused: trusting it is what the zero Verifier does.
func NewVerifierWithTestRoots(productLine string, certs trust.ProductCerts) (Verifier, error) {
	if certs.Ark == nil || (certs.Ask == nil && certs.Asvk == nil) {
		return Verifier{}, errors.New("snp: test roots: an ARK and an ASK or ASVK are required")
	}
	got := sha256.Sum256(certs.Ark.Raw)
	for line, fp := range pinnedARK {
		if hex.EncodeToString(got[:]) == fp {
			return Verifier{}, fmt.Errorf("snp: test root is the pinned ARK-%s; use the zero Verifier", line)
		}
	}
	return Verifier{testRoots: &certs, testLine: productLine}, nil
}

// NewVerifierWithTestCRLSigner returns a Verifier for TESTS ONLY. It checks
// the report, its VCEK and the ASK against the pinned AMD roots exactly as
// the zero Verifier does (so the report must still be genuine, AMD-signed),
// but expects the collateral's CRL to be signed by crlSigner instead of the
// product's ARK.
//
// It exists because no ARK-signed CRL covering the public sample report's
// period is available offline, so without it the sample's accepting paths
// (levels, CRL expiry, revocation) could not be tested. Package snptest
// builds one with a synthetic signer. The chain never constructs one:
// app.Verifiers uses the zero Verifier, app's tests assert that it rejects
// CRLs from a test signer, and PinnedOnly tells the two apart.
//
// crlSigner must be a CA certificate allowed to sign CRLs and must not be
// an AMD root: trusting an ARK is what the zero Verifier does.
func NewVerifierWithTestCRLSigner(crlSigner *x509.Certificate) (Verifier, error) {
	if crlSigner == nil {
		return Verifier{}, errors.New("snp: test CRL signer: nil certificate")
	}
	got := sha256.Sum256(crlSigner.Raw)
	for line, fp := range pinnedARK {
		if hex.EncodeToString(got[:]) == fp {
			return Verifier{}, fmt.Errorf("snp: test CRL signer is the pinned ARK-%s; use the zero Verifier", line)
		}
	}
	if !crlSigner.IsCA || crlSigner.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return Verifier{}, fmt.Errorf("snp: test CRL signer %q: not a CA certificate with CRL signing usage", crlSigner.Subject.CommonName)
	}
	return Verifier{testCRLSigner: crlSigner}, nil
}

// PinnedOnly reports whether v trusts only the pinned AMD roots, for CRLs
// as for reports: true for the zero Verifier, false for one made by
// NewVerifierWithTestCRLSigner.
func (v Verifier) PinnedOnly() bool { return v.testCRLSigner == nil && v.testRoots == nil }

var _ attest.Verifier = Verifier{}

// Kind returns attest.KindSEVSNP.
func (Verifier) Kind() string { return attest.KindSEVSNP }

// pinnedARK are the SHA-256 fingerprints of AMD's root keys (ARK) per
// product line. go-sev-guest embeds the ASK/ARK certificates; the chain
// uses them only if their ARK matches the fingerprint pinned here, so a
// library update cannot silently change whom the chain trusts.
var pinnedARK = map[string]string{
	"Milan": "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
	"Genoa": "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
	"Turin": "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a",
}

// roots returns a fresh (never shared, so never cached into) set of the
// pinned AMD roots of productLine with the intermediate that certifies key:
// the ASK for VCEKs, the ASVK for VLEKs. Both bundles hold the same ARK,
// checked against the pinned fingerprint.
func (v Verifier) roots(productLine string, key abi.ReportSigner) (*trust.AMDRootCerts, error) {
	if v.testRoots != nil {
		if productLine != v.testLine {
			return nil, fmt.Errorf("%w: sev-snp: unknown product line %q", attest.ErrCertificateChain, productLine)
		}
		r := trust.AMDRootCertsProduct(productLine)
		c := *v.testRoots
		r.ProductCerts = &c
		return r, nil
	}
	bundles := map[string][2][]byte{
		"Milan": {trust.AskArkMilanVcekBytes, trust.AskArkMilanVlekBytes},
		"Genoa": {trust.AskArkGenoaVcekBytes, trust.AskArkGenoaVlekBytes},
		"Turin": {trust.AskArkTurinVcekBytes, trust.AskArkTurinVlekBytes},
	}
	b, ok := bundles[productLine]
	if !ok {
		return nil, fmt.Errorf("%w: sev-snp: unknown product line %q", attest.ErrCertificateChain, productLine)
	}
	askArk := b[0]
	if key == abi.VlekReportSigner {
		askArk = b[1]
	}
	r := trust.AMDRootCertsProduct(productLine)
	// go-sev-guest v0.15.0's Turin VLEK bundle ends in two bytes of white
	// space, which its own parser refuses; the certificates are checked
	// below (ARK fingerprint) and by the chain verification.
	if err := r.FromKDSCertBytes(bytes.TrimSpace(askArk)); err != nil {
		return nil, fmt.Errorf("sev-snp: embedded %s roots: %w", productLine, err)
	}
	if got := sha256.Sum256(r.ProductCerts.Ark.Raw); hex.EncodeToString(got[:]) != pinnedARK[productLine] {
		return nil, fmt.Errorf("sev-snp: embedded ARK-%s does not match the pinned fingerprint", productLine)
	}
	return r, nil
}

// Verify checks a SEV-SNP quote at now:
//
//  1. it parses strictly (ParseQuote); the report is signed by a VCEK or a
//     VLEK, and the quote's certificate is that key's;
//  2. the VCEK chains through the product's ASK, the VLEK through its ASVK,
//     to the pinned ARK and is valid at now, its TCB (from its extensions)
//     equals the report's reported TCB, and it signs the exact report bytes
//     (go-sev-guest verify, no network access);
//  3. the chip id: a VCEK-signed report's CHIP_ID must be the VCEK's HWID
//     (a zeroed, masked CHIP_ID is refused: a VCEK is one chip's key); a
//     VLEK is not per chip and carries no HWID, so a VLEK-signed report's
//     CHIP_ID, zeroed by MASK_CHIP_ID or not, is bound by nothing and is
//     not used (the report names the product line as its platform);
//  4. collateral for the product line is stored; its CRL is issued and
//     signed by the ARK and current at now, and does not list the ASK or
//     ASVK (CheckRevocation: the ARK's CRL cannot revoke a VCEK or VLEK);
//  5. the reported TCB is graded against governance's up-to-date TCB.
func (v Verifier) Verify(quote []byte, now time.Time, coll attest.Collateral) (attest.Report, error) {
	q, err := ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	var (
		ext   *kds.Extensions
		chain = &spb.CertificateChain{}
	)
	switch q.SignerKey {
	case abi.VcekReportSigner:
		ext, err = kds.VcekCertificateExtensions(q.Parsed)
		chain.VcekCert = q.Cert
	case abi.VlekReportSigner:
		ext, err = kds.VlekCertificateExtensions(q.Parsed)
		chain.VlekCert = q.Cert
	default:
		return attest.Report{}, fmt.Errorf("%w: sev-snp: report signed by %v; only VCEK- and VLEK-signed reports are supported", attest.ErrCertificateChain, q.SignerKey)
	}
	if err != nil {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: %v extensions: %v", attest.ErrCertificateChain, q.SignerKey, err)
	}
	productLine := productLineOf(q.Proto, ext.ProductName)
	r, err := v.roots(productLine, q.SignerKey)
	if err != nil {
		return attest.Report{}, err
	}
	ica := r.ProductCerts.Ask
	if q.SignerKey == abi.VlekReportSigner {
		ica = r.ProductCerts.Asvk
	}
	if ica == nil {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: no %s intermediate for %v", attest.ErrCertificateChain, productLine, q.SignerKey)
	}
	att := &spb.Attestation{Report: q.Proto, CertificateChain: chain}
	opts := &verify.Options{DisableCertFetching: true, Now: now, TrustedRoots: map[string][]*trust.AMDRootCerts{productLine: {r}}}
	if err := verify.SnpAttestation(att, opts); err != nil {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: %v", attest.ErrQuoteSignature, err)
	}
	// SnpAttestation checks the re-encoded report; check the bytes carried.
	if err := verify.SnpReportSignature(q.Report, q.Parsed); err != nil {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: %v", attest.ErrQuoteSignature, err)
	}
	if uint64(ext.TCBVersion) != q.Proto.GetReportedTcb() {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: %v is for TCB %#x, report states %#x", attest.ErrPlatformMismatch, q.SignerKey, uint64(ext.TCBVersion), q.Proto.GetReportedTcb())
	}
	if q.SignerKey == abi.VcekReportSigner {
		chip := q.Proto.GetChipId()
		if allZero(chip) {
			return attest.Report{}, fmt.Errorf("%w: sev-snp: VCEK-signed report with a zeroed CHIP_ID (MASK_CHIP_ID): a VCEK is one chip's key; masked hosts must sign with a VLEK", attest.ErrPlatformMismatch)
		}
		if !bytes.Equal(chip, ext.HWID) {
			return attest.Report{}, fmt.Errorf("%w: sev-snp: report CHIP_ID is not the VCEK's HWID", attest.ErrPlatformMismatch)
		}
	}
	if coll == nil {
		return attest.Report{}, fmt.Errorf("%w: sev-snp: no collateral source", attest.ErrNoCollateral)
	}
	c, err := coll.SNP(productLine)
	if err != nil {
		return attest.Report{}, err
	}
	crl, err := v.checkCRL(c, r, now)
	if err != nil {
		return attest.Report{}, err
	}
	// The ARK's CRL can revoke only what the ARK issued: the ASK or ASVK
	// here. The VCEK (VLEK) is the ASK's (ASVK's), outside its scope (see
	// CheckRevocation, doc.go).
	if err := CheckRevocation(crl, ica, q.Parsed); err != nil {
		return attest.Report{}, fmt.Errorf("%w (%s CRL)", err, productLine)
	}
	status := attest.TCBUpToDate
	if !tcbAtLeast(q.Proto.GetReportedTcb(), c.UpToDateTCB) {
		status = attest.TCBOutOfDate
	}
	level, err := attest.ConfidenceLevel(status, nil, coll.AcceptedAdvisories())
	if err != nil {
		return attest.Report{}, err
	}
	rep := attest.Report{
		Kind:            attest.KindSEVSNP,
		Measurement:     q.Measurement(),
		ConfidenceLevel: level,
		TCBStatus:       status,
		Debug:           q.Debug(),
		PlatformID:      productLine,
		VMPL:            q.Proto.GetVmpl(),
	}
	copy(rep.ReportData[:], q.Proto.GetReportData())
	return rep, nil
}

// CheckCollateral verifies c at now and returns its product line and expiry.
func (v Verifier) CheckCollateral(c attest.SNPCollateral, now time.Time) (attest.CollateralInfo, error) {
	if err := c.CheckBounds(); err != nil {
		return attest.CollateralInfo{}, err
	}
	r, err := v.roots(c.ProductLine, abi.VcekReportSigner)
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	crl, err := v.checkCRL(c, r, now)
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	return attest.CollateralInfo{PlatformID: c.ProductLine, NotAfter: crl.NextUpdate}, nil
}

func (v Verifier) checkCRL(c attest.SNPCollateral, r *trust.AMDRootCerts, now time.Time) (*x509.RevocationList, error) {
	if err := c.CheckBounds(); err != nil {
		return nil, err
	}
	signer := r.ProductCerts.Ark
	if v.testCRLSigner != nil {
		signer = v.testCRLSigner
	}
	crl, err := VerifyCRL(c.CRL, signer, now)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, c.ProductLine)
	}
	return crl, nil
}

// VerifyCRL parses a DER CRL and checks, at now, that issuer issued it (its
// issuer name is issuer's subject, byte for byte, and issuer's key signed
// it) and that it is current: ErrInvalidCollateral before its thisUpdate or
// for any other defect, ErrCollateralExpired after its nextUpdate.
func VerifyCRL(der []byte, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%w: sev-snp: crl: %v", attest.ErrInvalidCollateral, err)
	}
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return nil, fmt.Errorf("%w: sev-snp: crl issued by %q, want %q", attest.ErrInvalidCollateral, crl.Issuer, issuer.Subject)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%w: sev-snp: crl is not signed by %q: %v", attest.ErrInvalidCollateral, issuer.Subject.CommonName, err)
	}
	if now.Before(crl.ThisUpdate) {
		return nil, fmt.Errorf("%w: sev-snp: crl is valid only from %s", attest.ErrInvalidCollateral, crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if now.After(crl.NextUpdate) {
		return nil, fmt.Errorf("%w: sev-snp: crl expired at %s, verification time %s", attest.ErrCollateralExpired,
			crl.NextUpdate.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return crl, nil
}

// CheckRevocation checks the certificates of a chain, below its root,
// against a CRL that VerifyCRL accepted. A CRL revokes only certificates
// its issuer issued (RFC 5280 §5: serial numbers are unique per issuer), so
// a certificate is in its scope only if its issuer name is the CRL's
// issuer: for AMD's KDS CRL of a product, signed by the ARK, that is the
// ASK and the ASVK, never the VCEK or VLEK, which they issued. A listed serial of a certificate outside the
// scope means nothing and is ignored. It fails with ErrCertificateRevoked
// if a certificate in scope is listed, and with ErrInvalidCollateral if no
// certificate of chain is in scope: such a CRL could revoke nothing here.
func CheckRevocation(crl *x509.RevocationList, chain ...*x509.Certificate) error {
	inScope := 0
	for _, cert := range chain {
		if !bytes.Equal(cert.RawIssuer, crl.RawIssuer) {
			continue
		}
		inScope++
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
				return fmt.Errorf("%w: sev-snp: %q serial %x is on the crl of %q", attest.ErrCertificateRevoked,
					cert.Subject.CommonName, cert.SerialNumber, crl.Issuer.CommonName)
			}
		}
	}
	if inScope == 0 {
		return fmt.Errorf("%w: sev-snp: crl of %q covers no certificate of the chain", attest.ErrInvalidCollateral, crl.Issuer.CommonName)
	}
	return nil
}

// productLineOf names the product: from the report's CPUID (version 3
// reports) or else from the VCEK's product name ("Milan-B0" → "Milan").
func productLineOf(r *spb.Report, certProduct string) string {
	if fms := r.GetCpuid1EaxFms(); fms != 0 {
		return kds.ProductLineFromFms(fms)
	}
	line, _, _ := strings.Cut(certProduct, "-")
	return line
}

// tcbAtLeast compares TCB versions component by component (each byte is a
// security patch level).
func tcbAtLeast(have, want uint64) bool {
	for i := 0; i < 8; i++ {
		if byte(have>>(8*i)) < byte(want>>(8*i)) {
			return false
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
