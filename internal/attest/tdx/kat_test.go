package tdx_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
)

// The dcap-qvl sample (testdata/dcap-qvl, see its README): a real TDX
// quote from an Emerald Rapids machine (FMSPC b0c06f000000) and the Intel
// collateral fetched for it on 2025-06-19. Every part is valid from
// 2025-06-19T10:32:27Z (QE identity issued) to 2025-07-19T10:00:35Z (PCK
// CRL next update); katNow lies inside.
var (
	katNow    = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	katFMSPC  = "b0c06f000000"
	katMRTD   = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"
	katExpiry = time.Date(2025, 7, 19, 10, 0, 35, 0, time.UTC)
)

func readKAT(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dcap-qvl", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// katQuote is the sample without the 70 zero bytes of padding the quote
// generation left after the signed data (TrimQuote).
func katQuote(t testing.TB) []byte { return tdx.TrimQuote(readKAT(t, "quote.bin")) }

func katCollateral(t testing.TB) attest.TDXCollateral {
	return attest.TDXCollateral{
		TCBInfo:               readKAT(t, "tcb_info.json"),
		TCBInfoIssuerChain:    readKAT(t, "tcb_info_issuer_chain.pem"),
		QEIdentity:            readKAT(t, "qe_identity.json"),
		QEIdentityIssuerChain: readKAT(t, "qe_identity_issuer_chain.pem"),
		PCKCRL:                readKAT(t, "pck_crl.der"),
		PCKCRLIssuerChain:     readKAT(t, "pck_crl_issuer_chain.pem"),
		RootCACRL:             readKAT(t, "root_ca_crl.der"),
	}
}

func katSource(t testing.TB) attest.StaticCollateral {
	return attest.StaticCollateral{TDXByFMSPC: map[string]attest.TDXCollateral{katFMSPC: katCollateral(t)}}
}

func TestKnownAnswerAccepted(t *testing.T) {
	t.Parallel()
	r, err := tdx.Verifier{}.Verify(katQuote(t), katNow, katSource(t))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	t.Logf("%+v", r)
	if r.Kind != attest.KindTDX || r.ConfidenceLevel != 1 || r.TCBStatus != attest.TCBUpToDate || r.PlatformID != katFMSPC || r.Debug {
		t.Fatalf("report %+v", r)
	}
	if len(r.Measurement) != tdx.MeasurementLen || !bytes.HasPrefix(r.Measurement, mustHex(katMRTD)) {
		t.Fatalf("measurement %x", r.Measurement)
	}
	_ = errors.Is
}
