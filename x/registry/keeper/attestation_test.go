package keeper_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Registration with real, vendor-signed quotes. The TDX sample
// (internal/attest/tdx/testdata/dcap-qvl: an Emerald Rapids quote and the
// Intel collateral fetched for it) verifies on chain at a block time inside
// the collateral's validity. Its report data is someone else's, so it can
// never bind a registration info of this chain: TestRegisterTDXSample shows
// that registration then fails for exactly that reason and no other, and
// TestRegisterTDXSampleBound shows the rest of the path with a verifier
// wrapper, defined in this test file only, that runs the real verifier and
// then substitutes the binding the sample cannot have.
//
// The SEV-SNP sample (go-sev-guest's Milan report with its VCEK, see
// internal/attest/snp/snptest) is treated the same way, with one more
// substitution: no CRL signed by AMD's ARK-Milan for its period exists
// offline, so the accepting tests use snptest's verifier, which checks the
// report, VCEK and ASK against the pinned AMD roots and expects the CRL of
// a synthetic signer. TestRegisterSNPSample shows that the production
// verifier refuses that CRL.

var (
	tdxKATTime   = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	tdxKATExpiry = time.Date(2025, 7, 19, 10, 0, 35, 0, time.UTC)
	tdxKATFMSPC  = "b0c06f000000"
)

