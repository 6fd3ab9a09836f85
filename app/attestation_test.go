package app_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestRegistrationRealTDXQuote runs the genuine TDX sample (see
// internal/attest/tdx/testdata/dcap-qvl) through real blocks of the app with
// its production verifiers: governance sets the Intel collateral, the
// quote verifies at block time, and registration is refused for the one
// thing a public sample cannot have, a binding to this chain's registration
// info (x/registry/keeper's TestRegisterTDXSampleBound covers the rest).
func TestRegistrationRealTDXQuote(t *testing.T) {
	t.Parallel()
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 1, GenesisTime: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)})
	op := c.Accounts[0]
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "internal", "attest", "tdx", "testdata", "dcap-qvl", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	w := c.NewWorker(op)
	msg := w.RegisterMsg(op)
	msg.Attestation = registrytypes.Attestation{TeeKind: attest.KindTDX, Quote: tdx.TrimQuote(read("quote.bin"))}

	requireRegistrationFails(t, c, op, msg, registrytypes.ErrNoCollateral)

	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	set := &registrytypes.MsgSetCollateral{Authority: c.App.RegistryKeeper.Authority(), Tdx: &registrytypes.TDXCollateral{
		TcbInfo: read("tcb_info.json"), TcbInfoIssuerChain: read("tcb_info_issuer_chain.pem"),
		QeIdentity: read("qe_identity.json"), QeIdentityIssuerChain: read("qe_identity_issuer_chain.pem"),
		PckCrl: read("pck_crl.der"), PckCrlIssuerChain: read("pck_crl_issuer_chain.pem"), RootCaCrl: read("root_ca_crl.der"),
	}}
	if _, err := c.App.MsgServiceRouter().Handler(set)(ctx, set); err != nil {
		t.Fatalf("set collateral: %v", err)
	}
	c.NextBlock()

	res := c.NextBlock(c.Tx(op, 2_000_000, msg))
	requireCode(t, "DeliverTx", res[0].Code, res[0].Codespace, res[0].Log, registrytypes.ErrReportDataMismatch)
	if res[0].GasUsed < 1_000_000 {
		t.Fatalf("hardware attestation used %d gas, want at least GasPerHardwareAttestation", res[0].GasUsed)
	}
}

// TestRegistrationRealSNPReport runs the genuine SEV-SNP sample (see
// internal/attest/snp/snptest) through real blocks of the app with its
// production verifiers. It verifies up to the collateral step; the
// synthetic CRL that x/registry/keeper's TestRegisterSNPSampleLevels uses
// to accept it (no ARK-signed CRL for its period exists offline) is
// refused by governance's MsgSetCollateral here, so the sample can never
// register on this chain without AMD-signed collateral.
func TestRegistrationRealSNPReport(t *testing.T) {
	t.Parallel()
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 1, GenesisTime: snptest.SampleTime})
	op := c.Accounts[0]
	quote, err := snptest.SampleQuote()
	if err != nil {
		t.Fatal(err)
	}
	w := c.NewWorker(op)
	msg := w.RegisterMsg(op)
	msg.Attestation = registrytypes.Attestation{TeeKind: attest.KindSEVSNP, Quote: quote}
	requireRegistrationFails(t, c, op, msg, registrytypes.ErrNoCollateral)

	coll, _ := syntheticSNPCollateral(t, c.Time)
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	set := &registrytypes.MsgSetCollateral{Authority: c.App.RegistryKeeper.Authority(), Snp: &registrytypes.SNPCollateral{
		ProductLine: coll.ProductLine, Crl: coll.CRL, UptodateTcb: coll.UpToDateTCB}}
	_, err = c.App.MsgServiceRouter().Handler(set)(ctx, set)
	if !errors.Is(err, registrytypes.ErrInvalidCollateral) {
		t.Fatalf("set synthetic collateral: %v, want ErrInvalidCollateral", err)
	}
	c.NextBlock()
	requireRegistrationFails(t, c, op, msg, registrytypes.ErrNoCollateral)

	bad := bytes.Clone(quote)
	bad[len(bad)-snp.ReportLen+snptest.ReportOffsetMeasurement] ^= 1
	msg.Attestation.Quote = bad
	requireRegistrationFails(t, c, op, msg, registrytypes.ErrInvalidAttestation)
}

// syntheticSNPCollateral is Milan collateral current at now whose CRL is
// signed by a fresh snptest signer, with that signer's (test-only) verifier.
func syntheticSNPCollateral(t *testing.T, now time.Time) (attest.SNPCollateral, snp.Verifier) {
	t.Helper()
	s, err := snptest.NewCRLSigner(now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Collateral(snptest.SampleTCB, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return c, v
}

// TestProductionVerifiersTrustOnlyPinnedRoots: the verifier set the chain
// runs (app.Verifiers) has one verifier per kind; its SEV-SNP verifier is
// the pinned-only one and rejects the synthetic CRL that snptest's verifier
// accepts with the genuine sample (so the rejection is about whom the CRL
// trusts, nothing else).
func TestProductionVerifiersTrustOnlyPinnedRoots(t *testing.T) {
	t.Parallel()
	quote, err := snptest.SampleQuote()
	if err != nil {
		t.Fatal(err)
	}
	coll, testVerifier := syntheticSNPCollateral(t, snptest.SampleTime)
	src := attest.StaticCollateral{SNPByProduct: map[string]attest.SNPCollateral{coll.ProductLine: coll}}
	if r, err := testVerifier.Verify(quote, snptest.SampleTime, src); err != nil || r.ConfidenceLevel != 1 {
		t.Fatalf("control: snptest verifier: %+v, %v", r, err)
	}

	kinds := map[string]int{}
	for _, v := range app.Verifiers() {
		kinds[v.Kind()]++
		if v.Kind() != attest.KindSEVSNP {
			continue
		}
		sv, ok := v.(snp.Verifier)
		if !ok {
			t.Fatalf("sev-snp verifier is %T, want snp.Verifier", v)
		}
		if !sv.PinnedOnly() {
			t.Fatal("production sev-snp verifier trusts a test CRL signer")
		}
		if _, err := sv.Verify(quote, snptest.SampleTime, src); !errors.Is(err, attest.ErrInvalidCollateral) {
			t.Fatalf("production verifier with a synthetic CRL: %v, want ErrInvalidCollateral", err)
		}
		if _, err := sv.CheckCollateral(coll, snptest.SampleTime); !errors.Is(err, attest.ErrInvalidCollateral) {
			t.Fatalf("production CheckCollateral of a synthetic CRL: %v, want ErrInvalidCollateral", err)
		}
	}
	for _, k := range []string{attest.KindSim, attest.KindTDX, attest.KindSEVSNP} {
		if kinds[k] != 1 {
			t.Fatalf("app.Verifiers has %d verifiers of kind %s, want 1", kinds[k], k)
		}
	}
}

// TestBinariesDoNotImportTestPKI: the test-only packages (synthetic CRL
// signer, synthetic Intel-like PKI) are in no binary's import graph.
func TestBinariesDoNotImportTestPKI(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	const mod = "github.com/gatekeeper-net/gatekeeper"
	out, err := exec.Command(goBin, "list", "-deps", mod+"/cmd/gkd", mod+"/cmd/pruntime", mod+"/cmd/pherry").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, mod+"/internal/attest/snp") {
		t.Fatalf("go list -deps lacks the snp verifier itself: %q", deps)
	}
	for _, dep := range deps {
		if strings.HasSuffix(dep, "/snptest") || strings.HasSuffix(dep, "/tdxtest") {
			t.Errorf("a binary imports %s", dep)
		}
	}
}
