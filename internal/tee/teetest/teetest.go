// Package teetest is the conformance suite every tee.TEE backend passes. A
// backend's own tests call RunConformance; a backend that cannot pass it is
// not interchangeable with the others and must not be used by the pRuntime.
package teetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// RunConformance checks that a backend keeps the tee.TEE contract, with
// verifier as the attest.Verifier for its quotes and collateral as the
// collateral it verifies them against (nil for kinds that need none).
//
// open returns an instance for the subtest t. Every call with the same t must
// open the same persistent platform state — for a file-backed backend, the
// same directory — as a restarted process on the same machine would; calls
// with different t must not share state. Quotes are verified at time.Now(),
// so the backend's clock must not run ahead of it.
func RunConformance(t *testing.T, open func(t *testing.T) tee.TEE, verifier attest.Verifier, collateral attest.Collateral) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) tee.TEE, v attest.Verifier)
	}{
		{"Kind", testKind},
		{"MeasurementStable", testMeasurementStable},
		{"SealRoundTrip", testSealRoundTrip},
		{"SealRandomized", testSealRandomized},
		{"SealEmptyLabel", testSealEmptyLabel},
		{"UnsealOtherLabel", testUnsealOtherLabel},
		{"UnsealTampered", testUnsealTampered},
		{"UnsealGarbage", testUnsealGarbage},
		{"Reopen", testReopen},
		{"Quote", testQuote},
		{"QuoteTampered", testQuoteTampered},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open, withCollateral{verifier, collateral})
		})
	}
}

const label = "teetest/object"

// withCollateral binds the collateral to the verifier, so that the tests
// below pass nil and the backend's collateral is used.
type withCollateral struct {
	attest.Verifier
	coll attest.Collateral
}

func (w withCollateral) Verify(quote []byte, now time.Time, _ attest.Collateral) (attest.Report, error) {
	return w.Verifier.Verify(quote, now, w.coll)
}

func seal(t *testing.T, e tee.TEE, label string, plaintext []byte) []byte {
	t.Helper()
	sealed, err := e.Seal(label, plaintext)
	if err != nil {
		t.Fatalf("Seal(%q, %d bytes): %v", label, len(plaintext), err)
	}
	return sealed
}

func wantUnseal(t *testing.T, e tee.TEE, label string, sealed, want []byte) {
	t.Helper()
	got, err := e.Unseal(label, sealed)
	if err != nil {
		t.Fatalf("Unseal(%q): %v", label, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Unseal(%q) = %d bytes, want the %d sealed", label, len(got), len(want))
	}
}

func wantErrUnseal(t *testing.T, e tee.TEE, label string, sealed []byte, what string) {
	t.Helper()
	got, err := e.Unseal(label, sealed)
	if !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("%s: Unseal = %d bytes, %v; want ErrUnseal", what, len(got), err)
	}
}

// pattern returns n bytes that are neither constant nor zero, so that a
// ciphertext leaking plaintext would show.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8 + 1)
	}
	return b
}

func testKind(t *testing.T, open func(*testing.T) tee.TEE, v attest.Verifier) {
	e := open(t)
	if e.Kind() == "" || e.Kind() != v.Kind() {
		t.Fatalf("Kind() = %q, verifier kind %q", e.Kind(), v.Kind())
	}
}

func testMeasurementStable(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	m := e.Measurement()
	if len(m) == 0 {
		t.Fatal("empty measurement")
	}
	want := bytes.Clone(m)
	m[0] ^= 0xff // the caller owns the returned slice
	if got := e.Measurement(); !bytes.Equal(got, want) {
		t.Fatalf("measurement changed: %x, then %x", want, got)
	}
	if got := open(t).Measurement(); !bytes.Equal(got, want) {
		t.Fatalf("reopened measurement %x, want %x", got, want)
	}
}

func testSealRoundTrip(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	tests := []struct {
		name      string
		label     string
		plaintext []byte
	}{
		{"nil", label, nil},
		{"empty", label, []byte{}},
		{"one byte", label, []byte{0}},
		{"block", label, pattern(16)},
		{"odd", label, pattern(1001)},
		{"64 KiB", label, pattern(64 << 10)},
		{"1 MiB", label, pattern(1 << 20)},
		{"long label", string(pattern(300)), pattern(40)},
		{"binary label", "a\x00b\xff", pattern(40)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := bytes.Clone(tc.plaintext)
			sealed := seal(t, e, tc.label, in)
			if !bytes.Equal(in, tc.plaintext) {
				t.Fatal("Seal modified its input")
			}
			if len(in) >= 16 && bytes.Contains(sealed, in[:16]) {
				t.Fatal("sealed data contains the plaintext")
			}
			wantUnseal(t, e, tc.label, sealed, tc.plaintext)
		})
	}
}

func testSealRandomized(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	pt := pattern(32)
	a, b := seal(t, e, label, pt), seal(t, e, label, pt)
	if bytes.Equal(a, b) {
		t.Fatal("sealing the same plaintext twice gave identical output; equality of secrets would leak")
	}
	wantUnseal(t, e, label, a, pt)
	wantUnseal(t, e, label, b, pt)
}

