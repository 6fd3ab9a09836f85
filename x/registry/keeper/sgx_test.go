package keeper_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/sgx"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/tdx"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Registration with the genuine SGX sample (internal/attest/sgx/testdata/
// dcap-qvl: a version 3 quote, FMSPC 00a067110000, and the Intel SGX
// collateral fetched for it), treated as the TDX sample is: the production
// verifier runs it to the report-data binding; sgxBindingForTest then
// substitutes the binding a public sample cannot have.

var (
	sgxKATTime   = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	sgxKATExpiry = time.Date(2025, 7, 19, 10, 1, 18, 0, time.UTC)
	sgxKATFMSPC  = "00a067110000"
)

func sgxKAT(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "attest", "sgx", "testdata", "dcap-qvl", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sgxKATQuote(t testing.TB) []byte { return sgx.TrimQuote(sgxKAT(t, "quote.bin")) }

func sgxKATCollateral(t testing.TB) *types.TDXCollateral {
	return &types.TDXCollateral{
		TcbInfo: sgxKAT(t, "tcb_info.json"), TcbInfoIssuerChain: sgxKAT(t, "tcb_info_issuer_chain.pem"),
		QeIdentity: sgxKAT(t, "qe_identity.json"), QeIdentityIssuerChain: sgxKAT(t, "qe_identity_issuer_chain.pem"),
		PckCrl: sgxKAT(t, "pck_crl.der"), PckCrlIssuerChain: sgxKAT(t, "pck_crl_issuer_chain.pem"),
		RootCaCrl: sgxKAT(t, "root_ca_crl.der"),
	}
}

func sgxKATQuoteParsed(t testing.TB) *sgx.Quote {
	q, err := sgx.ParseQuote(sgxKATQuote(t))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// sgxBindingForTest runs the production SGX verifier, then testOnlyBinding.
type sgxBindingForTest struct {
	sgx.Verifier // also gives CheckCollateral, for MsgSetCollateral
	testOnlyBinding
}

func (b sgxBindingForTest) Verify(quote []byte, now time.Time, c attest.Collateral) (attest.Report, error) {
	return b.bind(b.Verifier.Verify(quote, now, c))
}

func TestRegisterSGXSample(t *testing.T) {
	t.Parallel()
	f := hwFixture(t, tdx.Verifier{}, sgx.Verifier{})
	f.ctx = f.ctx.WithBlockTime(sgxKATTime)
	msg, _ := f.hwRegisterMsg(t, attest.KindSGX, sgxKATQuote(t))

	_, err := f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "before collateral", err, types.ErrNoCollateral)

	// TDX collateral is not SGX collateral, in either direction.
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Sgx: tdxKATCollateral(t)})
	requireCode(t, "TDX collateral as SGX", err, types.ErrInvalidCollateral)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Tdx: sgxKATCollateral(t)})
	requireCode(t, "SGX collateral as TDX", err, types.ErrInvalidCollateral)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Sgx: sgxKATCollateral(t), Tdx: tdxKATCollateral(t)})
	requireCode(t, "two payloads", err, types.ErrInvalidCollateral)
	bad := sgxKATCollateral(t)
	bad.TcbInfo = bytes.Replace(bad.TcbInfo, []byte(`"SWHardeningNeeded"`), []byte(`"UpToDate"`), 1)
	_, err = f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Sgx: bad})
	requireCode(t, "tampered TCB info", err, types.ErrInvalidCollateral)
	_, err = f.msgs.SetCollateral(f.ctx.WithBlockTime(sgxKATExpiry.Add(time.Second)), &types.MsgSetCollateral{Authority: f.authority, Sgx: sgxKATCollateral(t)})
	requireCode(t, "expired collateral", err, types.ErrCollateralExpired)

	resp, err := f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Sgx: sgxKATCollateral(t)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PlatformId != sgxKATFMSPC || resp.NotAfterUnix != sgxKATExpiry.Unix() {
		t.Fatalf("set collateral: %+v", resp)
	}
	q, err := f.query.Collateral(f.ctx, &types.QueryCollateralRequest{TeeKind: attest.KindSGX, PlatformId: sgxKATFMSPC})
	if err != nil || q.Collateral.Sgx == nil || q.Collateral.Tdx != nil {
		t.Fatalf("query collateral: %+v, %v", q, err)
	}

	// The sample verifies and fails only on the binding.
	_, err = f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "sample quote", err, types.ErrReportDataMismatch)

	quote := sgxKATQuote(t)
	for _, tc := range []struct {
		name string
		off  int
		want *errorsmod.Error
	}{
		{"header version", 0, types.ErrMalformedAttestation},
		{"QE vendor id", 12, types.ErrMalformedAttestation},
		{"MRENCLAVE", 48 + 64, types.ErrInvalidAttestation},
		{"report data", 48 + 320, types.ErrInvalidAttestation},
		{"attributes", 48 + 48, types.ErrInvalidAttestation},
		{"PCK certificate", 1600, types.ErrMalformedAttestation},
		{"last byte", len(quote) - 1, types.ErrMalformedAttestation},
	} {
		c := bytes.Clone(quote)
		c[tc.off] ^= 0x10
		m, _ := f.hwRegisterMsg(t, attest.KindSGX, c)
		if _, err := f.msgs.RegisterWorker(f.ctx, m); !errors.Is(err, tc.want) {
			t.Errorf("%s flipped: %v, want %v", tc.name, err, tc.want)
		}
	}

	_, err = f.msgs.RegisterWorker(f.ctx.WithBlockTime(sgxKATExpiry.Add(time.Minute)), msg)
	requireCode(t, "after expiry", err, types.ErrCollateralExpired)
	if _, err := f.msgs.RemoveCollateral(f.ctx, &types.MsgRemoveCollateral{Authority: f.authority, TeeKind: attest.KindSGX, PlatformId: sgxKATFMSPC}); err != nil {
		t.Fatal(err)
	}
	_, err = f.msgs.RegisterWorker(f.ctx, msg)
	requireCode(t, "after removal", err, types.ErrNoCollateral)
}

