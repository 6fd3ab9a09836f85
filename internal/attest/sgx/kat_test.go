package sgx_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
)

// The dcap-qvl sample (testdata/dcap-qvl, see its README): a genuine SGX
// quote (version 3, FMSPC 00a067110000) and the Intel collateral fetched
// for it on 2025-06-19, valid from 2025-06-19T10:56:11Z (TCB info issued)
// to 2025-07-19T10:01:18Z (QE identity next update).
var (
	katNow    = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	katFMSPC  = "00a067110000"
	katIssued = time.Date(2025, 6, 19, 10, 56, 11, 0, time.UTC)
	katExpiry = time.Date(2025, 7, 19, 10, 1, 18, 0, time.UTC)
	// What dcap-qvl's own test asserts for this sample.
	katStatus     = attest.TCBConfigurationAndSWHardeningNeeded
	katAdvisories = []string{"INTEL-SA-00289", "INTEL-SA-00615"}
)

func readKAT(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dcap-qvl", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func katQuote(t testing.TB) []byte { return sgx.TrimQuote(readKAT(t, "quote.bin")) }

func katCollateral(t testing.TB) attest.SGXCollateral {
	return attest.SGXCollateral{
		TCBInfo:               readKAT(t, "tcb_info.json"),
		TCBInfoIssuerChain:    readKAT(t, "tcb_info_issuer_chain.pem"),
		QEIdentity:            readKAT(t, "qe_identity.json"),
		QEIdentityIssuerChain: readKAT(t, "qe_identity_issuer_chain.pem"),
		PCKCRL:                readKAT(t, "pck_crl.der"),
		PCKCRLIssuerChain:     readKAT(t, "pck_crl_issuer_chain.pem"),
		RootCACRL:             readKAT(t, "root_ca_crl.der"),
	}
}

func katSource(t testing.TB, accepted ...string) attest.StaticCollateral {
	return attest.StaticCollateral{SGXByFMSPC: map[string]attest.SGXCollateral{katFMSPC: katCollateral(t)}, AcceptedAdvisoriesList: accepted}
}

// DefaultAccepted is the reference's accepted advisory list.
var defaultAccepted = []string{"INTEL-SA-00219", "INTEL-SA-00334", "INTEL-SA-00381", "INTEL-SA-00389"}

func TestKnownAnswerAccepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		accepted []string
		want     uint32
	}{
		// INTEL-SA-00289 and -00615 are not in the reference's list: 4.
		{"reference accepted list", defaultAccepted, 4},
		{"both advisories accepted", append([]string{"INTEL-SA-00289", "INTEL-SA-00615"}, defaultAccepted...), 3},
		{"one advisory accepted", []string{"INTEL-SA-00615"}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := sgx.Verifier{}.Verify(katQuote(t), katNow, katSource(t, tc.accepted...))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if r.Kind != attest.KindSGX || r.ConfidenceLevel != tc.want || r.TCBStatus != katStatus || r.PlatformID != katFMSPC || r.Debug {
				t.Fatalf("report %+v, want level %d", r, tc.want)
			}
			if len(r.Advisories) != 2 || r.Advisories[0] != katAdvisories[0] || r.Advisories[1] != katAdvisories[1] {
				t.Fatalf("advisories %v, want %v", r.Advisories, katAdvisories)
			}
			q, err := sgx.ParseQuote(katQuote(t))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Measurement, q.Enclave.MRENCLAVE[:]) || len(r.SignerMeasurement) != sgx.SignerMeasurementLen ||
				!bytes.HasPrefix(r.SignerMeasurement, q.Enclave.MRSIGNER[:]) || r.ReportData != q.Enclave.ReportData {
				t.Fatalf("identity: measurement %x signer %x", r.Measurement, r.SignerMeasurement)
			}
			t.Logf("MRENCLAVE %s signer %s", hex.EncodeToString(r.Measurement), hex.EncodeToString(r.SignerMeasurement))
		})
	}
}

func TestKnownAnswerCollateralInfo(t *testing.T) {
	t.Parallel()
	info, err := sgx.Verifier{}.CheckCollateral(katCollateral(t), katNow)
	if err != nil {
		t.Fatal(err)
	}
	if info.PlatformID != katFMSPC || !info.NotAfter.Equal(katExpiry) {
		t.Fatalf("collateral info %+v, want %s until %s", info, katFMSPC, katExpiry)
	}
}