func testSealEmptyLabel(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	if sealed, err := e.Seal("", pattern(8)); err == nil {
		t.Fatalf("Seal with empty label = %x, want an error", sealed)
	}
}

func testUnsealOtherLabel(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	tests := []struct{ sealedAs, openedAs string }{
		{"checkpoint", "master_key"},
		{"a", "a\x00"},
		{"ab", "a"},
		{"a", "A"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q as %q", tc.sealedAs, tc.openedAs), func(t *testing.T) {
			t.Parallel()
			sealed := seal(t, e, tc.sealedAs, pattern(24))
			wantErrUnseal(t, e, tc.openedAs, sealed, "other label")
		})
	}
}

func testUnsealTampered(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	pt := pattern(40)
	sealed := seal(t, e, label, pt)
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80} {
			c := bytes.Clone(sealed)
			c[i] ^= mask
			wantErrUnseal(t, e, label, c, fmt.Sprintf("byte %d ^ %#02x", i, mask))
		}
	}
	for n := range len(sealed) {
		wantErrUnseal(t, e, label, sealed[:n], fmt.Sprintf("truncated to %d bytes", n))
	}
	wantErrUnseal(t, e, label, append(bytes.Clone(sealed), 0), "trailing byte")
	wantUnseal(t, e, label, sealed, pt) // the original still opens
}

func testUnsealGarbage(t *testing.T, open func(*testing.T) tee.TEE, _ attest.Verifier) {
	e := open(t)
	for _, in := range [][]byte{nil, {}, {1}, pattern(64), pattern(4096)} {
		wantErrUnseal(t, e, label, in, fmt.Sprintf("%d garbage bytes", len(in)))
	}
}

func testReopen(t *testing.T, open func(*testing.T) tee.TEE, v attest.Verifier) {
	first := open(t)
	pt := pattern(100)
	sealed := seal(t, first, label, pt)

	second := open(t)
	wantUnseal(t, second, label, sealed, pt)
	wantUnseal(t, first, label, seal(t, second, label, pt), pt)
	if !bytes.Equal(first.Measurement(), second.Measurement()) {
		t.Fatal("measurement changed across reopen")
	}
	quote, err := second.Quote([64]byte{1})
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	if _, err := v.Verify(quote, time.Now(), nil); err != nil {
		t.Fatalf("reopened instance's quote: %v", err)
	}
}

func testQuote(t *testing.T, open func(*testing.T) tee.TEE, v attest.Verifier) {
	e := open(t)
	var rds [3][64]byte
	copy(rds[1][:], pattern(64))
	for i := range rds[2] {
		rds[2][i] = 0xff
	}
	quotes := map[string]bool{}
	for i, rd := range rds {
		quote, err := e.Quote(rd)
		if err != nil {
			t.Fatalf("Quote #%d: %v", i, err)
		}
		if len(quote) > attest.MaxQuoteLen {
			t.Fatalf("quote #%d is %d bytes, over attest.MaxQuoteLen", i, len(quote))
		}
		quotes[string(quote)] = true
		r, err := v.Verify(quote, time.Now(), nil)
		if err != nil {
			t.Fatalf("Verify quote #%d: %v", i, err)
		}
		if r.Kind != e.Kind() {
			t.Errorf("quote #%d: report kind %q, backend %q", i, r.Kind, e.Kind())
		}
		if r.ReportData != rd {
			t.Errorf("quote #%d: report data %x, want %x", i, r.ReportData, rd)
		}
		if !bytes.Equal(r.Measurement, e.Measurement()) {
			t.Errorf("quote #%d: measurement %x, backend %x", i, r.Measurement, e.Measurement())
		}
		if r.ConfidenceLevel == 0 {
			t.Errorf("quote #%d: confidence level 0", i)
		}
	}
	if len(quotes) != len(rds) {
		t.Fatal("different report data gave identical quotes")
	}
}

func testQuoteTampered(t *testing.T, open func(*testing.T) tee.TEE, v attest.Verifier) {
	e := open(t)
	quote, err := e.Quote([64]byte{0x5a})
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	now := time.Now()
	for i := range quote {
		c := bytes.Clone(quote)
		c[i] ^= 0x01
		if r, err := v.Verify(c, now, nil); err == nil {
			t.Fatalf("quote with byte %d flipped verified: %+v", i, r)
		}
	}
}

func testConcurrent(t *testing.T, open func(*testing.T) tee.TEE, v attest.Verifier) {
	e := open(t)
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			pt := pattern(100 + w)
			lbl := fmt.Sprintf("teetest/worker_%d", w)
			for range rounds {
				sealed, err := e.Seal(lbl, pt)
				if err != nil {
					errs <- err
					return
				}
				got, err := e.Unseal(lbl, sealed)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("worker %d: unseal: %v", w, err)
					return
				}
			}
			quote, err := e.Quote([64]byte{byte(w)})
			if err == nil {
				_, err = v.Verify(quote, time.Now(), nil)
			}
			if err != nil {
				errs <- fmt.Errorf("worker %d: quote: %w", w, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