// TestRegisterSGXSampleBound registers the sample under each measurement
// policy kind, and shows the level the reference gives it: its platform is
// ConfigurationAndSWHardeningNeeded with INTEL-SA-00289 and -00615, not in
// the default accepted list, so level 4: a worker, not a gatekeeper —
// until governance accepts both advisories (level 3).
func TestRegisterSGXSampleBound(t *testing.T) {
	t.Parallel()
	q := sgxKATQuoteParsed(t)
	mrenclave := hex.EncodeToString(q.Enclave.MRENCLAVE[:])
	signer := hex.EncodeToString(sgx.SignerMeasurement(q.Enclave.MRSIGNER, q.Enclave.ISVProdID, q.Enclave.ISVSVN))
	otherSVN := hex.EncodeToString(sgx.SignerMeasurement(q.Enclave.MRSIGNER, q.Enclave.ISVProdID, q.Enclave.ISVSVN+1))
	for _, tc := range []struct {
		name     string
		allow    []string
		accepted []string
		want     uint32
		err      *errorsmod.Error
	}{
		{"nothing allowed", nil, nil, 0, types.ErrMeasurementNotAllowed},
		{"another SVN of the signer", []string{otherSVN}, nil, 0, types.ErrMeasurementNotAllowed},
		{"MRENCLAVE", []string{mrenclave}, nil, 4, nil},
		{"MRSIGNER, ISVPRODID, ISVSVN", []string{signer}, nil, 4, nil},
		{"advisories accepted", []string{mrenclave}, []string{"INTEL-SA-00289", "INTEL-SA-00615"}, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			probe := hwFixture(t)
			msg, info := probe.hwRegisterMsg(t, attest.KindSGX, sgxKATQuote(t))
			f := hwFixture(t, sgxBindingForTest{Verifier: sgx.Verifier{}, testOnlyBinding: testOnlyBinding{info: msg.Info}})
			f.ctx = f.ctx.WithBlockTime(sgxKATTime)
			f.operator = probe.operator
			if tc.accepted != nil {
				p := types.DefaultParams()
				p.AcceptedAdvisories = append(append([]string(nil), tc.accepted...), p.AcceptedAdvisories...)
				slices.Sort(p.AcceptedAdvisories)
				if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.msgs.SetCollateral(f.ctx, &types.MsgSetCollateral{Authority: f.authority, Sgx: sgxKATCollateral(t)}); err != nil {
				t.Fatal(err)
			}
			for _, m := range tc.allow {
				if _, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{Authority: f.authority, TeeKind: attest.KindSGX, Measurement: m}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := f.msgs.RegisterWorker(f.ctx, msg)
			if tc.err != nil {
				requireCode(t, "register", err, tc.err)
				return
			}
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			w, err := f.query.Worker(f.ctx, &types.QueryWorkerRequest{IdentityKey: hex.EncodeToString(info.IdentityKey)})
			if err != nil {
				t.Fatal(err)
			}
			got := w.Worker
			if got.TeeKind != attest.KindSGX || got.ConfidenceLevel != tc.want || got.TcbStatus != string(attest.TCBConfigurationAndSWHardeningNeeded) ||
				got.PlatformId != sgxKATFMSPC || !slices.Equal(got.Advisories, []string{"INTEL-SA-00289", "INTEL-SA-00615"}) ||
				hex.EncodeToString(got.Measurement) != mrenclave {
				t.Fatalf("worker %+v", got)
			}
		})
	}
}

func TestSGXMeasurementShape(t *testing.T) {
	t.Parallel()
	f := hwFixture(t, sgx.Verifier{})
	for _, tc := range []struct {
		m    string
		want *errorsmod.Error
	}{
		{hex.EncodeToString(make([]byte, 32)), nil},
		{hex.EncodeToString(make([]byte, 36)), nil},
		{hex.EncodeToString(make([]byte, 48)), types.ErrInvalidMeasurement},
		{hex.EncodeToString(make([]byte, 33)), types.ErrInvalidMeasurement},
	} {
		_, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{Authority: f.authority, TeeKind: attest.KindSGX, Measurement: tc.m})
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%d bytes: %v, want %v", len(tc.m)/2, err, tc.want)
		}
	}
}
