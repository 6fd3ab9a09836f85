package tdx_test

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tdxtesting "github.com/google/go-tdx-guest/testing"
	tdxtestdata "github.com/google/go-tdx-guest/testing/testdata"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx/tdxtest"
	pb "github.com/google/go-tdx-guest/proto/tdx"
)

func TestKnownAnswerReportFields(t *testing.T) {
	t.Parallel()
	q, err := tdx.ParseQuote(katQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	if q.FMSPC() != katFMSPC || q.Debug() {
		t.Fatalf("fmspc %s debug %v", q.FMSPC(), q.Debug())
	}
	info, err := tdx.Verifier{}.CheckCollateral(katCollateral(t), katNow)
	if err != nil {
		t.Fatal(err)
	}
	if info.PlatformID != katFMSPC || !info.NotAfter.Equal(katExpiry) {
		t.Fatalf("collateral info %+v, want %s until %s", info, katFMSPC, katExpiry)
	}
}

// TestKnownAnswerTampered flips one bit in every byte of the genuine quote:
// every variant must be rejected. The quote has no byte that no check
// covers: header and TD report are signed by the attestation key, which the
// QE report binds, which the PCK key signs; the PCK chain must be canonical
// PEM; sizes and types are parsed strictly; nothing may follow.
func TestKnownAnswerTampered(t *testing.T) {
	t.Parallel()
	quote, src := katQuote(t), katSource(t)
	for i := range quote {
		c := bytes.Clone(quote)
		c[i] ^= 0x01
		if r, err := (tdx.Verifier{}).Verify(c, katNow, src); err == nil {
			t.Fatalf("byte %d flipped: accepted with %+v", i, r)
		}
	}
	for _, n := range []int{0, 1, 48, 632, len(quote) - 1} {
		if _, err := (tdx.Verifier{}).Verify(quote[:n], katNow, src); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := (tdx.Verifier{}).Verify(append(bytes.Clone(quote), 0), katNow, src); !errors.Is(err, attest.ErrMalformedQuote) {
		t.Fatalf("trailing byte: %v", err)
	}
}

// TestKnownAnswerSignedFields flips bytes of the signed report data and
// measurement: the signature check rejects them (ErrQuoteSignature), which
// is what stops a forged binding or measurement before the registry's own
// checks.
func TestKnownAnswerSignedFields(t *testing.T) {
	t.Parallel()
	quote := katQuote(t)
	const bodyStart = 48
	for _, tc := range []struct {
		name string
		off  int
	}{
		{"report data", bodyStart + 520},
		{"report data last", bodyStart + 583},
		{"MRTD", bodyStart + 136},
		{"RTMR3", bodyStart + 472},
		{"TD attributes", bodyStart + 120},
		{"TEE TCB SVN", bodyStart},
	} {
		c := bytes.Clone(quote)
		c[tc.off] ^= 0x80
		if _, err := (tdx.Verifier{}).Verify(c, katNow, katSource(t)); !errors.Is(err, attest.ErrQuoteSignature) {
			t.Errorf("%s flipped: %v, want ErrQuoteSignature", tc.name, err)
		}
	}
}

func TestKnownAnswerCollateral(t *testing.T) {
	t.Parallel()
	quote := katQuote(t)
	spr := tdxCollateralFromLibrary(t)
	tests := []struct {
		name string
		now  time.Time
		src  attest.Collateral
		want error
	}{
		{"no collateral source", katNow, nil, attest.ErrNoCollateral},
		{"no collateral for fmspc", katNow, attest.StaticCollateral{}, attest.ErrNoCollateral},
		{"expired", katExpiry.Add(time.Second), katSource(t), attest.ErrCollateralExpired},
		{"long expired", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), katSource(t), attest.ErrCollateralExpired},
		{"not yet issued", time.Date(2025, 6, 19, 0, 0, 0, 0, time.UTC), katSource(t), attest.ErrInvalidCollateral},
		{"another platform's collateral", time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC),
			attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{katFMSPC: spr}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tdx.Verifier{}.Verify(quote, tc.now, tc.src)
			if tc.want == nil {
				if err == nil {
					t.Fatal("accepted")
				}
				t.Logf("rejected: %v", err)
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// corrupt flips a byte inside one field of the collateral.
func TestKnownAnswerCollateralTampered(t *testing.T) {
	t.Parallel()
	fields := map[string]func(*attest.TDXCollateral) *[]byte{
		"tcb_info":                 func(c *attest.TDXCollateral) *[]byte { return &c.TCBInfo },
		"qe_identity":              func(c *attest.TDXCollateral) *[]byte { return &c.QEIdentity },
		"pck_crl":                  func(c *attest.TDXCollateral) *[]byte { return &c.PCKCRL },
		"root_ca_crl":              func(c *attest.TDXCollateral) *[]byte { return &c.RootCACRL },
		"tcb_info_issuer_chain":    func(c *attest.TDXCollateral) *[]byte { return &c.TCBInfoIssuerChain },
		"pck_crl_issuer_chain":     func(c *attest.TDXCollateral) *[]byte { return &c.PCKCRLIssuerChain },
		"qe_identity_issuer_chain": func(c *attest.TDXCollateral) *[]byte { return &c.QEIdentityIssuerChain },
	}
	for _, name := range []string{"tcb_info", "qe_identity", "pck_crl", "root_ca_crl", "tcb_info_issuer_chain", "pck_crl_issuer_chain", "qe_identity_issuer_chain"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := katCollateral(t)
			f := fields[name](&c)
			b := bytes.Clone(*f)
			b[len(b)*2/3] ^= 0x04
			*f = b
			if _, err := (tdx.Verifier{}).CheckCollateral(c, katNow); err == nil {
				t.Fatal("tampered collateral accepted")
			}
		})
	}
}

// The go-tdx-guest sample is a genuine quote from a 2023 Sapphire Rapids
// machine, but its sample TCB info (also genuine, FMSPC 50806f000000) has
// no TCB level as low as the machine's CPU SVN: Intel's algorithm finds no
// match, so the quote is rejected although every signature verifies.
func TestLibrarySampleTCBNotSupported(t *testing.T) {
	t.Parallel()
	now := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	src := attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{"50806f000000": tdxCollateralFromLibrary(t)}}
	// The library appends "\nextra bytes(only for testing purpose)\n" to
	// the quote; the strict parser refuses it, so cut the quote at the end
	// of its signed data.
	raw := tdxtestdata.RawQuote
	if _, err := (tdx.Verifier{}).Verify(raw, now, src); !errors.Is(err, attest.ErrMalformedQuote) {
		t.Fatalf("with trailing text: %v, want ErrMalformedQuote", err)
	}
	signedEnd := 48 + 584 + 4 + int(binary.LittleEndian.Uint32(raw[632:636]))
	_, err := tdx.Verifier{}.Verify(raw[:signedEnd], now, src)
	if !errors.Is(err, attest.ErrTCBNotAccepted) {
		t.Fatalf("err = %v, want ErrTCBNotAccepted", err)
	}
	if _, err := (tdx.Verifier{}).CheckCollateral(tdxCollateralFromLibrary(t), now); err != nil {
		t.Fatalf("library sample collateral: %v", err)
	}
}

// tdxCollateralFromLibrary assembles go-tdx-guest's sample PCS responses
// (valid June–July 2023) into collateral.
func tdxCollateralFromLibrary(t testing.TB) attest.TDXCollateral {
	t.Helper()
	hdr := func(h map[string][]string) []byte {
		for _, v := range h {
			return []byte(v[0])
		}
		t.Fatal("empty header")
		return nil
	}
	return attest.TDXCollateral{
		TCBInfo:               tdxtestdata.TcbInfoBody,
		TCBInfoIssuerChain:    unescape(t, hdr(tdxtesting.TcbInfoHeader)),
		QEIdentity:            tdxtestdata.QeIdentityBody,
		QEIdentityIssuerChain: unescape(t, hdr(tdxtesting.QeIdentityHeader)),
		PCKCRL:                tdxtestdata.PckCrlBody,
		PCKCRLIssuerChain:     unescape(t, hdr(tdxtesting.PckCrlHeader)),
		RootCACRL:             tdxtestdata.RootCrlBody,
	}
}

func unescape(t testing.TB, b []byte) []byte {
	t.Helper()
	s, err := tdx.DecodeIssuerChainHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Synthetic PKI: what no public sample can show.

type synth struct {
	pki     *tdxtest.PKI
	quote   []byte
	tcbInfo []byte // the sample's inner TCB info JSON
	qeID    []byte
	now     time.Time
}

func newSynth(t *testing.T) *synth {
	t.Helper()
	real, err := tdx.ParseQuote(katQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	now := katNow
	pki, err := tdxtest.NewPKI(real.PCK, now.Add(-24*time.Hour), now.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var rd [64]byte
	copy(rd[:], "synthetic report data")
	q, err := pki.Quote(katQuote(t), rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	inner := func(body []byte, member string) []byte {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return m[member]
	}
	c := katCollateral(t)
	return &synth{pki: pki, quote: q, tcbInfo: inner(c.TCBInfo, "tcbInfo"), qeID: inner(c.QEIdentity, "enclaveIdentity"), now: now}
}

func (s *synth) collateral(t *testing.T, o tdxtest.CollateralOptions) attest.TDXCollateral {
	t.Helper()
	if o.TCBInfo == nil {
		o.TCBInfo = s.tcbInfo
	}
	if o.QEIdentity == nil {
		o.QEIdentity = s.qeID
	}
	if o.ThisUpdate.IsZero() {
		o.ThisUpdate, o.NextUpdate = s.now.Add(-time.Hour), s.now.Add(24*time.Hour)
	}
	c, err := s.pki.Collateral(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *synth) verify(c attest.TDXCollateral, accepted ...string) (attest.Report, error) {
	src := attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{katFMSPC: c}, AcceptedAdvisoriesList: accepted}
	return tdx.VerifierWithRoot(s.pki.Root).Verify(s.quote, s.now, src)
}

func TestSyntheticRevoked(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	if r, err := s.verify(s.collateral(t, tdxtest.CollateralOptions{})); err != nil || r.ConfidenceLevel != 1 {
		t.Fatalf("unrevoked: %+v, %v", r, err)
	}
	for _, tc := range []struct {
		name string
		o    tdxtest.CollateralOptions
	}{
		{"PCK certificate on PCK CRL", tdxtest.CollateralOptions{RevokePCK: true}},
		{"PCK CA on root CA CRL", tdxtest.CollateralOptions{RevokeCA: true}},
	} {
		if _, err := s.verify(s.collateral(t, tc.o)); !errors.Is(err, attest.ErrCertificateRevoked) {
			t.Errorf("%s: err = %v, want ErrCertificateRevoked", tc.name, err)
		}
	}
	// The chain trusts only its pinned root: the synthetic quote fails
	// against the production verifier.
	src := attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{katFMSPC: s.collateral(t, tdxtest.CollateralOptions{})}}
	if _, err := (tdx.Verifier{}).Verify(s.quote, s.now, src); !errors.Is(err, attest.ErrCertificateChain) {
		t.Fatalf("synthetic root against pinned verifier: %v", err)
	}
}

func TestSyntheticConfidenceLevels(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	const adv = `"advisoryIDs":["INTEL-SA-00999"]`
	setStatus := func(j []byte, status string, advisories bool) []byte {
		repl := fmt.Sprintf(`"tcbStatus":%q`, status)
		if advisories {
			repl += "," + adv
		}
		return []byte(strings.ReplaceAll(string(j), `"tcbStatus":"UpToDate"`, repl))
	}
	tests := []struct {
		status     string
		advisories bool
		accepted   []string
		qeStatus   string
		want       uint32
	}{
		{"UpToDate", false, nil, "", 1},
		{"SWHardeningNeeded", true, nil, "", 2},
		{"ConfigurationNeeded", true, []string{"INTEL-SA-00999"}, "", 3},
		{"ConfigurationAndSWHardeningNeeded", true, []string{"INTEL-SA-00001", "INTEL-SA-00999"}, "", 3},
		{"ConfigurationNeeded", true, nil, "", 4},
		{"ConfigurationAndSWHardeningNeeded", true, []string{"INTEL-SA-00001"}, "", 4},
		{"OutOfDate", true, nil, "", 5},
		{"OutOfDateConfigurationNeeded", true, nil, "", 5},
		{"UpToDate", false, nil, "OutOfDate", 5},
		{"Revoked", true, nil, "", 0},
		{"UpToDate", false, nil, "Revoked", 0},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s/qe=%s/accepted=%v", tc.status, tc.qeStatus, tc.accepted)
		o := tdxtest.CollateralOptions{TCBInfo: setStatus(s.tcbInfo, tc.status, tc.advisories)}
		if tc.qeStatus != "" {
			o.QEIdentity = setStatus(s.qeID, tc.qeStatus, false)
		}
		r, err := s.verify(s.collateral(t, o), tc.accepted...)
		if tc.want == 0 {
			if !errors.Is(err, attest.ErrTCBNotAccepted) {
				t.Errorf("%s: %+v, %v; want ErrTCBNotAccepted", name, r, err)
			}
			continue
		}
		if err != nil || r.ConfidenceLevel != tc.want {
			t.Errorf("%s: level %d, %v; want %d", name, r.ConfidenceLevel, err, tc.want)
		}
	}
}

func TestSyntheticDebugTD(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	var rd [64]byte
	q, err := s.pki.Quote(katQuote(t), rd, func(b *tdxBody) { b.TdAttributes[0] |= 1 })
	if err != nil {
		t.Fatal(err)
	}
	s.quote = q
	r, err := s.verify(s.collateral(t, tdxtest.CollateralOptions{}))
	if err != nil || !r.Debug {
		t.Fatalf("debug TD: %+v, %v; want a report with Debug", r, err)
	}
}

func TestPinnedRoot(t *testing.T) {
	t.Parallel()
	root, err := tdx.PinnedRoot()
	if err != nil {
		t.Fatal(err)
	}
	q, err := tdx.ParseQuote(katQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	if !root.Equal(q.Root) || root.Subject.CommonName != "Intel SGX Root CA" {
		t.Fatalf("pinned root %q differs from the root in a genuine quote", root.Subject.CommonName)
	}
	var _ *x509.Certificate = root
}

type tdxBody = pb.TDQuoteBody
