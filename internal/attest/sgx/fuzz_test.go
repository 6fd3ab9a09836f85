package sgx_test

import (
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
)

// Quotes arrive in transactions from anyone: parsing and verifying must
// never panic, and every rejection must carry one of the attest sentinels.

func FuzzParseQuote(f *testing.F) {
	f.Add(katQuote(f))
	f.Add([]byte{3, 0, 2, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := sgx.ParseQuote(b)
		if err != nil {
			if !errors.Is(err, attest.ErrMalformedQuote) {
				t.Fatalf("error %v does not wrap ErrMalformedQuote", err)
			}
			return
		}
		if len(q.Signed) != sgx.HeaderLen+sgx.ReportLen || len(q.FMSPC()) != 12 || len(q.QE.Raw) != sgx.ReportLen {
			t.Fatalf("parsed quote with %d signed bytes, FMSPC %q", len(q.Signed), q.FMSPC())
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add(katQuote(f))
	src := katSource(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := sgx.Verifier{}.Verify(b, katNow, src)
		if err == nil {
			if r.Kind != attest.KindSGX || r.ConfidenceLevel < 1 || r.ConfidenceLevel > 5 {
				t.Fatalf("accepted with report %+v", r)
			}
			return
		}
		for _, s := range []error{attest.ErrMalformedQuote, attest.ErrQuoteSignature, attest.ErrCertificateChain,
			attest.ErrNoCollateral, attest.ErrInvalidCollateral, attest.ErrCollateralExpired,
			attest.ErrCertificateRevoked, attest.ErrTCBNotAccepted, attest.ErrPlatformMismatch} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error without a sentinel: %v", err)
	})
}
