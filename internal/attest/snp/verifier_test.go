package snp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-sev-guest/verify/trust"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
)

// The go-sev-guest sample (see snptest): a genuine Milan report with its VCEK.
var (
	katNow = snptest.SampleTime
	katTCB = snptest.SampleTCB
)

func katQuote(t testing.TB) []byte {
	t.Helper()
	q, err := snptest.SampleQuote()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// crlSigner wraps snptest.CRLSigner for tests: failures are fatal.
type crlSigner struct {
	*snptest.CRLSigner
	v snp.Verifier
}

func newCRLSigner(t testing.TB) *crlSigner {
	t.Helper()
	s, err := snptest.NewCRLSigner(katNow.Add(-time.Hour), katNow.Add(24*365*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return &crlSigner{CRLSigner: s, v: v}
}

func (s *crlSigner) crl(t testing.TB, this, next time.Time, revoked ...*big.Int) []byte {
	t.Helper()
	der, err := s.CRL(this, next, revoked...)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func source(c attest.SNPCollateral) attest.StaticCollateral {
	return attest.StaticCollateral{SNPByProduct: map[string]attest.SNPCollateral{c.ProductLine: c}}
}

// TestKnownAnswerGenuineChain: the sample's signature chain to the pinned
// ARK verifies; without collateral, verification stops at the collateral
// step, and with a CRL not signed by the ARK it is refused.
func TestKnownAnswerGenuineChain(t *testing.T) {
	t.Parallel()
	q := katQuote(t)
	if _, err := (snp.Verifier{}).Verify(q, katNow, attest.StaticCollateral{}); !errors.Is(err, attest.ErrNoCollateral) {
		t.Fatalf("no collateral: %v, want ErrNoCollateral (everything before it passed)", err)
	}
	s := newCRLSigner(t)
	c := attest.SNPCollateral{ProductLine: "Milan", CRL: s.crl(t, katNow.Add(-time.Hour), katNow.Add(time.Hour))}
	if _, err := (snp.Verifier{}).Verify(q, katNow, source(c)); !errors.Is(err, attest.ErrInvalidCollateral) {
		t.Fatalf("CRL not signed by ARK-Milan: %v, want ErrInvalidCollateral", err)
	}
	if _, err := (snp.Verifier{}).CheckCollateral(c, katNow); !errors.Is(err, attest.ErrInvalidCollateral) {
		t.Fatalf("CheckCollateral with a foreign CRL: %v", err)
	}
}

// TestKnownAnswerLevels: the genuine report and VCEK with a synthetic CRL.
func TestKnownAnswerLevels(t *testing.T) {
	t.Parallel()
	s := newCRLSigner(t)
	v := s.v
	q := katQuote(t)
	good := s.crl(t, katNow.Add(-time.Hour), katNow.Add(time.Hour))
	tests := []struct {
		name    string
		coll    attest.SNPCollateral
		now     time.Time
		want    uint32
		wantErr error
	}{
		{"up to date", attest.SNPCollateral{ProductLine: "Milan", CRL: good, UpToDateTCB: katTCB}, katNow, 1, nil},
		{"older up-to-date TCB", attest.SNPCollateral{ProductLine: "Milan", CRL: good, UpToDateTCB: 0x0300000000000001}, katNow, 1, nil},
		{"microcode behind", attest.SNPCollateral{ProductLine: "Milan", CRL: good, UpToDateTCB: 0x4505000000000002}, katNow, 5, nil},
		{"bootloader behind", attest.SNPCollateral{ProductLine: "Milan", CRL: good, UpToDateTCB: 0x4405000000000003}, katNow, 5, nil},
		{"crl expired", attest.SNPCollateral{ProductLine: "Milan", CRL: good}, katNow.Add(2 * time.Hour), 0, attest.ErrCollateralExpired},
		{"crl not yet valid", attest.SNPCollateral{ProductLine: "Milan", CRL: good}, katNow.Add(-2 * time.Hour), 0, attest.ErrInvalidCollateral},
		// The ARK's CRL cannot revoke the VCEK (the ASK issued it): its
		// serial there revokes nothing. What retires a VCEK is its TCB.
		{"VCEK serial on the ARK's CRL", attest.SNPCollateral{ProductLine: "Milan", CRL: s.crl(t, katNow.Add(-time.Hour), katNow.Add(time.Hour), vcekSerial(t)), UpToDateTCB: katTCB}, katNow, 1, nil},
		{"ASK revoked", attest.SNPCollateral{ProductLine: "Milan", CRL: s.crl(t, katNow.Add(-time.Hour), katNow.Add(time.Hour), askSerial(t))}, katNow, 0, attest.ErrCertificateRevoked},
		{"other product's collateral", attest.SNPCollateral{ProductLine: "Genoa", CRL: good}, katNow, 0, attest.ErrNoCollateral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := v.Verify(q, tc.now, source(tc.coll))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || r.ConfidenceLevel != tc.want || r.Kind != attest.KindSEVSNP || r.PlatformID != "Milan" || !r.Debug {
				t.Fatalf("report %+v, %v; want level %d", r, err, tc.want)
			}
			if r.VMPL != binary.LittleEndian.Uint32(snptest.SampleReport()[snptest.ReportOffsetVMPL:]) || r.VMPL != 0 {
				t.Fatalf("VMPL %d, want the sample's 0", r.VMPL)
			}
			if len(r.Measurement) != snp.MeasurementLen || r.ReportData[0] != 1 || r.ReportData[4] != 5 {
				t.Fatalf("measurement %x report data %x", r.Measurement, r.ReportData)
			}
		})
	}
}

func askSerial(t testing.TB) *big.Int {
	c, err := snptest.SampleASK()
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber
}

func vcekSerial(t testing.TB) *big.Int {
	c, err := snptest.SampleVCEK()
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber
}

// TestKnownAnswerTampered flips a bit in every byte of the quote (envelope,
// VCEK certificate, report): every variant is rejected.
func TestKnownAnswerTampered(t *testing.T) {
	t.Parallel()
	s := newCRLSigner(t)
	v := s.v
	src := source(attest.SNPCollateral{ProductLine: "Milan", CRL: s.crl(t, katNow.Add(-time.Hour), katNow.Add(time.Hour))})
	q := katQuote(t)
	if _, err := v.Verify(q, katNow, src); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	for i := range q {
		c := bytes.Clone(q)
		c[i] ^= 0x01
		if r, err := v.Verify(c, katNow, src); err == nil {
			t.Fatalf("byte %d flipped: accepted %+v", i, r)
		}
	}
	for _, n := range []int{0, 9, 10, len(q) - 1} {
		if _, err := v.Verify(q[:n], katNow, src); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
}

func TestCertificateExpired(t *testing.T) {
	t.Parallel()
	s := newCRLSigner(t)
	late := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	src := source(attest.SNPCollateral{ProductLine: "Milan", CRL: s.crl(t, late.Add(-time.Hour), late.Add(time.Hour))})
	if _, err := s.v.Verify(katQuote(t), late, src); !errors.Is(err, attest.ErrQuoteSignature) {
		t.Fatalf("VCEK expired 2029: %v", err)
	}
}

// TestVerifierWithTestCRLSigner: the test-only constructor refuses what
// would make it meaningless (no signer, a pinned ARK, a non-CA), and only
// the zero Verifier reports PinnedOnly.
func TestVerifierWithTestCRLSigner(t *testing.T) {
	t.Parallel()
	if !(snp.Verifier{}).PinnedOnly() {
		t.Fatal("zero Verifier is not PinnedOnly")
	}
	s := newCRLSigner(t)
	if s.v.PinnedOnly() {
		t.Fatal("test verifier claims PinnedOnly")
	}
	r := trust.AMDRootCertsProduct("Milan")
	if err := r.FromKDSCertBytes(trust.AskArkMilanVcekBytes); err != nil {
		t.Fatal(err)
	}
	leaf := *s.Cert
	leaf.IsCA = false
	for name, c := range map[string]*x509.Certificate{"nil": nil, "ARK-Milan": r.ProductCerts.Ark, "not a CA": &leaf} {
		if _, err := snp.NewVerifierWithTestCRLSigner(c); err == nil {
			t.Errorf("%s accepted as test CRL signer", name)
		}
	}
}
