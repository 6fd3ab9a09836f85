// Package snptest is for tests only. It gives the genuine go-sev-guest
// sample (a Milan attestation report with the VCEK AMD's KDS issued for it)
// and a synthetic CRL signer standing in for AMD's ARK, because no
// ARK-signed CRL covering the sample's period is available offline.
//
// Only the CRL's signer is synthetic: a Verifier from CRLSigner.Verifier
// still checks the report signature, the VCEK and the ASK against the AMD
// roots pinned in package snp, so only a genuine, AMD-signed report is
// accepted. The chain's verifier (the zero snp.Verifier) rejects every CRL
// made here; no production package imports this one.
package snptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"time"

	sevtest "github.com/google/go-sev-guest/testing"
	"github.com/google/go-sev-guest/verify/testdata"
	"github.com/google/go-sev-guest/verify/trust"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
)

// The sample: a genuine version 2 report from a Milan machine at TCB
// SampleTCB (boot loader 2, TEE 0, SNP 5, microcode 0x44), whose VCEK is
// valid from 2022-09-24 to 2029-09-24 and chains to the pinned
// ASK/ARK-Milan. Its guest policy allows debugging; its REPORT_DATA is
// 01 02 03 … (someone else's, so it binds no registration of ours).
const (
	SampleProductLine = "Milan"
	SampleTCB         = uint64(0x4405000000000002)
)

// SampleTime is a verification time inside the VCEK's validity.
var SampleTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// SampleQuote returns the sample report and VCEK in snp's quote envelope.
func SampleQuote() ([]byte, error) {
	return snp.MarshalQuote(testdata.AttestationBytes, testdata.VcekBytes)
}

// SampleReport returns a copy of the sample's raw attestation report.
func SampleReport() []byte { return append([]byte(nil), testdata.AttestationBytes...) }

// SampleVCEK returns the sample's VCEK certificate.
func SampleVCEK() (*x509.Certificate, error) { return x509.ParseCertificate(testdata.VcekBytes) }

// SampleASK returns ASK-Milan, the VCEK's issuer, as go-sev-guest embeds
// it (and package snp pins through its ARK).
func SampleASK() (*x509.Certificate, error) {
	r := trust.AMDRootCertsProduct(SampleProductLine)
	if err := r.FromKDSCertBytes(trust.AskArkMilanVcekBytes); err != nil {
		return nil, err
	}
	return r.ProductCerts.Ask, nil
}

// SampleMeasurement returns the sample report's MEASUREMENT.
func SampleMeasurement() ([]byte, error) {
	b, err := SampleQuote()
	if err != nil {
		return nil, err
	}
	q, err := snp.ParseQuote(b)
	if err != nil {
		return nil, err
	}
	return q.Measurement(), nil
}

// Offsets into the raw report (AMD SEV-SNP ABI, table "ATTESTATION_REPORT").
const (
	ReportOffsetPolicy      = 0x08
	ReportOffsetVMPL        = 0x30
	ReportOffsetReportData  = 0x50
	ReportOffsetMeasurement = 0x90
	ReportOffsetReportedTCB = 0x180
	ReportOffsetSignature   = 0x2A0
)

// CRLSigner is a synthetic ARK that signs CRLs.
type CRLSigner struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCRLSigner makes a self-signed P-384 CA (as AMD's ARK-Milan is RSA,
// the key type differs; the CRL check does not depend on it) valid from
// notBefore to notAfter. It bears ARK-Milan's subject name, byte for byte,
// so that its CRLs name the issuer of the genuine ASK-Milan, as AMD's do:
// the verifier checks a CRL's issuer name and applies it only to
// certificates of that issuer. Its key and fingerprint are its own.
func NewCRLSigner(notBefore, notAfter time.Time) (*CRLSigner, error) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ask, err := SampleASK()
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), RawSubject: ask.RawIssuer,
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CRLSigner{Cert: cert, key: key}, nil
}

// Verifier returns a verifier that expects this signer's CRLs and trusts
// the pinned AMD roots for everything else.
func (s *CRLSigner) Verifier() (snp.Verifier, error) { return snp.NewVerifierWithTestCRLSigner(s.Cert) }