func tdxKAT(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "attest", "tdx", "testdata", "dcap-qvl", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tdxKATQuote(t testing.TB) []byte { return tdx.TrimQuote(tdxKAT(t, "quote.bin")) }

func tdxKATCollateral(t testing.TB) *types.TDXCollateral {
	return &types.TDXCollateral{
		TcbInfo: tdxKAT(t, "tcb_info.json"), TcbInfoIssuerChain: tdxKAT(t, "tcb_info_issuer_chain.pem"),
		QeIdentity: tdxKAT(t, "qe_identity.json"), QeIdentityIssuerChain: tdxKAT(t, "qe_identity_issuer_chain.pem"),
		PckCrl: tdxKAT(t, "pck_crl.der"), PckCrlIssuerChain: tdxKAT(t, "pck_crl_issuer_chain.pem"),
		RootCaCrl: tdxKAT(t, "root_ca_crl.der"),
	}
}

func tdxKATMeasurement(t testing.TB) []byte {
	q, err := tdx.ParseQuote(tdxKATQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	return q.Measurement()
}

func requireCode(t testing.TB, what string, err error, want *errorsmod.Error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// hwFixture is a registry with the real hardware verifiers at the TDX
// sample's time.
func hwFixture(t testing.TB, verifiers ...attest.Verifier) *fixture {
	t.Helper()
	f := newFixtureWith(t, append([]attest.Verifier{attest.SimVerifier{}, registrytest.FakeVerifier{}}, verifiers...)...)
	f.ctx = f.ctx.WithBlockTime(tdxKATTime)
	return f
}

func (f *fixture) hwRegisterMsg(t testing.TB, kind string, quote []byte) (*types.MsgRegisterWorker, protocol.RegistrationInfo) {
	t.Helper()
	info := f.info(t, 7)
	enc, err := info.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return &types.MsgRegisterWorker{Operator: f.operator, Info: enc, Attestation: types.Attestation{TeeKind: kind, Quote: quote}}, info
}

func TestRegisterTDXSample(t *testing.T) {
	t.Parallel()
	f := hwFixture(t, tdx.Verifier{}, snp.Verifier{})
	msg, _ := f.hwRegisterMsg(t, attest.KindTDX, tdxKATQuote(t))

	_, err := f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "before collateral", err, types.ErrNoCollateral)

	// Governance sets the collateral; it is verified at block time.
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.operator, Tdx: tdxKATCollateral(t)})
	requireCode(t, "set by non-authority", err, types.ErrInvalidAuthority)
	bad := tdxKATCollateral(t)
	bad.TcbInfo = bytes.Replace(bad.TcbInfo, []byte(`"UpToDate"`), []byte(`"OutOfDate"`), 1)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Tdx: bad})
	requireCode(t, "tampered TCB info", err, types.ErrInvalidCollateral)
	_, err = f.msgs.SetCollateral(f.ctx.WithBlockTime(tdxKATExpiry.Add(time.Second)), &types.MsgSetCollateral{Authority: f.authority, Tdx: tdxKATCollateral(t)})
	requireCode(t, "expired collateral", err, types.ErrCollateralExpired)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority})
	requireCode(t, "empty", err, types.ErrInvalidCollateral)
	resp, err := f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Tdx: tdxKATCollateral(t)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PlatformId != tdxKATFMSPC || resp.NotAfterUnix != tdxKATExpiry.Unix() {
		t.Fatalf("set collateral: %+v", resp)
	}
	q, err := f.query.Collateral(f.ctx, &types.QueryCollateralRequest{TeeKind: attest.KindTDX, PlatformId: tdxKATFMSPC})
	if err != nil || q.Collateral.SetHeight != testHeight {
		t.Fatalf("query collateral: %+v, %v", q, err)
	}

	// The sample verifies (signatures, collateral, TCB level) and fails
	// only on the binding: its report data is not this registration's.
	_, err = f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "sample quote", err, types.ErrReportDataMismatch)

	// Tampered variants fail earlier, each with the cause's code.
	quote := tdxKATQuote(t)
	for _, tc := range []struct {
		name string
		off  int
		want *errorsmod.Error
	}{
		{"header version", 0, types.ErrMalformedAttestation},
		{"QE vendor id", 12, types.ErrMalformedAttestation},
		{"TEE TCB SVN", 48, types.ErrInvalidAttestation},
		{"MRTD", 48 + 136, types.ErrInvalidAttestation},
		{"RTMR0", 48 + 328, types.ErrInvalidAttestation},
		{"report data", 48 + 520, types.ErrInvalidAttestation},
		{"quote signature", 636, types.ErrInvalidAttestation},
		{"attestation key", 700, types.ErrInvalidAttestation},
		{"QE report", 800, types.ErrInvalidAttestation},
		{"QE report signature", 1200, types.ErrInvalidAttestation},
		{"PCK certificate", 1600, types.ErrMalformedAttestation},
		{"last byte", len(quote) - 1, types.ErrMalformedAttestation},
	} {
		c := bytes.Clone(quote)
		c[tc.off] ^= 0x10
		m, _ := f.hwRegisterMsg(t, attest.KindTDX, c)
		_, err := f.msgs.RegisterWorker(f.ctx, m)
		if err == nil {
			t.Fatalf("%s flipped: registered", tc.name)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s flipped: %v, want %v", tc.name, err, tc.want)
		}
	}

	// After the collateral expires, registrations fail until it is renewed.
	_, err = f.msgs.RegisterWorker(f.ctx.WithBlockTime(tdxKATExpiry.Add(time.Minute)), msg)
	requireCode(t, "after expiry", err, types.ErrCollateralExpired)

	// Removal.
	if _, err := f.msgs.RemoveCollateral(f.ctx, &types.MsgRemoveCollateral{Authority: f.authority, TeeKind: attest.KindTDX, PlatformId: tdxKATFMSPC}); err != nil {
		t.Fatal(err)
	}
	_, err = f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "after removal", err, types.ErrNoCollateral)
}

// testOnlyBinding is the one liberty the *BindingForTest wrappers take:
// after the real verifier has accepted a sample quote (and only then), it
// replaces the report data, which a public sample can never have bound to
// a registration of this chain, with the binding of info. These types exist
// in this _test.go file alone, so no production path can reach them.
type testOnlyBinding struct{ info []byte }

func (b testOnlyBinding) bind(r attest.Report, err error) (attest.Report, error) {
	if err != nil {
		return r, err
	}
	r.ReportData = protocol.ReportData(testChainID, b.info)
	return r, nil
}

// tdxBindingForTest runs the production TDX verifier, then testOnlyBinding.
type tdxBindingForTest struct {
	tdx.Verifier // also gives CheckCollateral, for MsgSetCollateral
	testOnlyBinding
}

