package tdx_test

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/faketsm"
	"github.com/google/go-tdx-guest/verify"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	attesttdx "github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx/tdxtest"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/teetest"
)

// The fake TSM (go-configfs-tsm's faketsm) answers report requests with a
// TDX quote over the requested report data, re-signed from a genuine sample
// by a synthetic Intel-like PKI (tdxtest). The conformance verifier checks
// the quote's full signature chain to that PKI's root (go-tdx-guest) and
// reads what it states; the chain's own verifier, which trusts only the
// pinned Intel root and needs Intel collateral, is tested in attest/tdx.

type platform struct {
	pki  *tdxtest.PKI
	base []byte
}

var (
	platformOnce sync.Once
	thePlatform  *platform
	platformErr  error
)

func testPlatform(t testing.TB) *platform {
	t.Helper()
	platformOnce.Do(func() {
		base, err := os.ReadFile(filepath.Join("..", "..", "attest", "tdx", "testdata", "dcap-qvl", "quote.bin"))
		if err != nil {
			platformErr = err
			return
		}
		q, err := attesttdx.ParseQuote(attesttdx.TrimQuote(base))
		if err != nil {
			platformErr = err
			return
		}
		pki, err := tdxtest.NewPKI(q.PCK, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
		thePlatform, platformErr = &platform{pki: pki, base: base}, err
	})
	if platformErr != nil {
		t.Fatal(platformErr)
	}
	return thePlatform
}

// fakeTSM returns a configfs client whose report subsystem makes quotes
// with provider as its name.
func fakeTSM(t testing.TB, provider string) configfsi.Client {
	p := testPlatform(t)
	sub := faketsm.ReportV7(0)
	fallback := sub.ReadAttr
	sub.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		switch attr {
		case "provider":
			return []byte(provider + "\n"), nil
		case "outblob":
			var rd [64]byte
			copy(rd[:], e.InAttrs["inblob"].Value)
			q, err := p.pki.Quote(p.base, rd, nil)
			// The quote buffer of the real driver is zero padded.
			return append(q, make([]byte, 64)...), err
		}
		return fallback(e, attr)
	}
	return &faketsm.Client{Subsystems: map[string]configfsi.Client{"report": sub}}
}

type pkiVerifier struct{ root *x509.Certificate }

func (pkiVerifier) Kind() string { return attest.KindTDX }

func (v pkiVerifier) Verify(quote []byte, now time.Time, _ attest.Collateral) (attest.Report, error) {
	q, err := attesttdx.ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(v.root)
	ts := &verify.TimeSet{PckCertChain: now, TcbInfo: now, QeIdentity: now, PckCrl: now, RootCaCrl: now}
	if err := verify.TdxQuote(q.Proto, &verify.Options{Now: ts, TrustedRoots: pool}); err != nil {
		return attest.Report{}, err
	}
	r := attest.Report{Kind: attest.KindTDX, Measurement: q.Measurement(), ConfidenceLevel: 1}
	copy(r.ReportData[:], q.Proto.GetTdQuoteBody().GetReportData())
	return r, nil
}

// sealKey is a per-test sealing secret: the same test reopening its
// "platform" gets the same key, as a restarted TD would from its source.
func sealKey(t *testing.T) tdx.SealKeySource {
	return func(m []byte) ([]byte, error) {
		k := sha256.Sum256(append([]byte(t.Name()), m...))
		return k[:], nil
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	p := testPlatform(t)
	open := func(t *testing.T) tee.TEE {
		e, err := tdx.Open(tdx.Config{Client: fakeTSM(t, tdx.Provider), SealKey: sealKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	teetest.RunConformance(t, open, pkiVerifier{root: p.pki.Root}, nil)
}

func TestNoSealingKey(t *testing.T) {
	t.Parallel()
	e, err := tdx.Open(tdx.Config{Client: fakeTSM(t, tdx.Provider)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Seal("x", []byte("secret")); !errors.Is(err, tee.ErrNoSealingKey) {
		t.Fatalf("Seal without a key source: %v, want ErrNoSealingKey", err)
	}
	if _, err := e.Unseal("x", make([]byte, 64)); !errors.Is(err, tee.ErrNoSealingKey) {
		t.Fatalf("Unseal without a key source: %v", err)
	}
	if len(e.Measurement()) != attesttdx.MeasurementLen {
		t.Fatalf("measurement %d bytes", len(e.Measurement()))
	}
}

func TestRefusesWithoutTDXTSM(t *testing.T) {
	t.Parallel()
	if _, err := tdx.Open(tdx.Config{Client: fakeTSM(t, "sev_guest")}); err == nil {
		t.Fatal("opened with another provider's TSM")
	}
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has a TSM")
	}
	if _, err := tdx.Open(tdx.Config{}); !errors.Is(err, tdx.ErrNoTSM) {
		t.Fatalf("Open without a TSM: %v, want ErrNoTSM", err)
	}
}
