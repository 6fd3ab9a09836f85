package gramine_test

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel/inteltest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx/sgxtest"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/gramine"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/teetest"
)

// The fake /dev/attestation is a directory tree with Gramine's files: a
// writable user_report_data, and a quote that the fake device rewrites on
// every write to user_report_data with an SGX quote over those bytes,
// re-signed from a genuine sample's enclave report (so MRENCLAVE is the
// sample's) by a synthetic Intel-like PKI (inteltest, sgxtest). The backend
// reads and writes the tree through gramine.Dir, as it does the real one.
// The conformance verifier checks the quote's whole signature chain to that
// PKI's root (intel.SGX.CheckSignatures, the chain's code); the chain's
// verifier, which pins Intel's root and needs collateral, is tested in
// attest/sgx.

type platform struct {
	pki  *inteltest.PKI
	base *sgx.Quote
}

var (
	platformOnce sync.Once
	thePlatform  *platform
	platformErr  error
)

func testPlatform(t testing.TB) *platform {
	t.Helper()
	platformOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("..", "..", "attest", "sgx", "testdata", "dcap-qvl", "quote.bin"))
		if err != nil {
			platformErr = err
			return
		}
		base, err := sgx.ParseQuote(sgx.TrimQuote(raw))
		if err != nil {
			platformErr = err
			return
		}
		pki, err := inteltest.NewPKI(base.PCK, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
		thePlatform, platformErr = &platform{pki: pki, base: base}, err
	})
	if platformErr != nil {
		t.Fatal(platformErr)
	}
	return thePlatform
}

// device is the fake Gramine: Files over a tree that reacts to report data.
type device struct {
	gramine.Dir
	p *platform
	// edit changes the enclave report after the report data is set
	// (a misbehaving platform); nil for none.
	edit func(report []byte, rd []byte)
	// pad is appended to the quote, as a fixed-size quote buffer would be.
	pad int
}

func (d *device) WriteFile(name string, data []byte) error {
	if err := d.Dir.WriteFile(name, data); err != nil {
		return err
	}
	if name != gramine.FileUserReportData {
		return nil
	}
	q, err := sgxtest.Quote(d.p.pki, d.p.base, 3, func(r []byte) {
		copy(r[320:384], data)
		if d.edit != nil {
			d.edit(r, data)
		}
	})
	if err != nil {
		return err
	}
	q = append(q, make([]byte, d.pad)...)
	tmp := filepath.Join(string(d.Dir), ".quote.tmp")
	if err := os.WriteFile(tmp, q, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(string(d.Dir), gramine.FileQuote))
}

