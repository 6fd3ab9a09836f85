package sgx

import (
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// Measurement policy kinds. A governance allow-list entry for KindSGX is
// one of these byte strings; its length tells which.
const (
	// EnclaveMeasurementLen: MRENCLAVE, the hash of the enclave's initial
	// pages — one exact build.
	EnclaveMeasurementLen = 32
	// SignerMeasurementLen: MRSIGNER || ISVPRODID (u16 LE) || ISVSVN (u16
	// LE) — whatever the holder of the signing key released as this
	// product at this security version. The SVN matches exactly: allowing
	// a newer release is governance's act, as for a new MRENCLAVE.
	SignerMeasurementLen = 32 + 2 + 2
)

// SignerMeasurement returns the signer policy entry for mrsigner, product
// and SVN.
func SignerMeasurement(mrsigner [32]byte, isvProdID, isvSVN uint16) []byte {
	m := make([]byte, 0, SignerMeasurementLen)
	m = append(m, mrsigner[:]...)
	m = binary.LittleEndian.AppendUint16(m, isvProdID)
	return binary.LittleEndian.AppendUint16(m, isvSVN)
}

// Verifier verifies SGX quotes. The zero value trusts only the pinned
// Intel SGX Root CA, which is what the chain uses.
type Verifier struct {
	// root overrides the pinned root; set only by tests of this package
	// (export_test.go), never reachable from another package.
	root *x509.Certificate
}

var _ attest.Verifier = Verifier{}

// Kind returns attest.KindSGX.
func (Verifier) Kind() string { return attest.KindSGX }

func (v Verifier) trustRoot() (*x509.Certificate, error) {
	if v.root != nil {
		return v.root, nil
	}
	return intel.PinnedRoot()
}

// Verify checks an SGX quote at now:
//
//  1. it parses strictly (ParseQuote);
//  2. its PCK certificate chain leads to the pinned Intel SGX Root CA and
//     is valid at now;
//  3. the PCK key signs the QE report; the QE report's data is
//     SHA-256(attestation key || QE authentication data) followed by 32
//     zero bytes; the attestation key signs the header and enclave report;
//  4. SGX collateral for the PCK certificate's FMSPC is stored, verifies
//     and has not expired at now (intel.CheckCollateral with intel.SGX);
//  5. neither the PCK certificate nor its CA is on a CRL;
//  6. the platform's TCB level (SGX components and PCE SVN of the PCK
//     certificate) and the quoting enclave's are found in the collateral
//     and graded to a confidence level.
//
// The report's Measurement is MRENCLAVE and its SignerMeasurement the
// signer policy entry. Errors wrap the attest sentinel naming the cause.
func (v Verifier) Verify(quote []byte, now time.Time, coll attest.Collateral) (attest.Report, error) {
	root, err := v.trustRoot()
	if err != nil {
		return attest.Report{}, err
	}
	q, err := ParseQuote(quote)
	if err != nil {
		return attest.Report{}, err
	}
	if err := intel.SGX.CheckSignatures(intel.SignedQuote{
		PCK: q.PCK, CA: q.Intermediate, Root: q.Root, QEReport: q.QE.Raw, QESignature: q.QESignature,
		AttestationKey: q.AttestationKey, QEAuthData: q.QEAuthData, Signed: q.Signed, Signature: q.Signature,
	}, root, now); err != nil {
		return attest.Report{}, err
	}
	if coll == nil {
		return attest.Report{}, fmt.Errorf("%w: sgx: no collateral source", attest.ErrNoCollateral)
	}
	c, err := coll.SGX(q.FMSPC())
	if err != nil {
		return attest.Report{}, err
	}
	cc, err := intel.SGX.CheckPlatform(c, root, q.PCK, q.Intermediate, now)
	if err != nil {
		return attest.Report{}, err
	}
	grade, err := gradePlatform(q, cc)
	if err != nil {
		return attest.Report{}, err
	}
	level, err := attest.ConfidenceLevel(grade.Status, grade.Advisories, coll.AcceptedAdvisories())
	if err != nil {
		return attest.Report{}, fmt.Errorf("sgx: FMSPC %s: %w", q.FMSPC(), err)
	}
	e := &q.Enclave
	return attest.Report{
		Kind:              attest.KindSGX,
		Measurement:       append([]byte(nil), e.MRENCLAVE[:]...),
		SignerMeasurement: SignerMeasurement(e.MRSIGNER, e.ISVProdID, e.ISVSVN),
		ReportData:        e.ReportData,
		ConfidenceLevel:   level,
		TCBStatus:         grade.Status,
		Advisories:        attest.MergeAdvisories(grade.Advisories),
		Debug:             e.Debug(),
		PlatformID:        q.FMSPC(),
	}, nil
}

// CheckCollateral verifies SGX collateral at now as Verify would use it,
// and returns the FMSPC it is for and when it expires. The chain runs it
// when governance sets collateral.
func (v Verifier) CheckCollateral(c attest.SGXCollateral, now time.Time) (attest.CollateralInfo, error) {
	root, err := v.trustRoot()
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	cc, err := intel.CheckCollateral(intel.SGX, c, root, now)
	if err != nil {
		return attest.CollateralInfo{}, err
	}
	return attest.CollateralInfo{PlatformID: intel.NormalizeFMSPC(cc.TCBInfo.Fmspc), NotAfter: cc.NotAfter}, nil
}

// gradePlatform runs Intel's TCB level matching for SGX: the first level of
// the TCB info whose SGX components and PCE SVN the PCK certificate's are
// all at least, then the quoting enclave's level, folded in.
func gradePlatform(q *Quote, cc *intel.Checked) (intel.Grade, error) {
	ti := &cc.TCBInfo
	if err := intel.SGX.CheckPlatformIDs(ti, q.Ext); err != nil {
		return intel.Grade{}, err
	}
	var g *intel.Grade
	for i := range ti.TcbLevels {
		if l := &ti.TcbLevels[i]; intel.SGXLevelMatches(l, q.Ext) {
			g = &intel.Grade{Status: attest.TCBStatus(l.TcbStatus), Advisories: l.AdvisoryIDs}
			break
		}
	}
	if g == nil {
		return intel.Grade{}, fmt.Errorf("%w: sgx: no TCB level of FMSPC %s matches the platform (CPU SVN %x, PCE SVN %d)",
			attest.ErrTCBNotAccepted, ti.Fmspc, q.Ext.TCB.CPUSvnComponents, q.Ext.TCB.PCESvn)
	}
	qe, err := intel.SGX.GradeQE(intel.QEReport{
		MiscSelect: q.QE.MiscSelect, Attributes: q.QE.Attributes[:], MRSigner: q.QE.MRSIGNER[:],
		ISVProdID: q.QE.ISVProdID, ISVSVN: q.QE.ISVSVN,
	}, &cc.QEIdentity)
	if err != nil {
		return intel.Grade{}, err
	}
	return intel.CombineQE(*g, qe), nil
}
