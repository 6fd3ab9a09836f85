package snp_test

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	sevtest "github.com/google/go-sev-guest/testing"
	"github.com/google/go-sev-guest/verify/trust"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/snp/snptest"
)

// VLEK-signed reports. No genuine VLEK-signed report with its VLEK is
// available offline, so these build a synthetic AMD-like hierarchy with
// go-sev-guest's test signer (ARK → ASVK → VLEK, with a VLEK's extensions:
// CSP id, TCB, no HWID), sign a version 3 Milan report with the VLEK, and
// verify with a Verifier that trusts that ARK (NewVerifierWithTestRoots);
// the chain's zero Verifier refuses them (TestVLEKPinnedRootsOnly).

var vlekTCB = kds.TCBParts{BlSpl: 3, TeeSpl: 0, SnpSpl: 8, UcodeSpl: 0x44}

type vlekPlatform struct {
	signer *sevtest.AmdSigner
	tcb    uint64
	now    time.Time
}

func newVLEKPlatform(t *testing.T) *vlekPlatform {
	t.Helper()
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b := &sevtest.AmdSignerBuilder{
		Keys: sevtest.DefaultAmdKeys(), ProductName: "Milan-B0", CSPID: "a-cloud",
		ArkCreationTime: created, AskCreationTime: created, AsvkCreationTime: created,
		VcekCreationTime: created, VlekCreationTime: created,
		VlekCustom: sevtest.CertOverride{Extensions: sevtest.CustomExtensions(vlekTCB, nil, "a-cloud", "Milan-B0")},
	}
	s, err := b.TestOnlyCertChain()
	if err != nil {
		t.Fatal(err)
	}
	tcb, err := kds.ComposeTCBParts(vlekTCB)
	if err != nil {
		t.Fatal(err)
	}
	return &vlekPlatform{signer: s, tcb: uint64(tcb), now: created.Add(30 * 24 * time.Hour)}
}

