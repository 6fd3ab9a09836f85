package attest_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Quotes arrive in transactions from anyone, so the parser and the verifier
// must never panic, and the parser must be canonical: whatever it accepts,
// Bytes reproduces exactly. Seeds: testdata/fuzz/<FuzzName>/ and f.Add below.

func FuzzParseSimQuote(f *testing.F) {
	f.Add(testQuote())
	f.Add([]byte(attest.SimQuoteMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := attest.ParseSimQuote(b)
		if err != nil {
			if !errors.Is(err, attest.ErrMalformedQuote) {
				t.Fatalf("error %v does not wrap ErrMalformedQuote", err)
			}
			return
		}
		if again := q.Bytes(); !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

// FuzzSimVerify verifies arbitrary quotes at arbitrary times. Random quotes
// never carry a valid signature, so each parsable input is also re-signed
// with a fixed platform key to reach the checks behind the signature.
func FuzzSimVerify(f *testing.F) {
	f.Add(testQuote(), testNow.Unix())
	f.Add(testQuote(), testIssued.Unix()-3600)
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, quote []byte, nowSecs int64) {
		// Verification time is block time, which is sane; keep it where
		// time.Time arithmetic cannot overflow.
		if nowSecs < -1<<40 || nowSecs > 1<<40 {
			return
		}
		now := time.Unix(nowSecs, 0)
		v := attest.SimVerifier{}
		r, err := v.Verify(quote, now, nil)
		checkReport(t, quote, now, r, err)

		q, perr := attest.ParseSimQuote(quote)
		if perr != nil {
			if !errors.Is(err, attest.ErrMalformedQuote) {
				t.Fatalf("unparsable quote: Verify err = %v, want ErrMalformedQuote", err)
			}
			return
		}
		resigned := attest.NewSimQuote(testPlatform, q.Measurement, q.ReportData, q.IssuedAt)
		r, err = v.Verify(resigned, now, nil)
		checkReport(t, resigned, now, r, err)
		future := q.IssuedAt.After(now.Add(attest.MaxFutureSkew))
		if future != errors.Is(err, attest.ErrQuoteFromFuture) || !future && err != nil {
			t.Fatalf("re-signed quote issued %v, verified at %v: err = %v", q.IssuedAt, now, err)
		}
	})
}

// checkReport asserts the Verify contract for one call.
func checkReport(t *testing.T, quote []byte, now time.Time, r attest.Report, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, attest.ErrMalformedQuote) && !errors.Is(err, attest.ErrQuoteSignature) && !errors.Is(err, attest.ErrQuoteFromFuture) {
			t.Fatalf("unexpected error class: %v", err)
		}
		return
	}
	q, perr := attest.ParseSimQuote(quote)
	if perr != nil {
		t.Fatalf("verified a quote that does not parse: %v", perr)
	}
	signed := protocol.SigningBytes(protocol.ContextSimQuote, "", quote[:len(quote)-ed25519.SignatureSize])
	if !ed25519.Verify(q.PlatformKey, signed, q.Signature) {
		t.Fatal("verified a quote whose signature does not verify")
	}
	if r.Kind != attest.KindSim || r.ConfidenceLevel != attest.ConfidenceSimulated ||
		!bytes.Equal(r.Measurement, q.Measurement[:]) || r.ReportData != q.ReportData || !r.IssuedAt.Equal(q.IssuedAt) {
		t.Fatalf("report %+v does not match quote %+v", r, q)
	}
	if r.IssuedAt.After(now.Add(attest.MaxFutureSkew)) {
		t.Fatalf("accepted a quote issued at %v when verifying at %v", r.IssuedAt, now)
	}
}
