package snp_test

import (
	"bytes"
	"encoding/binary"
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

// FuzzVerifyEdits fuzzes edits of the genuine report, not raw bytes: an
// input is a list of 3-byte records (offset u16 LE, value), each XORing
// value into the quote at offset mod (length+1), or truncating it there
// when value is 0, or appending value when the offset is the length. Inputs
// stay a few bytes long, so the engine's minimization of new-coverage
// inputs is cheap (with the 2 kB quote as raw input it took most of a run),
// and every input reaches the signature checks.
func FuzzVerifyEdits(f *testing.F) {
	base := katQuote(f)
	f.Add([]byte{})
	f.Add([]byte{0x40, 0x01, 0x80})
	f.Add([]byte{0x00, 0x00, 0x01, 0xff, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, edits []byte) {
		_, err := snp.Verifier{}.Verify(applyEdits(base, edits), katNow, attest.StaticCollateral{})
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