// report signs the genuine sample's report, made version 3 on Milan with
// the VLEK as signer, a zeroed (masked) chip id and the VLEK's TCB, after
// edit.
func (p *vlekPlatform) report(t *testing.T, key abi.ReportSigner, edit func(r *reportFields)) []byte {
	t.Helper()
	pr, err := abi.ReportToProto(snptest.SampleReport())
	if err != nil {
		t.Fatal(err)
	}
	f := &reportFields{key: key, tcb: p.tcb, chipID: make([]byte, abi.ChipIDSize), mask: true}
	if edit != nil {
		edit(f)
	}
	pr.Version = 3
	pr.Cpuid1EaxFms = 0x00a00f11 // family 19h model 01h stepping 1: Milan B1
	pr.SignerInfo = abi.ComposeSignerInfo(abi.SignerInfo{SigningKey: f.key, MaskChipKey: f.mask})
	pr.ChipId = f.chipID
	pr.ReportedTcb, pr.CurrentTcb, pr.CommittedTcb, pr.LaunchTcb = f.tcb, f.tcb, f.tcb, f.tcb
	pr.Policy &^= 1 << 19 // not debuggable
	raw, err := abi.ReportToAbiBytes(pr)
	if err != nil {
		t.Fatal(err)
	}
	r, s, err := p.signer.Sign(abi.SignedComponent(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := abi.SetSignature(r, s, raw); err != nil {
		t.Fatal(err)
	}
	cert := p.signer.Vlek.Raw
	if f.cert != nil {
		cert = f.cert
	}
	q, err := snp.MarshalQuote(raw, cert)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

type reportFields struct {
	key    abi.ReportSigner
	tcb    uint64
	chipID []byte
	mask   bool
	cert   []byte
}

func (p *vlekPlatform) verifier(t *testing.T) snp.Verifier {
	t.Helper()
	v, err := snp.NewVerifierWithTestRoots("Milan", trust.ProductCerts{Ark: p.signer.Ark, Ask: p.signer.Ask, Asvk: p.signer.Asvk})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (p *vlekPlatform) collateral(t *testing.T, upToDate uint64, revoked ...*big.Int) attest.StaticCollateral {
	t.Helper()
	crl, err := snptest.CRLWithKey(p.signer.Ark, p.signer.Keys.Ark, p.now.Add(-time.Hour), p.now.Add(24*time.Hour), revoked...)
	if err != nil {
		t.Fatal(err)
	}
	return attest.StaticCollateral{SNPByProduct: map[string]attest.SNPCollateral{"Milan": {ProductLine: "Milan", CRL: crl, UpToDateTCB: upToDate}}}
}

func TestVLEKAccepted(t *testing.T) {
	t.Parallel()
	p := newVLEKPlatform(t)
	q := p.report(t, abi.VlekReportSigner, nil)
	r, err := p.verifier(t).Verify(q, p.now, p.collateral(t, p.tcb))
	if err != nil {
		t.Fatalf("VLEK-signed report: %v", err)
	}
	if r.ConfidenceLevel != 1 || r.PlatformID != "Milan" || r.Debug || r.Kind != attest.KindSEVSNP {
		t.Fatalf("report %+v", r)
	}
	// The TCB is the VLEK's: a governance up-to-date TCB above it grades
	// the platform out of date.
	higher, err := kds.ComposeTCBParts(kds.TCBParts{BlSpl: 3, SnpSpl: 9, UcodeSpl: 0x44})
	if err != nil {
		t.Fatal(err)
	}
	r, err = p.verifier(t).Verify(q, p.now, p.collateral(t, uint64(higher)))
	if err != nil || r.ConfidenceLevel != 5 {
		t.Fatalf("below the up-to-date TCB: level %d, %v; want 5", r.ConfidenceLevel, err)
	}
}

// A VLEK is not per chip: its report's chip id, masked to zero or not, is
// bound by nothing and accepted either way.
func TestVLEKChipID(t *testing.T) {
	t.Parallel()
	p := newVLEKPlatform(t)
	chip := make([]byte, abi.ChipIDSize)
	chip[0] = 0x42
	q := p.report(t, abi.VlekReportSigner, func(f *reportFields) { f.chipID, f.mask = chip, false })
	if _, err := p.verifier(t).Verify(q, p.now, p.collateral(t, p.tcb)); err != nil {
		t.Fatalf("VLEK report with an unmasked chip id: %v", err)
	}
}

func TestVLEKRejected(t *testing.T) {
	t.Parallel()
	p := newVLEKPlatform(t)
	v := p.verifier(t)
	otherTCB, err := kds.ComposeTCBParts(kds.TCBParts{BlSpl: 3, SnpSpl: 7, UcodeSpl: 0x44})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    []byte
		coll attest.StaticCollateral
		want error
	}{
		{"ASVK revoked by the ARK's CRL", p.report(t, abi.VlekReportSigner, nil), p.collateral(t, p.tcb, p.signer.Asvk.SerialNumber), attest.ErrCertificateRevoked},
		{"report TCB is not the VLEK's", p.report(t, abi.VlekReportSigner, func(f *reportFields) { f.tcb = uint64(otherTCB) }), p.collateral(t, p.tcb), attest.ErrPlatformMismatch},
		{"VLEK report with the VCEK certificate", p.report(t, abi.VlekReportSigner, func(f *reportFields) { f.cert = p.signer.Vcek.Raw }), p.collateral(t, p.tcb), attest.ErrCertificateChain},
		{"VCEK-signed report with the VLEK certificate", p.report(t, abi.VcekReportSigner, nil), p.collateral(t, p.tcb), attest.ErrCertificateChain},
		{"VCEK-signed report with a zeroed chip id", p.report(t, abi.VcekReportSigner, func(f *reportFields) {
			f.cert = p.signer.Vcek.Raw
			f.tcb = 0 // the test signer's VCEK carries TCB 0
		}), p.collateral(t, 0), attest.ErrPlatformMismatch},
		{"VCEK-signed report whose chip id is not the VCEK's HWID", p.report(t, abi.VcekReportSigner, func(f *reportFields) {
			f.cert, f.tcb, f.mask = p.signer.Vcek.Raw, 0, false
			f.chipID = append([]byte{0x42}, make([]byte, abi.ChipIDSize-1)...) // the test VCEK's HWID is zero
		}), p.collateral(t, 0), attest.ErrPlatformMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := v.Verify(tc.q, p.now, tc.coll)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want %v", r, err, tc.want)
			}
		})
	}
	// A flipped byte of the signed report is refused.
	q := p.report(t, abi.VlekReportSigner, nil)
	sigOff := len(q) - snp.ReportLen + snptest.ReportOffsetSignature
	for _, off := range []int{len(q) - snp.ReportLen + snptest.ReportOffsetReportData, len(q) - snp.ReportLen + snptest.ReportOffsetMeasurement, sigOff} {
		c := append([]byte(nil), q...)
		c[off] ^= 1
		if _, err := v.Verify(c, p.now, p.collateral(t, p.tcb)); err == nil {
			t.Errorf("byte %d flipped: accepted", off)
		}
	}
}

// The chain's verifier trusts only AMD's pinned roots: the synthetic
// hierarchy's VLEK report is refused, and a test root cannot be a pinned ARK.
func TestVLEKPinnedRootsOnly(t *testing.T) {
	t.Parallel()
	p := newVLEKPlatform(t)
	q := p.report(t, abi.VlekReportSigner, nil)
	if _, err := (snp.Verifier{}).Verify(q, p.now, p.collateral(t, p.tcb)); err == nil {
		t.Fatal("the zero Verifier accepted a synthetic VLEK")
	}
	if p.verifier(t).PinnedOnly() {
		t.Fatal("a test-roots Verifier claims to trust only the pinned roots")
	}
	ask, err := snptest.SampleASK()
	if err != nil {
		t.Fatal(err)
	}
	r := trust.AMDRootCertsProduct("Milan")
	if err := r.FromKDSCertBytes(trust.AskArkMilanVcekBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := snp.NewVerifierWithTestRoots("Milan", trust.ProductCerts{Ark: r.ProductCerts.Ark, Ask: ask}); err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("a pinned ARK as test root: %v", err)
	}
	// The pinned VLEK bundles carry the same pinned ARKs.
	for line, b := range map[string][]byte{"Milan": trust.AskArkMilanVlekBytes, "Genoa": trust.AskArkGenoaVlekBytes, "Turin": trust.AskArkTurinVlekBytes} {
		vr := trust.AMDRootCertsProduct(line)
		if err := vr.FromKDSCertBytes(bytes.TrimSpace(b)); err != nil {
			t.Fatalf("%s VLEK bundle: %v", line, err)
		}
		if vr.ProductCerts.Asvk == nil {
			t.Fatalf("%s VLEK bundle has no ASVK", line)
		}
		if _, err := snp.NewVerifierWithTestRoots(line, *vr.ProductCerts); err == nil {
			t.Fatalf("%s VLEK bundle's ARK is not a pinned one", line)
		}
	}
}