func (b tdxBindingForTest) Verify(quote []byte, now time.Time, c attest.Collateral) (attest.Report, error) {
	return b.bind(b.Verifier.Verify(quote, now, c))
}

// snpBindingForTest runs an SNP verifier (snptest's: pinned AMD roots for
// the report, a synthetic CRL signer), then testOnlyBinding. When vmpl is
// set it also reports that VMPL in place of the sample's (0): no genuine
// report from VMPL 1-3 is available offline, and the verifier's reading
// of the signed VMPL field is tested in internal/attest/snp.
type snpBindingForTest struct {
	snp.Verifier // also gives CheckCollateral, for MsgSetCollateral
	testOnlyBinding
	vmpl *uint32
}

func (b snpBindingForTest) Verify(quote []byte, now time.Time, c attest.Collateral) (attest.Report, error) {
	r, err := b.bind(b.Verifier.Verify(quote, now, c))
	if err == nil && b.vmpl != nil {
		r.VMPL = *b.vmpl
	}
	return r, err
}

func TestRegisterTDXSampleBound(t *testing.T) {
	t.Parallel()
	probe := hwFixture(t)
	msg, info := probe.hwRegisterMsg(t, attest.KindTDX, tdxKATQuote(t))
	f := hwFixture(t, tdxBindingForTest{Verifier: tdx.Verifier{}, testOnlyBinding: testOnlyBinding{info: msg.Info}})
	f.operator = probe.operator
	if _, err := f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Tdx: tdxKATCollateral(t)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "measurement not yet allowed", err, types.ErrMeasurementNotAllowed)

	m := hex.EncodeToString(tdxKATMeasurement(t))
	if _, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{Authority: f.authority, TeeKind: attest.KindTDX, Measurement: m, Description: "dcap-qvl sample TD"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.msgs.RegisterWorker(f.ctx, msg); err != nil {
		t.Fatalf("register: %v", err)
	}
	w, err := f.query.Worker(f.ctx, &types.QueryWorkerRequest{IdentityKey: hex.EncodeToString(info.IdentityKey)})
	if err != nil {
		t.Fatal(err)
	}
	got := w.Worker
	if got.ConfidenceLevel != 1 || got.TcbStatus != "UpToDate" || got.PlatformId != tdxKATFMSPC || got.TeeKind != attest.KindTDX ||
		hex.EncodeToString(got.Measurement) != m {
		t.Fatalf("worker %+v", got)
	}
	// Level 1 qualifies for gatekeeper (1-3).
	if _, err := f.gkMsgs.AddGatekeeper(f.ctx, &gatekeepertypes.MsgAddGatekeeper{Authority: f.authority, IdentityKey: hex.EncodeToString(info.IdentityKey)}); err != nil {
		t.Fatalf("add gatekeeper: %v", err)
	}

	// A tampered quote still fails in the real verifier under the wrapper.
	bad := tdxKATQuote(t)
	bad[48+200] ^= 1
	msg2 := *msg
	msg2.Attestation.Quote = bad
	_, err = f.msgs.RegisterWorker(f.ctx, &msg2)
	requireCode(t, "tampered", err, types.ErrInvalidAttestation)

	// A registration info naming another chain is refused before any quote check.
	other := info
	other.ChainID = "other-chain"
	enc, _ := other.Encode()
	msg3 := *msg
	msg3.Info = enc
	_, err = f.msgs.RegisterWorker(f.ctx, &msg3)
	requireCode(t, "other chain", err, types.ErrWrongChain)
}

// snpKAT is the SNP sample, registered at its time with snptest's verifier.
type snpKAT struct {
	*fixture
	signer      *snptest.CRLSigner
	msg         *types.MsgRegisterWorker
	info        protocol.RegistrationInfo
	measurement string
	vcekSerial  *big.Int
	askSerial   *big.Int
}

