package tdx_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx/tdxtest"
)

// Version 5 quotes (TDX 1.5). No genuine version 5 quote with its
// collateral is available offline (dcap-qvl's td15ex sample quote is
// binary and not reachable from here), so these quotes are the genuine
// version 4 sample's fields re-signed under the synthetic PKI in version 5
// layout.

func TestV5Quotes(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	var rd [64]byte
	copy(rd[:], "v5 report data")
	var svn2 [16]byte
	svn2[0] = 7
	coll := s.collateral(t, tdxtest.CollateralOptions{})
	for _, bodyType := range []uint16{2, 3} {
		q5, err := s.pki.QuoteV5(katQuote(t), rd, bodyType, svn2, [48]byte{})
		if err != nil {
			t.Fatal(err)
		}
		pq, err := tdx.ParseQuote(q5)
		if err != nil {
			t.Fatalf("body type %d: %v", bodyType, err)
		}
		if pq.Version != 5 || pq.BodyType != bodyType || (bodyType == 3) != (pq.TEETCBSVN2 != nil && pq.TEETCBSVN2[0] == 7) {
			t.Fatalf("body type %d: parsed %+v", bodyType, pq)
		}
		s.quote = q5
		r, err := s.verify(coll)
		if err != nil {
			t.Fatalf("body type %d: %v", bodyType, err)
		}
		if r.ConfidenceLevel != 1 || !bytes.HasPrefix(r.ReportData[:], []byte("v5 report data")) || len(r.Measurement) != tdx.MeasurementLen {
			t.Fatalf("body type %d: %+v", bodyType, r)
		}
		// Every byte flipped is rejected; so are truncation and a trailing byte.
		for i := range q5 {
			c := bytes.Clone(q5)
			c[i] ^= 0x01
			s.quote = c
			if r, err := s.verify(coll); err == nil {
				t.Fatalf("body type %d, byte %d flipped: accepted %+v", bodyType, i, r)
			}
		}
		for _, c := range [][]byte{q5[:len(q5)-1], append(bytes.Clone(q5), 0), q5[:60]} {
			if _, err := tdx.ParseQuote(c); !errors.Is(err, attest.ErrMalformedQuote) {
				t.Fatalf("body type %d, %d bytes: %v", bodyType, len(c), err)
			}
		}
		// Zero padding is trimmed as for version 4.
		if _, err := tdx.ParseQuote(tdx.TrimQuote(append(bytes.Clone(q5), make([]byte, 70)...))); err != nil {
			t.Fatalf("body type %d, trimmed: %v", bodyType, err)
		}
	}

	// A TD bound to a service TD is refused.
	var mrs [48]byte
	mrs[0] = 1
	q5, err := s.pki.QuoteV5(katQuote(t), rd, 3, svn2, mrs)
	if err != nil {
		t.Fatal(err)
	}
	s.quote = q5
	if _, err := s.verify(coll); !errors.Is(err, attest.ErrPlatformMismatch) {
		t.Fatalf("service TD bound: %v, want ErrPlatformMismatch", err)
	}
	// Unknown body types and sizes are malformed.
	for _, edit := range []func([]byte){
		func(b []byte) { b[48] = 1 },  // SGX enclave report body
		func(b []byte) { b[48] = 4 },  // unknown
		func(b []byte) { b[50] ^= 1 }, // size not the type's
	} {
		c := bytes.Clone(q5)
		edit(c)
		if _, err := tdx.ParseQuote(c); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Fatalf("edited descriptor: %v", err)
		}
	}
}