// CRL returns a DER CRL valid from thisUpdate to nextUpdate that lists the
// serial numbers revoked.
func (s *CRLSigner) CRL(thisUpdate, nextUpdate time.Time, revoked ...*big.Int) ([]byte, error) {
	tpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for _, r := range revoked {
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r, RevocationTime: thisUpdate})
	}
	return x509.CreateRevocationList(rand.Reader, tpl, s.Cert, s.key)
}

// Collateral returns Milan collateral with a CRL of this signer valid from
// thisUpdate to nextUpdate, governance's up-to-date TCB upToDateTCB, and
// the revoked serials.
func (s *CRLSigner) Collateral(upToDateTCB uint64, thisUpdate, nextUpdate time.Time, revoked ...*big.Int) (attest.SNPCollateral, error) {
	crl, err := s.CRL(thisUpdate, nextUpdate, revoked...)
	if err != nil {
		return attest.SNPCollateral{}, err
	}
	return attest.SNPCollateral{ProductLine: SampleProductLine, CRL: crl, UpToDateTCB: upToDateTCB}, nil
}

// Chain is a synthetic certificate chain with the structure of an AMD
// product's KDS chain, made by go-sev-guest's test signer: a self-signed
// ARK (RSA), the ASK it issued (RSA), the VCEK the ASK issued (ECDSA P-384,
// with AMD's VCEK extensions), each under AMD's naming. Its ARK key signs
// CRLs as AMD's KDS CRL for a product is signed, and its ASK key can sign
// the CRL that AMD does not publish (one that could revoke a VCEK).
type Chain struct {
	ARK, ASK, VCEK *x509.Certificate
	arkKey, askKey crypto.Signer
}

// NewChain makes a Milan chain whose certificates are valid from created.
func NewChain(created time.Time) (*Chain, error) {
	s, err := sevtest.DefaultTestOnlyCertChain("Milan-B0", created)
	if err != nil {
		return nil, err
	}
	return &Chain{ARK: s.Ark, ASK: s.Ask, VCEK: s.Vcek, arkKey: s.Keys.Ark, askKey: s.Keys.Ask}, nil
}

// ARKCRL returns a DER CRL issued and signed by the ARK (RSASSA-PSS with
// SHA-384, as AMD's), valid from thisUpdate to nextUpdate, listing revoked.
func (c *Chain) ARKCRL(thisUpdate, nextUpdate time.Time, revoked ...*big.Int) ([]byte, error) {
	return signCRL(c.ARK, c.arkKey, thisUpdate, nextUpdate, revoked)
}

// ASKCRL is a CRL of the ASK, the issuer of VCEKs; AMD publishes none.
func (c *Chain) ASKCRL(thisUpdate, nextUpdate time.Time, revoked ...*big.Int) ([]byte, error) {
	return signCRL(c.ASK, c.askKey, thisUpdate, nextUpdate, revoked)
}

// CRLWithKey returns a CRL that issuer's name heads but key signs.
func CRLWithKey(issuer *x509.Certificate, key crypto.Signer, thisUpdate, nextUpdate time.Time, revoked ...*big.Int) ([]byte, error) {
	return signCRL(issuer, key, thisUpdate, nextUpdate, revoked)
}

// ARKKey returns the ARK's signing key.
func (c *Chain) ARKKey() crypto.Signer { return c.arkKey }

func signCRL(issuer *x509.Certificate, key crypto.Signer, thisUpdate, nextUpdate time.Time, revoked []*big.Int) ([]byte, error) {
	tpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		tpl.SignatureAlgorithm = x509.SHA384WithRSAPSS
	}
	for _, r := range revoked {
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r, RevocationTime: thisUpdate})
	}
	// CreateRevocationList wants the issuer to be allowed to sign CRLs;
	// AMD's ARK and ASK are CAs without a key usage extension.
	is := *issuer
	is.KeyUsage |= x509.KeyUsageCRLSign
	return x509.CreateRevocationList(rand.Reader, tpl, &is, key)
}