func snpSampleQuote(t testing.TB) []byte {
	t.Helper()
	q, err := snptest.SampleQuote()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// newSNPKAT is a registry whose sev-snp verifier is snptest's, wrapped in
// snpBindingForTest, at the sample's time, with a registration of the
// sample ready. Nothing is allowed or stored yet.
func newSNPKAT(t testing.TB) *snpKAT {
	t.Helper()
	return newSNPKATWithVMPL(t, nil)
}

// newSNPKATWithVMPL is newSNPKAT whose verifier reports vmpl (if not nil)
// for the genuine sample (see snpBindingForTest).
func newSNPKATWithVMPL(t testing.TB, vmpl *uint32) *snpKAT {
	t.Helper()
	signer, err := snptest.NewCRLSigner(snptest.SampleTime.Add(-24*time.Hour), snptest.SampleTime.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	v, err := signer.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	probe := hwFixture(t)
	msg, info := probe.hwRegisterMsg(t, attest.KindSEVSNP, snpSampleQuote(t))
	f := hwFixture(t, tdx.Verifier{}, snpBindingForTest{Verifier: v, testOnlyBinding: testOnlyBinding{info: msg.Info}, vmpl: vmpl})
	f.operator = probe.operator
	f.ctx = f.ctx.WithBlockTime(snptest.SampleTime)
	m, err := snptest.SampleMeasurement()
	if err != nil {
		t.Fatal(err)
	}
	vcek, err := snptest.SampleVCEK()
	if err != nil {
		t.Fatal(err)
	}
	ask, err := snptest.SampleASK()
	if err != nil {
		t.Fatal(err)
	}
	return &snpKAT{fixture: f, signer: signer, msg: msg, info: info, measurement: hex.EncodeToString(m),
		vcekSerial: vcek.SerialNumber, askSerial: ask.SerialNumber}
}

// collateral is a Milan CRL of the synthetic signer, current for an hour
// either side of the sample's time, revoking the given serials.
func (k *snpKAT) collateral(t testing.TB, upToDateTCB uint64, revoked ...*big.Int) *types.SNPCollateral {
	t.Helper()
	crl, err := k.signer.CRL(snptest.SampleTime.Add(-time.Hour), snptest.SampleTime.Add(time.Hour), revoked...)
	if err != nil {
		t.Fatal(err)
	}
	return &types.SNPCollateral{ProductLine: snptest.SampleProductLine, Crl: crl, UptodateTcb: upToDateTCB}
}

func (k *snpKAT) setCollateral(t testing.TB, c *types.SNPCollateral) {
	t.Helper()
	if _, err := k.msgs.SetCollateral(k.ctx, &types.MsgSetCollateral{Authority: k.authority, Snp: c}); err != nil {
		t.Fatalf("set collateral: %v", err)
	}
}

// allow turns allow_debug_tee on (the sample's guest policy allows
// debugging) and allow-lists measurement.
func (k *snpKAT) allow(t testing.TB, measurement string) {
	t.Helper()
	p, err := k.k.Params.Get(k.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.AllowDebugTee = true
	if _, err := k.msgs.UpdateParams(k.ctx, &types.MsgUpdateParams{Authority: k.authority, Params: p}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.msgs.AddMeasurement(k.ctx, &types.MsgAddMeasurement{Authority: k.authority, TeeKind: attest.KindSEVSNP, Measurement: measurement, Description: "go-sev-guest sample"}); err != nil {
		t.Fatal(err)
	}
}

func (k *snpKAT) register(quote []byte) error {
	m := *k.msg
	m.Attestation.Quote = quote
	_, err := k.msgs.RegisterWorker(k.ctx, &m)
	return err
}

// TestRegisterSNPSample runs the genuine SNP sample against the production
// verifier: it verifies up to the collateral step, and collateral that is
// not signed by ARK-Milan, including the synthetic CRL the accepting tests
// below use, is refused.
func TestRegisterSNPSample(t *testing.T) {
	t.Parallel()
	f := hwFixture(t, tdx.Verifier{}, snp.Verifier{})
	f.ctx = f.ctx.WithBlockTime(snptest.SampleTime)
	q := snpSampleQuote(t)
	msg, _ := f.hwRegisterMsg(t, attest.KindSEVSNP, q)
	_, err := f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "no collateral", err, types.ErrNoCollateral)

	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Snp: &types.SNPCollateral{ProductLine: "Milan", Crl: tdxKAT(t, "pck_crl.der")}})
	requireCode(t, "Intel CRL", err, types.ErrInvalidCollateral)
	synthetic := newSNPKAT(t).collateral(t, snptest.SampleTCB)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Snp: synthetic})
	requireCode(t, "synthetic CRL", err, types.ErrInvalidCollateral)
	_, err = f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "still no collateral", err, types.ErrNoCollateral)

	bad := bytes.Clone(q)
	bad[len(bad)-snp.ReportLen+snptest.ReportOffsetReportData] ^= 1
	m2, _ := f.hwRegisterMsg(t, attest.KindSEVSNP, bad)
	_, err = f.msgs.RegisterWorker(f.ctx, m2)
	requireCode(t, "tampered report", err, types.ErrInvalidAttestation)
}

