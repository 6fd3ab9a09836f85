package attest_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Fixed inputs shared by the tests and the known-answer vector.
var (
	testPlatform = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	testIssued   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	testNow      = testIssued.Add(time.Hour)
)

func testMeasurement() (m [32]byte) {
	for i := range m {
		m[i] = byte(i)
	}
	return m
}

func testReportData() (rd [64]byte) {
	for i := range rd {
		rd[i] = byte(0x80 + i)
	}
	return rd
}

func testQuote() []byte {
	return attest.NewSimQuote(testPlatform, testMeasurement(), testReportData(), testIssued)
}

// katSimQuote pins the sim quote format: testQuote() as hex. A change here
// invalidates every sim quote in existence and is a format version bump.
const katSimQuote = "474b53494d510001" + // magic "GKSIMQ\x00\x01"
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + // measurement
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" + // report data
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
	"000000006955b900" + // issued at 2026-01-01T00:00:00Z
	"ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c" + // platform key
	"6ddd735784c09721ee6cc99132c7f9811734c6763e92c47f0da5d303e160930f" + // signature
	"c24455e06c93ef46c7c1fd35a82d3124a76bbec644ec459e904109269f98f107"

func TestSimQuoteKnownAnswer(t *testing.T) {
	t.Parallel()
	q := testQuote()
	if got := hex.EncodeToString(q); got != katSimQuote {
		t.Fatalf("NewSimQuote:\n got %s\nwant %s", got, katSimQuote)
	}
	want, _ := hex.DecodeString(katSimQuote)
	if _, err := (attest.SimVerifier{}).Verify(want, testNow, nil); err != nil {
		t.Fatalf("Verify(known answer): %v", err)
	}
}

func TestSimQuoteRoundTrip(t *testing.T) {
	t.Parallel()
	q := testQuote()
	if len(q) != attest.SimQuoteLen {
		t.Fatalf("quote is %d bytes, want %d", len(q), attest.SimQuoteLen)
	}
	sq, err := attest.ParseSimQuote(q)
	if err != nil {
		t.Fatalf("ParseSimQuote: %v", err)
	}
	if sq.Measurement != testMeasurement() || sq.ReportData != testReportData() ||
		!sq.IssuedAt.Equal(testIssued) || !sq.PlatformKey.Equal(testPlatform.Public()) {
		t.Fatalf("parsed %+v", sq)
	}
	if !bytes.Equal(sq.Bytes(), q) {
		t.Fatal("Bytes() does not reproduce the parsed quote")
	}
	// The parsed quote owns its memory.
	q[len(q)-1] ^= 0xff
	if sq.Signature[len(sq.Signature)-1] == q[len(q)-1] {
		t.Fatal("parsed signature aliases the input")
	}
}

func TestSimQuoteIssuedAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		issued time.Time
		want   time.Time
	}{
		{"whole seconds", testIssued, testIssued},
		{"truncates sub-second", testIssued.Add(999 * time.Millisecond), testIssued},
		{"local zone becomes UTC", testIssued.In(time.FixedZone("X", 3600)), testIssued},
		{"epoch", time.Unix(0, 0), time.Unix(0, 0).UTC()},
		{"before epoch clamps", time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC), time.Unix(0, 0).UTC()},
		{"zero time clamps", time.Time{}, time.Unix(0, 0).UTC()},
		{"after 9999 clamps", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sq, err := attest.ParseSimQuote(attest.NewSimQuote(testPlatform, testMeasurement(), testReportData(), tc.issued))
			if err != nil {
				t.Fatalf("ParseSimQuote: %v", err)
			}
			if !sq.IssuedAt.Equal(tc.want) || sq.IssuedAt.Location() != time.UTC {
				t.Fatalf("IssuedAt = %v, want %v UTC", sq.IssuedAt, tc.want)
			}
		})
	}
}

