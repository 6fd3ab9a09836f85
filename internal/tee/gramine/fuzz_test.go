package gramine_test

import (
	"fmt"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx/sgxtest"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/gramine"
)

// memFiles is an in-memory Gramine tree whose quote is fixed bytes: what a
// misbehaving host hands Gramine back from its quoting enclave.
type memFiles struct{ quote, typ, key []byte }

func (m *memFiles) ReadFile(name string, max int) ([]byte, error) {
	var b []byte
	switch name {
	case gramine.FileQuote:
		b = m.quote
	case gramine.FileAttestationType:
		b = m.typ
	case gramine.FileSealKey:
		b = m.key
	default:
		return nil, fmt.Errorf("no file %s", name)
	}
	if len(b) > max {
		return nil, fmt.Errorf("%s over %d bytes", name, max)
	}
	return append([]byte(nil), b...), nil
}

func (m *memFiles) WriteFile(string, []byte) error { return nil }

// FuzzOpenQuote feeds Open arbitrary quote bytes after a valid attestation
// type and key: it must not panic, and it may open only on a quote that
// parses as SGX and carries the report data it wrote (zero at Open).
func FuzzOpenQuote(f *testing.F) {
	p := testPlatform(f)
	good, err := sgxtest.Quote(p.pki, p.base, 3, func(r []byte) { clear(r[320:384]) })
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(append([]byte(nil), good...), make([]byte, 64)...))
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, quote []byte) {
		e, err := gramine.Open(gramine.Config{Root: "/fuzz", Files: &memFiles{quote: quote, typ: []byte("dcap"), key: make([]byte, gramine.SealKeyLen)}})
		if err != nil {
			return
		}
		if len(e.Measurement()) != 32 {
			t.Fatalf("opened with a %d-byte measurement", len(e.Measurement()))
		}
	})
}