// TestRegisterSNPSampleLevels: the genuine sample registers as a worker
// and is stored with the level its TCB earns against governance's
// up-to-date TCB: 1 at or above it in every component, else 5, which
// workers accept (worker_confidence_limit 5) but gatekeepers do not (1-3).
func TestRegisterSNPSampleLevels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		upToDateTCB uint64
		level       uint32
		status      string
		gatekeeper  error
	}{
		{"up to date: the sample's own TCB", snptest.SampleTCB, 1, "UpToDate", nil},
		{"up to date: an older TCB", 0x0300000000000001, 1, "UpToDate", nil},
		{"out of date: microcode behind", 0x4505000000000002, 5, "OutOfDate", gatekeepertypes.ErrConfidenceTooLow},
		{"out of date: SNP firmware behind", 0x4406000000000002, 5, "OutOfDate", gatekeepertypes.ErrConfidenceTooLow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newSNPKAT(t)
			c := k.collateral(t, tc.upToDateTCB)
			resp, err := k.msgs.SetCollateral(k.ctx, &types.MsgSetCollateral{Authority: k.authority, Snp: c})
			if err != nil {
				t.Fatal(err)
			}
			if resp.PlatformId != snptest.SampleProductLine || resp.NotAfterUnix != snptest.SampleTime.Add(time.Hour).Unix() {
				t.Fatalf("set collateral: %+v", resp)
			}
			k.allow(t, k.measurement)
			if err := k.register(k.msg.Attestation.Quote); err != nil {
				t.Fatalf("register: %v", err)
			}
			w, err := k.query.Worker(k.ctx, &types.QueryWorkerRequest{IdentityKey: hex.EncodeToString(k.info.IdentityKey)})
			if err != nil {
				t.Fatal(err)
			}
			got := w.Worker
			if got.ConfidenceLevel != tc.level || got.TcbStatus != tc.status || got.TeeKind != attest.KindSEVSNP ||
				got.PlatformId != snptest.SampleProductLine || hex.EncodeToString(got.Measurement) != k.measurement {
				t.Fatalf("worker %+v, want level %d %s", got, tc.level, tc.status)
			}
			_, err = k.gkMsgs.AddGatekeeper(k.ctx, &gatekeepertypes.MsgAddGatekeeper{Authority: k.authority, IdentityKey: hex.EncodeToString(k.info.IdentityKey)})
			if !errors.Is(err, tc.gatekeeper) {
				t.Fatalf("add gatekeeper: %v, want %v", err, tc.gatekeeper)
			}
		})
	}
}