// TestKnownAnswerTampered flips one bit in every byte of the genuine quote:
// every variant must be rejected. Header and enclave report are signed by
// the attestation key, which the QE report binds with the authentication
// data, which the PCK key signs; the PCK chain must be canonical PEM; sizes
// and types are parsed strictly; nothing may follow.
func TestKnownAnswerTampered(t *testing.T) {
	t.Parallel()
	quote, src := katQuote(t), katSource(t)
	for i := range quote {
		c := bytes.Clone(quote)
		c[i] ^= 0x01
		if r, err := (sgx.Verifier{}).Verify(c, katNow, src); err == nil {
			t.Fatalf("byte %d flipped: accepted with %+v", i, r)
		}
	}
	for _, n := range []int{0, 1, 48, 432, 436, len(quote) - 1} {
		if _, err := (sgx.Verifier{}).Verify(quote[:n], katNow, src); !errors.Is(err, attest.ErrMalformedQuote) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := (sgx.Verifier{}).Verify(append(bytes.Clone(quote), 0), katNow, src); !errors.Is(err, attest.ErrMalformedQuote) {
		t.Fatalf("trailing byte: %v", err)
	}
}

// TestKnownAnswerSignedFields flips bytes of the signed fields a forger
// would want to change: each is rejected with ErrQuoteSignature.
func TestKnownAnswerSignedFields(t *testing.T) {
	t.Parallel()
	quote := katQuote(t)
	const body = sgx.HeaderLen
	qe := body + sgx.ReportLen + 4 + 64 + 64
	for _, tc := range []struct {
		name string
		off  int
	}{
		{"report data", body + 320},
		{"report data last", body + 383},
		{"MRENCLAVE", body + 64},
		{"MRSIGNER", body + 128},
		{"ISVSVN", body + 258},
		{"attributes (debug bit)", body + 48},
		{"header QE SVN", 8},
		{"attestation key", body + sgx.ReportLen + 4 + 64},
		{"QE report", qe + 10},
		{"QE report data", qe + 320},
		{"QE report signature", qe + sgx.ReportLen + 1},
		{"QE authentication data", qe + sgx.ReportLen + 64 + 2},
	} {
		c := bytes.Clone(quote)
		c[tc.off] ^= 0x02
		if _, err := (sgx.Verifier{}).Verify(c, katNow, katSource(t)); !errors.Is(err, attest.ErrQuoteSignature) {
			t.Errorf("%s flipped: %v, want ErrQuoteSignature", tc.name, err)
		}
	}
}

func TestKnownAnswerCollateral(t *testing.T) {
	t.Parallel()
	quote := katQuote(t)
	tdxColl := tdxKATCollateral(t)
	tests := []struct {
		name string
		now  time.Time
		src  attest.Collateral
		want error
	}{
		{"no collateral source", katNow, nil, attest.ErrNoCollateral},
		{"no collateral for fmspc", katNow, attest.StaticCollateral{}, attest.ErrNoCollateral},
		{"TDX collateral stored for SGX", katNow, attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{katFMSPC: katCollateral(t)}}, attest.ErrNoCollateral},
		{"expired", katExpiry.Add(time.Second), katSource(t), attest.ErrCollateralExpired},
		{"long expired", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), katSource(t), attest.ErrCollateralExpired},
		{"not yet issued", katIssued.Add(-time.Second), katSource(t), attest.ErrInvalidCollateral},
		// A TDX platform's genuine collateral, stored under the SGX FMSPC:
		// its TCB info is "TDX", not "SGX".
		{"foreign (TDX) collateral", katNow, attest.StaticCollateral{SGXByFMSPC: map[string]attest.SGXCollateral{katFMSPC: tdxColl}}, attest.ErrInvalidCollateral},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sgx.Verifier{}.Verify(quote, tc.now, tc.src)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKnownAnswerCollateralTampered(t *testing.T) {
	t.Parallel()
	fields := []struct {
		name string
		f    func(*attest.SGXCollateral) *[]byte
	}{
		{"tcb_info", func(c *attest.SGXCollateral) *[]byte { return &c.TCBInfo }},
		{"qe_identity", func(c *attest.SGXCollateral) *[]byte { return &c.QEIdentity }},
		{"pck_crl", func(c *attest.SGXCollateral) *[]byte { return &c.PCKCRL }},
		{"root_ca_crl", func(c *attest.SGXCollateral) *[]byte { return &c.RootCACRL }},
		{"tcb_info_issuer_chain", func(c *attest.SGXCollateral) *[]byte { return &c.TCBInfoIssuerChain }},
		{"pck_crl_issuer_chain", func(c *attest.SGXCollateral) *[]byte { return &c.PCKCRLIssuerChain }},
		{"qe_identity_issuer_chain", func(c *attest.SGXCollateral) *[]byte { return &c.QEIdentityIssuerChain }},
	}
	for _, fc := range fields {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			c := katCollateral(t)
			f := fc.f(&c)
			b := bytes.Clone(*f)
			b[len(b)*2/3] ^= 0x04
			*f = b
			if _, err := (sgx.Verifier{}).CheckCollateral(c, katNow); !errors.Is(err, attest.ErrInvalidCollateral) {
				t.Fatalf("tampered collateral: %v, want ErrInvalidCollateral", err)
			}
		})
	}
}

// tdxKATCollateral is the genuine TDX collateral of package tdx's sample.
func tdxKATCollateral(t testing.TB) attest.TDXCollateral {
	t.Helper()
	rd := func(n string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "tdx", "testdata", "dcap-qvl", n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return attest.TDXCollateral{
		TCBInfo: rd("tcb_info.json"), TCBInfoIssuerChain: rd("tcb_info_issuer_chain.pem"),
		QEIdentity: rd("qe_identity.json"), QEIdentityIssuerChain: rd("qe_identity_issuer_chain.pem"),
		PCKCRL: rd("pck_crl.der"), PCKCRLIssuerChain: rd("pck_crl_issuer_chain.pem"), RootCACRL: rd("root_ca_crl.der"),
	}
}
