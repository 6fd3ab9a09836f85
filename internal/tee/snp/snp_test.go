package snp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/faketsm"
	"github.com/google/go-sev-guest/abi"
	sevtest "github.com/google/go-sev-guest/testing"
	"github.com/google/go-sev-guest/verify"
	"github.com/google/go-sev-guest/verify/testdata"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	attestsnp "github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/teetest"
)

// The fake TSM answers with the genuine sample report's fields, the
// requested report data, signed by go-sev-guest's test-only AMD chain, and
// that chain's certificate table as auxblob. The conformance verifier checks
// the signature chain to the test ARK (go-sev-guest verify); the chain's
// verifier, pinned to AMD's ARKs, is tested in attest/snp.

var (
	signerOnce sync.Once
	signer     *sevtest.AmdSigner
	signerErr  error
)

func testSigner(t testing.TB) *sevtest.AmdSigner {
	t.Helper()
	signerOnce.Do(func() { signer, signerErr = sevtest.DefaultTestOnlyCertChain("Milan-B0", time.Now().Add(-time.Hour)) })
	if signerErr != nil {
		t.Fatal(signerErr)
	}
	return signer
}

func fakeTSM(t testing.TB, provider string) configfsi.Client {
	return fakeTSMSigner(t, provider, abi.VcekReportSigner)
}

// fakeTSMSigner is fakeTSM with reports signed by key (VCEK or VLEK).
func fakeTSMSigner(t testing.TB, provider string, key abi.ReportSigner) configfsi.Client {
	s := testSigner(t)
	sub := faketsm.ReportV7(0)
	fallback := sub.ReadAttr
	sub.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		switch attr {
		case "provider":
			return []byte(provider + "\n"), nil
		case "auxblob":
			return s.CertTableBytes()
		case "outblob":
			r := append([]byte(nil), testdata.AttestationBytes...)
			copy(r[0x50:0x90], make([]byte, 64))
			copy(r[0x50:0x90], e.InAttrs["inblob"].Value)
			binary.LittleEndian.PutUint32(r[0x48:], abi.ComposeSignerInfo(abi.SignerInfo{SigningKey: key}))
			R, S, err := s.Sign(r[:0x2A0])
			if err != nil {
				return nil, err
			}
			if err := abi.SetSignature(R, S, r); err != nil {
				return nil, err
			}
			return r, nil
		}
		return fallback(e, attr)
	}
	return &faketsm.Client{Subsystems: map[string]configfsi.Client{"report": sub}}
}

type testVerifier struct{ s *sevtest.AmdSigner }

func (testVerifier) Kind() string { return attest.KindSEVSNP }

func (v testVerifier) Verify(quote []byte, now time.Time, _ attest.Collateral) (attest.Report, error) {
	q, err := attestsnp.ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	// VCEK ← ASK (VLEK ← ASVK) ← test ARK, then the report under it.
	ica := v.s.Ask
	if q.SignerKey == abi.VlekReportSigner {
		ica = v.s.Asvk
	}
	if err := q.Parsed.CheckSignatureFrom(ica); err != nil {
		return attest.Report{}, err
	}
	if err := verify.SnpReportSignature(q.Report, q.Parsed); err != nil {
		return attest.Report{}, err
	}
	r := attest.Report{Kind: attest.KindSEVSNP, Measurement: q.Measurement(), ConfidenceLevel: 1}
	copy(r.ReportData[:], q.Proto.GetReportData())
	return r, nil
}

func derivedKey(t *testing.T) snp.DerivedKeySource {
	return func() ([]byte, error) {
		k := sha256.Sum256([]byte(t.Name()))
		return k[:], nil
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	open := func(t *testing.T) tee.TEE {
		e, err := snp.Open(snp.Config{Client: fakeTSM(t, snp.Provider), DerivedKey: derivedKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	teetest.RunConformance(t, open, testVerifier{s: s}, nil)
}

// On a cloud that signs reports with a VLEK, the pRuntime sends the VLEK
// from the host's certificate table with the report.
func TestConformanceVLEK(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	open := func(t *testing.T) tee.TEE {
		e, err := snp.Open(snp.Config{Client: fakeTSMSigner(t, snp.Provider, abi.VlekReportSigner), DerivedKey: derivedKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	teetest.RunConformance(t, open, testVerifier{s: s}, nil)
	e := open(t)
	quote, err := e.Quote([64]byte{3})
	if err != nil {
		t.Fatal(err)
	}
	q, err := attestsnp.ParseQuote(quote)
	if err != nil {
		t.Fatal(err)
	}
	if q.SignerKey != abi.VlekReportSigner || !bytes.Equal(q.Cert, s.Vlek.Raw) {
		t.Fatalf("quote signed by %v with a %d-byte certificate, want the VLEK", q.SignerKey, len(q.Cert))
	}
}

func TestRefusesWithoutSNPTSM(t *testing.T) {
	t.Parallel()
	if _, err := snp.Open(snp.Config{Client: fakeTSM(t, "tdx_guest"), DerivedKey: derivedKey(t)}); err == nil {
		t.Fatal("opened with another provider's TSM")
	}
	if _, err := os.Stat("/sys/kernel/config/tsm/report"); err == nil {
		t.Skip("this machine has a TSM")
	}
	if _, err := snp.Open(snp.Config{}); !errors.Is(err, snp.ErrNoTSM) {
		t.Fatalf("Open without a TSM: %v, want ErrNoTSM", err)
	}
}
