package sgx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel/inteltest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx/sgxtest"
)

// Synthetic quotes: built here field by field with test keys under an
// Intel-like PKI (inteltest), for what no public sample shows: debug
// enclaves, revoked certificates, every TCB status, version 4.

type synth struct {
	t       *testing.T
	pki     *inteltest.PKI
	base    *sgx.Quote // the genuine quote: its header, QE report and auth data
	tcbInfo []byte     // the sample's inner TCB info JSON
	qeID    []byte
	now     time.Time
}

func newSynth(t *testing.T) *synth {
	t.Helper()
	base, err := sgx.ParseQuote(katQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	pki, err := inteltest.NewPKI(base.PCK, katNow.Add(-24*time.Hour), katNow.Add(365*24*time.Hour))
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
	return &synth{t: t, pki: pki, base: base, tcbInfo: inner(c.TCBInfo, "tcbInfo"), qeID: inner(c.QEIdentity, "enclaveIdentity"), now: katNow}
}

// quote builds a quote of the given version whose enclave report is the
// sample's after edit, signed through the synthetic PKI.
func (s *synth) quote(version uint16, edit func(report []byte)) []byte {
	s.t.Helper()
	q, err := sgxtest.Quote(s.pki, s.base, version, edit)
	if err != nil {
		s.t.Fatal(err)
	}
	return q
}

func (s *synth) collateral(o inteltest.CollateralOptions) attest.SGXCollateral {
	s.t.Helper()
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
		s.t.Fatal(err)
	}
	return c
}

func (s *synth) verify(q []byte, c attest.SGXCollateral, accepted ...string) (attest.Report, error) {
	src := attest.StaticCollateral{SGXByFMSPC: map[string]attest.SGXCollateral{katFMSPC: c}, AcceptedAdvisoriesList: accepted}
	return sgx.VerifierWithRoot(s.pki.Root).Verify(q, s.now, src)
}

func TestSyntheticVersions(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	for _, v := range []uint16{3, 4} {
		q := s.quote(v, func(r []byte) { copy(r[320:], "synthetic report data") })
		r, err := s.verify(q, s.collateral(inteltest.CollateralOptions{}))
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if !bytes.HasPrefix(r.ReportData[:], []byte("synthetic report data")) || r.TCBStatus != katStatus {
			t.Fatalf("version %d: %+v", v, r)
		}
		// The synthetic root is not Intel's: the production verifier refuses.
		src := attest.StaticCollateral{SGXByFMSPC: map[string]attest.SGXCollateral{katFMSPC: s.collateral(inteltest.CollateralOptions{})}}
		if _, err := (sgx.Verifier{}).Verify(q, s.now, src); !errors.Is(err, attest.ErrCertificateChain) {
			t.Fatalf("version %d, synthetic root against the pinned verifier: %v", v, err)
		}
	}
	for _, v := range []uint16{2, 5} {
		if _, err := sgx.ParseQuote(s.quote(v, nil)); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Fatalf("version %d: %v, want ErrMalformedQuote", v, err)
		}
	}
}

func TestSyntheticDebugEnclave(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	q := s.quote(3, func(r []byte) { r[48] |= 0x02 })
	r, err := s.verify(q, s.collateral(inteltest.CollateralOptions{}))
	if err != nil || !r.Debug {
		t.Fatalf("debug enclave: %+v, %v; want a report with Debug", r, err)
	}
}

func TestSyntheticRevoked(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	q := s.quote(3, nil)
	for _, tc := range []struct {
		name string
		o    inteltest.CollateralOptions
	}{
		{"PCK certificate on PCK CRL", inteltest.CollateralOptions{RevokePCK: true}},
		{"PCK CA on root CA CRL", inteltest.CollateralOptions{RevokeCA: true}},
	} {
		if _, err := s.verify(q, s.collateral(tc.o)); !errors.Is(err, attest.ErrCertificateRevoked) {
			t.Errorf("%s: err = %v, want ErrCertificateRevoked", tc.name, err)
		}
	}
}

func TestSyntheticPCKExpired(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	q := s.quote(3, nil)
	c := s.collateral(inteltest.CollateralOptions{})
	src := attest.StaticCollateral{SGXByFMSPC: map[string]attest.SGXCollateral{katFMSPC: c}}
	if _, err := sgx.VerifierWithRoot(s.pki.Root).Verify(q, s.now.Add(400*24*time.Hour), src); !errors.Is(err, attest.ErrCertificateChain) {
		t.Fatalf("PCK certificate expired: %v, want ErrCertificateChain", err)
	}
}

