package snp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
)

// Seeds: testdata/fuzz/<FuzzName>/ and f.Add below.
func FuzzParseQuote(f *testing.F) {
	f.Add(katQuote(f))
	f.Add([]byte(snp.QuoteMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := snp.ParseQuote(b)
		if err != nil {
			if !errors.Is(err, attest.ErrMalformedQuote) {
				t.Fatalf("error %v does not wrap ErrMalformedQuote", err)
			}
			return
		}
		again, err := snp.MarshalQuote(q.Report, q.Cert)
		if err != nil || string(again) != string(b) {
			t.Fatalf("not canonical: %v", err)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add(katQuote(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := snp.Verifier{}.Verify(b, katNow, attest.StaticCollateral{})
		if err == nil {
			t.Fatal("accepted without collateral")
		}
		for _, s := range []error{attest.ErrMalformedQuote, attest.ErrQuoteSignature, attest.ErrCertificateChain,
			attest.ErrNoCollateral, attest.ErrPlatformMismatch} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error without a sentinel: %v", err)
	})
}

// FuzzVerifyCRL: any bytes as collateral CRL are refused with a sentinel,
// or accepted only if issued and signed by the chain's ARK; an accepted
// CRL never makes CheckRevocation fail without a sentinel.
func FuzzVerifyCRL(f *testing.F) {
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	c, err := snptest.NewChain(now.Add(-24 * time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	good, err := c.ARKCRL(now.Add(-time.Hour), now.Add(time.Hour), c.ASK.SerialNumber)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		crl, err := snp.VerifyCRL(b, c.ARK, now)
		if err != nil {
			if !errors.Is(err, attest.ErrInvalidCollateral) && !errors.Is(err, attest.ErrCollateralExpired) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if err := crl.CheckSignatureFrom(c.ARK); err != nil {
			t.Fatalf("accepted a CRL the ARK did not sign: %v", err)
		}
		if err := snp.CheckRevocation(crl, c.ASK, c.VCEK); err != nil && !errors.Is(err, attest.ErrCertificateRevoked) {
			t.Fatalf("CheckRevocation: %v", err)
		}
	})
}
