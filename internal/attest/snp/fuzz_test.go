package snp_test

import (
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
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