// TestSyntheticConfidenceLevels grades the sample platform under every TCB
// status (rewriting the level it matches), and the QE under OutOfDate and
// Revoked, with the reference's accepted advisory list.
func TestSyntheticConfidenceLevels(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	q := s.quote(3, nil)
	// The sample's platform matches the second level, graded
	// ConfigurationAndSWHardeningNeeded with INTEL-SA-00289 and -00615.
	const matched = `"tcbStatus":"ConfigurationAndSWHardeningNeeded","advisoryIDs":["INTEL-SA-00289","INTEL-SA-00615"]`
	if !strings.Contains(string(s.tcbInfo), matched) {
		t.Fatal("sample TCB info changed")
	}
	setStatus := func(status string, advisories ...string) []byte {
		adv, _ := json.Marshal(advisories)
		repl := fmt.Sprintf(`"tcbStatus":%q,"advisoryIDs":%s`, status, adv)
		return []byte(strings.Replace(string(s.tcbInfo), matched, repl, 1))
	}
	qeStatus := func(status string) []byte {
		return []byte(strings.Replace(string(s.qeID), `"tcbStatus":"UpToDate"`, fmt.Sprintf(`"tcbStatus":%q`, status), 1))
	}
	tests := []struct {
		status     string
		advisories []string
		qe         string
		want       uint32
	}{
		{"UpToDate", nil, "", 1},
		{"SWHardeningNeeded", []string{"INTEL-SA-00615"}, "", 2},
		{"ConfigurationNeeded", []string{"INTEL-SA-00334", "INTEL-SA-00219"}, "", 3},
		{"ConfigurationAndSWHardeningNeeded", []string{"INTEL-SA-00381", "INTEL-SA-00389"}, "", 3},
		{"ConfigurationNeeded", []string{"INTEL-SA-00334", "INTEL-SA-00615"}, "", 4},
		{"ConfigurationAndSWHardeningNeeded", []string{"INTEL-SA-00289"}, "", 4},
		{"OutOfDate", []string{"INTEL-SA-00828"}, "", 5},
		{"OutOfDateConfigurationNeeded", []string{"INTEL-SA-00828"}, "", 5},
		{"UpToDate", nil, "OutOfDate", 5},
		{"Revoked", nil, "", 0},
		{"UpToDate", nil, "Revoked", 0},
	}
	// A status Intel never defined is refused at parse: the collateral is invalid.
	if _, err := s.verify(q, s.collateral(inteltest.CollateralOptions{TCBInfo: setStatus("SomethingNew")})); !errors.Is(err, attest.ErrInvalidCollateral) {
		t.Errorf("unknown status: %v, want ErrInvalidCollateral", err)
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s%v/qe=%s", tc.status, tc.advisories, tc.qe)
		o := inteltest.CollateralOptions{TCBInfo: setStatus(tc.status, tc.advisories...)}
		if tc.qe != "" {
			o.QEIdentity = qeStatus(tc.qe)
		}
		r, err := s.verify(q, s.collateral(o), defaultAccepted...)
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

// TestSyntheticPlatformMismatch: a QE that is not the identity's, and TCB
// info of another FMSPC.
func TestSyntheticPlatformMismatch(t *testing.T) {
	t.Parallel()
	s := newSynth(t)
	q := s.quote(3, nil)
	otherQE := []byte(strings.Replace(string(s.qeID), `"isvprodid":1`, `"isvprodid":2`, 1))
	if _, err := s.verify(q, s.collateral(inteltest.CollateralOptions{QEIdentity: otherQE})); !errors.Is(err, attest.ErrPlatformMismatch) {
		t.Errorf("foreign QE: %v, want ErrPlatformMismatch", err)
	}
	otherFMSPC := []byte(strings.Replace(string(s.tcbInfo), `"fmspc":"00A067110000"`, `"fmspc":"00A067110001"`, 1))
	if _, err := s.verify(q, s.collateral(inteltest.CollateralOptions{TCBInfo: otherFMSPC})); !errors.Is(err, attest.ErrPlatformMismatch) {
		t.Errorf("another FMSPC's TCB info: %v, want ErrPlatformMismatch", err)
	}
	noLevel := []byte(strings.ReplaceAll(string(s.tcbInfo), `"pcesvn":13`, `"pcesvn":99`))
	noLevel = []byte(strings.ReplaceAll(string(noLevel), `"pcesvn":11`, `"pcesvn":99`))
	noLevel = []byte(strings.ReplaceAll(string(noLevel), `"pcesvn":10`, `"pcesvn":99`))
	noLevel = []byte(strings.ReplaceAll(string(noLevel), `"pcesvn":5}`, `"pcesvn":99}`))
	if _, err := s.verify(q, s.collateral(inteltest.CollateralOptions{TCBInfo: noLevel})); !errors.Is(err, attest.ErrTCBNotAccepted) {
		t.Errorf("no matching TCB level: %v, want ErrTCBNotAccepted", err)
	}
}