// TestRegisterSNPSampleRejected: with everything else in place (collateral,
// debug allowed, measurement allowed), each defect is refused with the
// registry error naming it, and no worker is stored.
func TestRegisterSNPSampleRejected(t *testing.T) {
	t.Parallel()
	q := snpSampleQuote(t)
	rep := len(q) - snp.ReportLen
	flip := func(off int, bit byte) func(*snpKAT) []byte {
		return func(*snpKAT) []byte {
			c := bytes.Clone(q)
			c[off] ^= bit
			return c
		}
	}
	sample := func(*snpKAT) []byte { return q }
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, k *snpKAT) // after the good setup
		quote func(*snpKAT) []byte
		want  *errorsmod.Error
	}{
		{name: "envelope magic", quote: flip(0, 1), want: types.ErrMalformedAttestation},
		{name: "VCEK certificate body", quote: flip(len(snp.QuoteMagic)+2+300, 1), want: types.ErrInvalidAttestation},
		{name: "report version", quote: flip(rep, 1), want: types.ErrInvalidAttestation},
		{name: "guest policy debug bit", quote: flip(rep+snptest.ReportOffsetPolicy+2, 0x08), want: types.ErrInvalidAttestation},
		{name: "report data", quote: flip(rep+snptest.ReportOffsetReportData, 1), want: types.ErrInvalidAttestation},
		{name: "measurement byte", quote: flip(rep+snptest.ReportOffsetMeasurement, 1), want: types.ErrInvalidAttestation},
		{name: "reported TCB", quote: flip(rep+snptest.ReportOffsetReportedTCB, 1), want: types.ErrInvalidAttestation},
		{name: "signature r", quote: flip(rep+snptest.ReportOffsetSignature, 1), want: types.ErrInvalidAttestation},
		{name: "last byte", quote: flip(len(q)-1, 1), want: types.ErrMalformedAttestation},
		{
			name: "wrong measurement allowed",
			setup: func(t *testing.T, k *snpKAT) {
				if _, err := k.msgs.RemoveMeasurement(k.ctx, &types.MsgRemoveMeasurement{Authority: k.authority, TeeKind: attest.KindSEVSNP, Measurement: k.measurement}); err != nil {
					t.Fatal(err)
				}
				other, _ := hex.DecodeString(k.measurement)
				other[0] ^= 1
				if _, err := k.msgs.AddMeasurement(k.ctx, &types.MsgAddMeasurement{Authority: k.authority, TeeKind: attest.KindSEVSNP, Measurement: hex.EncodeToString(other), Description: "another image"}); err != nil {
					t.Fatal(err)
				}
			},
			quote: sample, want: types.ErrMeasurementNotAllowed,
		},
		{
			name: "debug TEE not allowed",
			setup: func(t *testing.T, k *snpKAT) {
				p, _ := k.k.Params.Get(k.ctx)
				p.AllowDebugTee = false
				if _, err := k.msgs.UpdateParams(k.ctx, &types.MsgUpdateParams{Authority: k.authority, Params: p}); err != nil {
					t.Fatal(err)
				}
			},
			quote: sample, want: types.ErrDebugTEENotAllowed,
		},
		{
			name:  "ASK revoked",
			setup: func(t *testing.T, k *snpKAT) { k.setCollateral(t, k.collateral(t, snptest.SampleTCB, k.askSerial)) },
			quote: sample, want: types.ErrCertificateRevoked,
		},
		{
			name: "CRL expired",
			setup: func(_ *testing.T, k *snpKAT) {
				k.ctx = k.ctx.WithBlockTime(snptest.SampleTime.Add(time.Hour + time.Second))
			},
			quote: sample, want: types.ErrCollateralExpired,
		},
		{
			name:  "collateral removed",
			setup: func(t *testing.T, k *snpKAT) { k.removeCollateral(t) },
			quote: sample, want: types.ErrNoCollateral,
		},
		{
			name: "VCEK expired (2029-09-24)",
			setup: func(t *testing.T, k *snpKAT) {
				late := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
				k.ctx = k.ctx.WithBlockTime(late)
				crl, err := k.signer.CRL(late.Add(-time.Hour), late.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				k.setCollateral(t, &types.SNPCollateral{ProductLine: snptest.SampleProductLine, Crl: crl, UptodateTcb: snptest.SampleTCB})
			},
			quote: sample, want: types.ErrInvalidAttestation,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newSNPKAT(t)
			k.setCollateral(t, k.collateral(t, snptest.SampleTCB))
			k.allow(t, k.measurement)
			if tc.setup != nil {
				tc.setup(t, k)
			}
			err := k.register(tc.quote(k))
			if err == nil {
				t.Fatal("registered")
			}
			requireCode(t, tc.name, err, tc.want)
			if _, err := k.query.Worker(k.ctx, &types.QueryWorkerRequest{IdentityKey: hex.EncodeToString(k.info.IdentityKey)}); err == nil {
				t.Fatal("a worker was stored")
			}
		})
	}
}