func TestSimVerify(t *testing.T) {
	t.Parallel()
	v := attest.SimVerifier{}
	if v.Kind() != attest.KindSim {
		t.Fatalf("Kind() = %q", v.Kind())
	}
	q := testQuote()
	r, err := v.Verify(q, testNow, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	m := testMeasurement()
	if r.Kind != attest.KindSim || !bytes.Equal(r.Measurement, m[:]) || r.ReportData != testReportData() ||
		r.ConfidenceLevel != attest.ConfidenceSimulated || !r.IssuedAt.Equal(testIssued) {
		t.Fatalf("report = %+v", r)
	}
	// Deterministic, and the report does not alias the verifier's input or state.
	r.Measurement[0] ^= 0xff
	r2, err := v.Verify(q, testNow, nil)
	if err != nil || !bytes.Equal(r2.Measurement, m[:]) {
		t.Fatalf("second Verify = %+v, %v", r2, err)
	}
}

func TestSimVerifyRejects(t *testing.T) {
	t.Parallel()
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	valid := testQuote()
	edit := func(f func(q []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	// resign re-signs an edited quote body with the platform key it names.
	resign := func(key ed25519.PrivateKey, body []byte) []byte {
		sig := ed25519.Sign(key, protocol.SigningBytes(protocol.ContextSimQuote, "", body))
		return append(bytes.Clone(body), sig...)
	}
	body := valid[:attest.SimQuoteLen-ed25519.SignatureSize]
	withIssued := func(secs uint64) []byte {
		b := bytes.Clone(body)
		binary.BigEndian.PutUint64(b[8+32+64:], secs)
		return resign(testPlatform, b)
	}
	tests := []struct {
		name    string
		quote   []byte
		now     time.Time
		wantErr error
	}{
		{"nil", nil, testNow, attest.ErrMalformedQuote},
		{"empty", []byte{}, testNow, attest.ErrMalformedQuote},
		{"magic only", []byte(attest.SimQuoteMagic), testNow, attest.ErrMalformedQuote},
		{"truncated signature", valid[:len(valid)-1], testNow, attest.ErrMalformedQuote},
		{"trailing byte", append(bytes.Clone(valid), 0), testNow, attest.ErrMalformedQuote},
		{"over MaxQuoteLen", make([]byte, attest.MaxQuoteLen+1), testNow, attest.ErrMalformedQuote},
		{"other magic", edit(func(q []byte) []byte { q[0] = 'X'; return q }), testNow, attest.ErrMalformedQuote},
		{"format version 2, re-signed", edit(func(q []byte) []byte {
			q[7] = 2
			return resign(testPlatform, q[:len(body)])
		}), testNow, attest.ErrMalformedQuote},
		{"issued after 9999, re-signed", withIssued(253402300800), testNow, attest.ErrMalformedQuote},
		{"issued at max u64, re-signed", withIssued(^uint64(0)), testNow, attest.ErrMalformedQuote},
		{"signature by key not in quote", append(bytes.Clone(body), resign(other, body)[len(body):]...), testNow, attest.ErrQuoteSignature},
		{"platform key swapped", edit(func(q []byte) []byte {
			copy(q[len(body)-ed25519.PublicKeySize:], other.Public().(ed25519.PublicKey))
			return q
		}), testNow, attest.ErrQuoteSignature},
		{"signature over wrong context", edit(func(q []byte) []byte {
			sig := ed25519.Sign(testPlatform, protocol.SigningBytes(protocol.ContextMQ, "", body))
			return append(q[:len(body)], sig...)
		}), testNow, attest.ErrQuoteSignature},
		{"signature with chain id", edit(func(q []byte) []byte {
			sig := ed25519.Sign(testPlatform, protocol.SigningBytes(protocol.ContextSimQuote, "gatekeeper-1", body))
			return append(q[:len(body)], sig...)
		}), testNow, attest.ErrQuoteSignature},
		{"signature S not reduced", edit(func(q []byte) []byte { q[len(q)-1] |= 0xe0; return q }), testNow, attest.ErrQuoteSignature},
		{"zero signature", edit(func(q []byte) []byte { clear(q[len(body):]); return q }), testNow, attest.ErrQuoteSignature},
		{"zero platform key", edit(func(q []byte) []byte {
			clear(q[len(body)-ed25519.PublicKeySize : len(body)])
			return q
		}), testNow, attest.ErrQuoteSignature},
		{"issued beyond skew", valid, testIssued.Add(-attest.MaxFutureSkew - time.Second), attest.ErrQuoteFromFuture},
		{"issued a day ahead", valid, testIssued.Add(-24 * time.Hour), attest.ErrQuoteFromFuture},
		{"verified at zero time", valid, time.Time{}, attest.ErrQuoteFromFuture},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := attest.SimVerifier{}.Verify(tc.quote, tc.now, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify = %+v, %v; want %v", r, err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "attest: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestSimVerifyClockSkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"an hour later", testIssued.Add(time.Hour), true},
		{"years later", testIssued.AddDate(10, 0, 0), true},
		{"same second", testIssued, true},
		{"skew exactly", testIssued.Add(-attest.MaxFutureSkew), true},
		{"skew plus a nanosecond", testIssued.Add(-attest.MaxFutureSkew - time.Nanosecond), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := attest.SimVerifier{}.Verify(testQuote(), tc.now, nil)
			if tc.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tc.ok && !errors.Is(err, attest.ErrQuoteFromFuture) {
				t.Fatalf("Verify: err = %v, want ErrQuoteFromFuture", err)
			}
		})
	}
}

// Every byte of a sim quote is covered by the parser or the signature: no
// single-byte change, and no truncation, yields a quote that verifies.
func TestSimVerifyEveryByteMatters(t *testing.T) {
	t.Parallel()
	valid := testQuote()
	for i := range valid {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			q := bytes.Clone(valid)
			q[i] ^= mask
			_, err := attest.SimVerifier{}.Verify(q, testNow, nil)
			if !errors.Is(err, attest.ErrMalformedQuote) && !errors.Is(err, attest.ErrQuoteSignature) {
				t.Errorf("byte %d ^ %#02x: err = %v, want rejection", i, mask, err)
			}
		}
	}
	for n := range len(valid) {
		if _, err := (attest.SimVerifier{}).Verify(valid[:n], testNow, nil); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Errorf("prefix of %d bytes: err = %v, want ErrMalformedQuote", n, err)
		}
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{attest.ErrMalformedQuote, attest.ErrQuoteSignature, attest.ErrQuoteFromFuture}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}
