package tdx

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/google/go-tdx-guest/pcs"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// tcbGrade is the outcome of matching a quote against TCB info and QE identity.
type tcbGrade struct {
	status     attest.TCBStatus
	advisories []string
}

// gradePlatform finds the TCB level of the quote's platform in the TCB info
// (Intel's algorithm, PCS API v4 "TDX TCB Info" §: SGX components and PCE
// SVN from the PCK certificate, TDX components from the TD report, first
// level that all are at least; for TDX module versions ≥ 1 the module's own
// identity levels), and of the quoting enclave in the QE identity, and
// combines them. Errors wrap attest.ErrPlatformMismatch or
// attest.ErrTCBNotAccepted.
func gradePlatform(q *Quote, cc *checkedCollateral) (tcbGrade, error) {
	ti := &cc.tcbInfo
	body := q.Proto.GetTdQuoteBody()
	if normalizeFMSPC(ti.Fmspc) != normalizeFMSPC(q.Ext.FMSPC) {
		return tcbGrade{}, mismatch("PCK certificate FMSPC %s, collateral FMSPC %s", q.Ext.FMSPC, ti.Fmspc)
	}
	if !bytes.EqualFold([]byte(ti.PceID), []byte(q.Ext.PCEID)) {
		return tcbGrade{}, mismatch("PCK certificate PCE id %s, collateral PCE id %s", q.Ext.PCEID, ti.PceID)
	}
	if err := checkModule("TDX module", ti.TdxModule.Mrsigner.Bytes, ti.TdxModule.Attributes.Bytes, ti.TdxModule.AttributesMask.Bytes, body); err != nil {
		return tcbGrade{}, err
	}

	teeSVN := body.GetTeeTcbSvn()
	var platform *pcs.TcbLevel
	for i := range ti.TcbLevels {
		l := &ti.TcbLevels[i]
		if svnsAtLeast(q.Ext.TCB.CPUSvnComponents, l.Tcb.SgxTcbcomponents, 0) &&
			q.Ext.TCB.PCESvn >= l.Tcb.Pcesvn &&
			svnsAtLeast(teeSVN, l.Tcb.TdxTcbcomponents, moduleSkip(teeSVN)) {
			platform = l
			break
		}
	}
	if platform == nil {
		return tcbGrade{}, fmt.Errorf("%w: tdx: no TCB level of FMSPC %s matches the platform (CPU SVN %x, PCE SVN %d, TEE TCB SVN %x)",
			attest.ErrTCBNotAccepted, ti.Fmspc, q.Ext.TCB.CPUSvnComponents, q.Ext.TCB.PCESvn, teeSVN)
	}
	// Without a module identity (module version 0) the level must be one
	// made for this module major version.
	if moduleSkip(teeSVN) == 0 && len(platform.Tcb.TdxTcbcomponents) > 1 && teeSVN[1] != platform.Tcb.TdxTcbcomponents[1].Svn {
		return tcbGrade{}, fmt.Errorf("%w: tdx: TCB level for TDX module major version %d used with version %d",
			attest.ErrTCBNotAccepted, platform.Tcb.TdxTcbcomponents[1].Svn, teeSVN[1])
	}
	grade := tcbGrade{status: attest.TCBStatus(platform.TcbStatus), advisories: platform.AdvisoryIDs}

	// TDX module version ≥ 1 (TEE TCB SVN[1]): its own identity and levels decide.
	if len(teeSVN) > 1 && teeSVN[1] > 0 {
		id := "TDX_" + hex.EncodeToString(teeSVN[1:2])
		var mod *pcs.TdxModuleIdentity
		for i := range ti.TdxModuleIdentities {
			if ti.TdxModuleIdentities[i].ID == id {
				mod = &ti.TdxModuleIdentities[i]
				break
			}
		}
		if mod == nil {
			return tcbGrade{}, fmt.Errorf("%w: tdx: collateral has no TDX module identity %s", attest.ErrTCBNotAccepted, id)
		}
		if err := checkModule(id, mod.Mrsigner.Bytes, mod.Attributes.Bytes, mod.AttributesMask.Bytes, body); err != nil {
			return tcbGrade{}, err
		}
		var ml *pcs.TcbLevel
		for i := range mod.TcbLevels {
			if uint32(teeSVN[0]) >= mod.TcbLevels[i].Tcb.Isvsvn {
				ml = &mod.TcbLevels[i]
				break
			}
		}
		if ml == nil {
			return tcbGrade{}, fmt.Errorf("%w: tdx: no TCB level of %s matches module SVN %d", attest.ErrTCBNotAccepted, id, teeSVN[0])
		}
		grade = combine(grade, tcbGrade{status: attest.TCBStatus(ml.TcbStatus), advisories: ml.AdvisoryIDs})
	}

	// The quoting enclave.
	qe := q.Proto.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetQeReport()
	qi := &cc.qeIdentity
	if !bytes.Equal(qe.GetMrSigner(), qi.Mrsigner.Bytes) || qe.GetIsvProdId() != uint32(qi.IsvProdID) {
		return tcbGrade{}, mismatch("quoting enclave MRSIGNER %x product %d, QE identity MRSIGNER %x product %d",
			qe.GetMrSigner(), qe.GetIsvProdId(), qi.Mrsigner.Bytes, qi.IsvProdID)
	}
	var misc [4]byte
	misc[0], misc[1], misc[2], misc[3] = byte(qe.GetMiscSelect()), byte(qe.GetMiscSelect()>>8), byte(qe.GetMiscSelect()>>16), byte(qe.GetMiscSelect()>>24)
	if !maskedEqual(misc[:], qi.MiscselectMask.Bytes, qi.Miscselect.Bytes) {
		return tcbGrade{}, mismatch("quoting enclave MISCSELECT %x does not match the QE identity", misc)
	}
	if !maskedEqual(qe.GetAttributes(), qi.AttributesMask.Bytes, qi.Attributes.Bytes) {
		return tcbGrade{}, mismatch("quoting enclave attributes %x do not match the QE identity", qe.GetAttributes())
	}
	var qel *pcs.TcbLevel
	for i := range qi.TcbLevels {
		if qi.TcbLevels[i].Tcb.Isvsvn <= qe.GetIsvSvn() {
			qel = &qi.TcbLevels[i]
			break
		}
	}
	if qel == nil {
		return tcbGrade{}, fmt.Errorf("%w: tdx: no QE identity TCB level matches QE SVN %d", attest.ErrTCBNotAccepted, qe.GetIsvSvn())
	}
	return combineQE(grade, tcbGrade{status: attest.TCBStatus(qel.TcbStatus), advisories: qel.AdvisoryIDs}), nil
}