func (k *snpKAT) removeCollateral(t testing.TB) {
	t.Helper()
	if _, err := k.msgs.RemoveCollateral(k.ctx, &types.MsgRemoveCollateral{Authority: k.authority, TeeKind: attest.KindSEVSNP, PlatformId: snptest.SampleProductLine}); err != nil {
		t.Fatal(err)
	}
}

// TestSetSNPCollateral: governance's collateral is checked at block time
// against the verifier's CRL signer before it is stored.
func TestSetSNPCollateral(t *testing.T) {
	t.Parallel()
	k := newSNPKAT(t)
	set := func(ctx sdk.Context, c *types.SNPCollateral) error {
		_, err := k.msgs.SetCollateral(ctx, &types.MsgSetCollateral{Authority: k.authority, Snp: c})
		return err
	}
	good := k.collateral(t, snptest.SampleTCB)
	requireCode(t, "expired", set(k.ctx.WithBlockTime(snptest.SampleTime.Add(2*time.Hour)), good), types.ErrCollateralExpired)
	requireCode(t, "not yet valid", set(k.ctx.WithBlockTime(snptest.SampleTime.Add(-2*time.Hour)), good), types.ErrInvalidCollateral)
	other, err := snptest.NewCRLSigner(snptest.SampleTime.Add(-time.Hour), snptest.SampleTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.CRL(snptest.SampleTime.Add(-time.Hour), snptest.SampleTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	requireCode(t, "another signer", set(k.ctx, &types.SNPCollateral{ProductLine: "Milan", Crl: foreign}), types.ErrInvalidCollateral)
	tampered := bytes.Clone(good.Crl)
	tampered[len(tampered)-10] ^= 1
	requireCode(t, "tampered CRL", set(k.ctx, &types.SNPCollateral{ProductLine: "Milan", Crl: tampered}), types.ErrInvalidCollateral)
	requireCode(t, "unknown product line", set(k.ctx, &types.SNPCollateral{ProductLine: "Naples", Crl: good.Crl}), types.ErrInvalidCollateral)
	if err := set(k.ctx, good); err != nil {
		t.Fatal(err)
	}
	q, err := k.query.Collateral(k.ctx, &types.QueryCollateralRequest{TeeKind: attest.KindSEVSNP, PlatformId: "Milan"})
	if err != nil || q.Collateral.NotAfterUnix != snptest.SampleTime.Add(time.Hour).Unix() {
		t.Fatalf("query collateral: %+v, %v", q, err)
	}
}

func TestAcceptedAdvisoriesParam(t *testing.T) {
	t.Parallel()
	p := types.DefaultParams()
	p.AcceptedAdvisories = []string{"INTEL-SA-00615", "INTEL-SA-00837"}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"INTEL-SA-00837", "INTEL-SA-00615"}, {"A", "A"}, {""}, {"intel-sa-1"}, {string(make([]byte, 40))}} {
		p.AcceptedAdvisories = bad
		if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestGenesisCollateralRoundTrip(t *testing.T) {
	t.Parallel()
	f := hwFixture(t, tdx.Verifier{}, snp.Verifier{})
	if _, err := f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Tdx: tdxKATCollateral(t)}); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs.Collaterals) != 1 || gs.Collaterals[0].PlatformId != tdxKATFMSPC {
		t.Fatalf("exported %+v", gs.Collaterals)
	}
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	dup := *gs
	dup.Collaterals = append(dup.Collaterals, gs.Collaterals[0])
	if err := dup.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("duplicate collateral: %v", err)
	}
	g := hwFixture(t, tdx.Verifier{}, snp.Verifier{})
	if err := g.k.InitGenesis(g.ctx, gs); err != nil {
		t.Fatal(err)
	}
	if _, err := g.query.Collateral(g.ctx, &types.QueryCollateralRequest{TeeKind: attest.KindTDX, PlatformId: tdxKATFMSPC}); err != nil {
		t.Fatalf("imported collateral: %v", err)
	}
}
