package sgx_test

import (
	"bytes"
	"encoding/binary"
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

// FuzzVerifyEdits fuzzes edits of the genuine quote, not raw bytes: an input is
// a list of 3-byte records (offset u16 LE, value), each XORing value into
// the quote at offset mod (length+1), or truncating the quote there when
// value is 0, or appending value when the offset is the length. Inputs stay
// a few bytes long, so the engine's minimization of every new-coverage
// input is cheap, where with the 5 kB quote as raw input it took the whole
// run; and every input reaches the signature and collateral checks.
func FuzzVerifyEdits(f *testing.F) {
	base := katQuote(f)
	src := katSource(f)
	f.Add([]byte{})
	f.Add([]byte{0x40, 0x01, 0x80})
	f.Add([]byte{0x00, 0x00, 0x01, 0xff, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, edits []byte) {
		b := applyEdits(base, edits)
		r, err := sgx.Verifier{}.Verify(b, katNow, src)
		if err == nil {
			if r.Kind != attest.KindSGX || r.ConfidenceLevel < 1 || r.ConfidenceLevel > 5 {
				t.Fatalf("accepted with report %+v", r)
			}
			if !bytes.Equal(b, base) {
				t.Fatalf("edited quote (%x) accepted", edits)
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

func applyEdits(base, edits []byte) []byte {
	b := bytes.Clone(base)
	for ; len(edits) >= 3; edits = edits[3:] {
		off := int(binary.LittleEndian.Uint16(edits)) % (len(b) + 1)
		switch v := edits[2]; {
		case off == len(b):
			b = append(b, v)
		case v == 0:
			b = b[:off]
		default:
			b[off] ^= v
		}
	}
	return b
}