// newTree makes a Gramine attestation tree with the given attestation type
// and a random sealing key of keyLen bytes.
func newTree(t testing.TB, typ string, keyLen int) string {
	t.Helper()
	root := t.TempDir()
	key := make([]byte, keyLen)
	rand.Read(key)
	for name, content := range map[string][]byte{
		gramine.FileAttestationType: []byte(typ),
		gramine.FileUserReportData:  make([]byte, 64),
		gramine.FileQuote:           nil,
		gramine.FileSealKey:         key,
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type pkiVerifier struct{ root *x509.Certificate }

func (pkiVerifier) Kind() string { return attest.KindSGX }

func (v pkiVerifier) Verify(quote []byte, now time.Time, _ attest.Collateral) (attest.Report, error) {
	q, err := sgx.ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	if err := intel.SGX.CheckSignatures(intel.SignedQuote{
		PCK: q.PCK, CA: q.Intermediate, Root: q.Root, QEReport: q.QE.Raw, QESignature: q.QESignature,
		AttestationKey: q.AttestationKey, QEAuthData: q.QEAuthData, Signed: q.Signed, Signature: q.Signature,
	}, v.root, now); err != nil {
		return attest.Report{}, err
	}
	return attest.Report{Kind: attest.KindSGX, Measurement: bytes.Clone(q.Enclave.MRENCLAVE[:]), ReportData: q.Enclave.ReportData, ConfidenceLevel: 1}, nil
}

func TestConformance(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	var (
		mu    sync.Mutex
		trees = map[*testing.T]string{}
	)
	open := func(t *testing.T) tee.TEE {
		mu.Lock()
		root, ok := trees[t]
		if !ok {
			root = newTree(t, "dcap", gramine.SealKeyLen)
			trees[t] = root
		}
		mu.Unlock()
		e, err := gramine.Open(gramine.Config{Root: root, Files: &device{Dir: gramine.Dir(root), p: p, pad: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	teetest.RunConformance(t, open, pkiVerifier{root: p.pki.Root}, nil)
}

func TestMeasurementIsMRENCLAVE(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	root := newTree(t, "dcap", gramine.SealKeyLen)
	e, err := gramine.Open(gramine.Config{Root: root, Files: &device{Dir: gramine.Dir(root), p: p}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Measurement(), p.base.Enclave.MRENCLAVE[:]) || e.Kind() != attest.KindSGX {
		t.Fatalf("kind %q measurement %x, want sgx and the sample's MRENCLAVE %x", e.Kind(), e.Measurement(), p.base.Enclave.MRENCLAVE)
	}
}

// Another enclave (another MRENCLAVE, so another Gramine sealing key) or
// another CPU cannot open this enclave's sealed data.
func TestOtherSealingKeyCannotUnseal(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	open := func() tee.TEE {
		root := newTree(t, "dcap", gramine.SealKeyLen)
		e, err := gramine.Open(gramine.Config{Root: root, Files: &device{Dir: gramine.Dir(root), p: p}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := open(), open()
	sealed, err := a.Seal("x", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal("x", sealed); !errors.Is(err, tee.ErrUnseal) {
		t.Fatalf("another key's Unseal: %v, want ErrUnseal", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	dev := func(root string) *device { return &device{Dir: gramine.Dir(root), p: p} }
	tests := []struct {
		name  string
		setup func(t *testing.T) gramine.Config
		is    error
		want  string
	}{
		{"no tree", func(t *testing.T) gramine.Config {
			root := filepath.Join(t.TempDir(), "attestation")
			return gramine.Config{Root: root}
		}, gramine.ErrNotGramine, "attestation_type is missing"},
		{"type none", func(t *testing.T) gramine.Config {
			root := newTree(t, "none", gramine.SealKeyLen)
			return gramine.Config{Root: root, Files: dev(root)}
		}, gramine.ErrAttestationType, `it is "none"`},
		{"type epid", func(t *testing.T) gramine.Config {
			root := newTree(t, "epid", gramine.SealKeyLen)
			return gramine.Config{Root: root, Files: dev(root)}
		}, gramine.ErrAttestationType, `it is "epid"`},
		{"short key", func(t *testing.T) gramine.Config {
			root := newTree(t, "dcap", 15)
			return gramine.Config{Root: root, Files: dev(root)}
		}, nil, "is 15 bytes, want 16"},
		{"long key", func(t *testing.T) gramine.Config {
			root := newTree(t, "dcap", 32)
			return gramine.Config{Root: root, Files: dev(root)}
		}, nil, "over 16 bytes"},
		{"no key", func(t *testing.T) gramine.Config {
			root := newTree(t, "dcap", gramine.SealKeyLen)
			os.Remove(filepath.Join(root, gramine.FileSealKey))
			return gramine.Config{Root: root, Files: dev(root)}
		}, os.ErrNotExist, "sealing key"},
		{"no quote provider", func(t *testing.T) gramine.Config {
			// A plain tree: writing report data makes no quote.
			return gramine.Config{Root: newTree(t, "dcap", gramine.SealKeyLen)}
		}, nil, "unusable quote"},
		{"quote over other report data", func(t *testing.T) gramine.Config {
			root := newTree(t, "dcap", gramine.SealKeyLen)
			d := dev(root)
			d.edit = func(r, _ []byte) { r[320] ^= 1 }
			return gramine.Config{Root: root, Files: d}
		}, nil, "over other report data"},
		{"oversized quote", func(t *testing.T) gramine.Config {
			root := newTree(t, "dcap", gramine.SealKeyLen)
			d := dev(root)
			d.pad = 2*attest.MaxQuoteLen + 1
			return gramine.Config{Root: root, Files: d}
		}, nil, "over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := gramine.Open(tc.setup(t))
			if err == nil {
				t.Fatalf("opened: kind %s", e.Kind())
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// A platform whose quotes change MRENCLAVE after Open (another enclave
// answering) is refused at Quote.
func TestQuoteRefusesOtherMRENCLAVE(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	root := newTree(t, "dcap", gramine.SealKeyLen)
	d := &device{Dir: gramine.Dir(root), p: p}
	e, err := gramine.Open(gramine.Config{Root: root, Files: d})
	if err != nil {
		t.Fatal(err)
	}
	d.edit = func(r, _ []byte) { r[64] ^= 1 } // MRENCLAVE is at offset 64
	if q, err := e.Quote([64]byte{7}); err == nil || !strings.Contains(err.Error(), "MRENCLAVE") {
		t.Fatalf("Quote = %d bytes, %v; want a MRENCLAVE error", len(q), err)
	}
}

func TestRealDevice(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(gramine.DefaultRoot); err == nil {
		t.Skip("this machine has /dev/attestation")
	}
	if _, err := gramine.Open(gramine.Config{}); !errors.Is(err, gramine.ErrNotGramine) {
		t.Fatalf("Open outside Gramine: %v, want ErrNotGramine", err)
	}
}