// moduleSkip: for TDX module versions ≥ 1 the first two TEE TCB SVN
// components are graded by the module identity, not the TCB level.
func moduleSkip(teeSVN []byte) int {
	if len(teeSVN) > 1 && teeSVN[1] > 0 {
		return 2
	}
	return 0
}

func svnsAtLeast(have []byte, want []pcs.TcbComponent, from int) bool {
	if len(have) != len(want) {
		return false
	}
	for i := from; i < len(have); i++ {
		if have[i] < want[i].Svn {
			return false
		}
	}
	return true
}

func checkModule(name string, mrsigner, attrs, mask []byte, body *pb.TDQuoteBody) error {
	if !bytes.Equal(mrsigner, body.GetMrSignerSeam()) {
		return mismatch("%s signer %x, quote MRSIGNERSEAM %x", name, mrsigner, body.GetMrSignerSeam())
	}
	if !maskedEqual(body.GetSeamAttributes(), mask, attrs) {
		return mismatch("%s attributes do not match quote SEAMATTRIBUTES %x", name, body.GetSeamAttributes())
	}
	return nil
}

// maskedEqual reports whether v & mask == want, all of one length.
func maskedEqual(v, mask, want []byte) bool {
	if len(v) != len(mask) || len(v) != len(want) {
		return false
	}
	for i := range v {
		if v[i]&mask[i] != want[i] {
			return false
		}
	}
	return true
}

// combine grades a platform by its weaker component: the TDX module's
// level replaces the platform's when worse.
func combine(a, b tcbGrade) tcbGrade {
	if rank(b.status) > rank(a.status) {
		a.status = b.status
	}
	a.advisories = attest.MergeAdvisories(a.advisories, b.advisories)
	return a
}

// combineQE folds the quoting enclave's status into the platform's the way
// Intel's quote verification library converges them: a revoked QE revokes
// the platform, an out-of-date QE makes it out of date (keeping a pending
// configuration), an up-to-date QE changes nothing.
func combineQE(p, qe tcbGrade) tcbGrade {
	p.advisories = attest.MergeAdvisories(p.advisories, qe.advisories)
	switch qe.status {
	case attest.TCBUpToDate:
	case attest.TCBOutOfDate:
		switch p.status {
		case attest.TCBUpToDate, attest.TCBSWHardeningNeeded:
			p.status = attest.TCBOutOfDate
		case attest.TCBConfigurationNeeded, attest.TCBConfigurationAndSWHardeningNeeded:
			p.status = attest.TCBOutOfDateConfigurationNeeded
		}
	default: // Revoked or anything a QE identity should not say
		p.status = attest.TCBRevoked
	}
	return p
}

func rank(s attest.TCBStatus) int {
	switch s {
	case attest.TCBUpToDate:
		return 0
	case attest.TCBSWHardeningNeeded:
		return 1
	case attest.TCBConfigurationNeeded:
		return 2
	case attest.TCBConfigurationAndSWHardeningNeeded:
		return 3
	case attest.TCBOutOfDate:
		return 4
	case attest.TCBOutOfDateConfigurationNeeded:
		return 5
	}
	return 6
}

func mismatch(format string, args ...any) error {
	return fmt.Errorf("%w: tdx: %s", attest.ErrPlatformMismatch, fmt.Sprintf(format, args...))
}
