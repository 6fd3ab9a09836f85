package tdx

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/google/go-tdx-guest/pcs"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// gradePlatform finds the TCB level of the quote's platform in the TCB info
// (Intel's algorithm, PCS API v4 "TDX TCB Info" §: SGX components and PCE
// SVN from the PCK certificate, TDX components from the TD report, first
// level that all are at least; for TDX module versions ≥ 1 the module's own
// identity levels), and of the quoting enclave in the QE identity, and
// combines them. Errors wrap attest.ErrPlatformMismatch or
// attest.ErrTCBNotAccepted.
func gradePlatform(q *Quote, cc *intel.Checked) (intel.Grade, error) {
	ti := &cc.TCBInfo
	body := q.Proto.GetTdQuoteBody()
	if err := intel.TDX.CheckPlatformIDs(ti, q.Ext); err != nil {
		return intel.Grade{}, err
	}
	if err := checkModule("TDX module", ti.TdxModule.Mrsigner.Bytes, ti.TdxModule.Attributes.Bytes, ti.TdxModule.AttributesMask.Bytes, body); err != nil {
		return intel.Grade{}, err
	}

	teeSVN := body.GetTeeTcbSvn()
	var platform *pcs.TcbLevel
	for i := range ti.TcbLevels {
		l := &ti.TcbLevels[i]
		if intel.SGXLevelMatches(l, q.Ext) &&
			intel.SVNsAtLeast(teeSVN, l.Tcb.TdxTcbcomponents, moduleSkip(teeSVN)) {
			platform = l
			break
		}
	}
	if platform == nil {
		return intel.Grade{}, fmt.Errorf("%w: tdx: no TCB level of FMSPC %s matches the platform (CPU SVN %x, PCE SVN %d, TEE TCB SVN %x)",
			attest.ErrTCBNotAccepted, ti.Fmspc, q.Ext.TCB.CPUSvnComponents, q.Ext.TCB.PCESvn, teeSVN)
	}
	// Without a module identity (module version 0) the level must be one
	// made for this module major version.
	if moduleSkip(teeSVN) == 0 && len(platform.Tcb.TdxTcbcomponents) > 1 && teeSVN[1] != platform.Tcb.TdxTcbcomponents[1].Svn {
		return intel.Grade{}, fmt.Errorf("%w: tdx: TCB level for TDX module major version %d used with version %d",
			attest.ErrTCBNotAccepted, platform.Tcb.TdxTcbcomponents[1].Svn, teeSVN[1])
	}
	grade := intel.Grade{Status: attest.TCBStatus(platform.TcbStatus), Advisories: platform.AdvisoryIDs}

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
			return intel.Grade{}, fmt.Errorf("%w: tdx: collateral has no TDX module identity %s", attest.ErrTCBNotAccepted, id)
		}
		if err := checkModule(id, mod.Mrsigner.Bytes, mod.Attributes.Bytes, mod.AttributesMask.Bytes, body); err != nil {
			return intel.Grade{}, err
		}
		var ml *pcs.TcbLevel
		for i := range mod.TcbLevels {
			if uint32(teeSVN[0]) >= mod.TcbLevels[i].Tcb.Isvsvn {
				ml = &mod.TcbLevels[i]
				break
			}
		}
		if ml == nil {
			return intel.Grade{}, fmt.Errorf("%w: tdx: no TCB level of %s matches module SVN %d", attest.ErrTCBNotAccepted, id, teeSVN[0])
		}
		grade = intel.Combine(grade, intel.Grade{Status: attest.TCBStatus(ml.TcbStatus), Advisories: ml.AdvisoryIDs})
	}

	// The quoting enclave.
	qe := q.Proto.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetQeReport()
	qeGrade, err := intel.TDX.GradeQE(intel.QEReport{
		MiscSelect: qe.GetMiscSelect(), Attributes: qe.GetAttributes(), MRSigner: qe.GetMrSigner(),
		ISVProdID: uint16(qe.GetIsvProdId()), ISVSVN: uint16(qe.GetIsvSvn()),
	}, &cc.QEIdentity)
	if err != nil {
		return intel.Grade{}, err
	}
	return intel.CombineQE(grade, qeGrade), nil
}

// moduleSkip: for TDX module versions ≥ 1 the first two TEE TCB SVN
// components are graded by the module identity, not the TCB level.
func moduleSkip(teeSVN []byte) int {
	if len(teeSVN) > 1 && teeSVN[1] > 0 {
		return 2
	}
	return 0
}

func checkModule(name string, mrsigner, attrs, mask []byte, body *pb.TDQuoteBody) error {
	if !bytes.Equal(mrsigner, body.GetMrSignerSeam()) {
		return mismatch("%s signer %x, quote MRSIGNERSEAM %x", name, mrsigner, body.GetMrSignerSeam())
	}
	if !intel.MaskedEqual(body.GetSeamAttributes(), mask, attrs) {
		return mismatch("%s attributes do not match quote SEAMATTRIBUTES %x", name, body.GetSeamAttributes())
	}
	return nil
}

func mismatch(format string, args ...any) error { return intel.TDX.Mismatch(format, args...) }
