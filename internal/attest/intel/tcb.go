package intel

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/google/go-tdx-guest/pcs"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// Grade is the outcome of matching a platform against TCB info and QE
// identity.
type Grade struct {
	Status     attest.TCBStatus
	Advisories []string
}

// QEReport is what grading needs of the quoting enclave's report.
type QEReport struct {
	MiscSelect uint32
	Attributes []byte // 16 bytes
	MRSigner   []byte // 32 bytes
	ISVProdID  uint16
	ISVSVN     uint16
}

// CheckPCK checks the quote's PCK certificate and its CA against checked
// collateral: the stored PCK CRL is the CA's, and neither certificate is
// revoked. Errors wrap attest.ErrInvalidCollateral or
// attest.ErrCertificateRevoked.
func (p Profile) CheckPCK(cc *Checked, pck, ca *x509.Certificate) error {
	if cc.PCKCRL.Issuer.String() != pck.Issuer.String() {
		return fmt.Errorf("%w: %s: stored PCK CRL is %q's, the quote's PCK certificate is issued by %q",
			attest.ErrInvalidCollateral, p.Name, cc.PCKCRL.Issuer.CommonName, pck.Issuer.CommonName)
	}
	if Revoked(cc.RootCRL, ca) {
		return fmt.Errorf("%w: %s: PCK CA %q (serial %x)", attest.ErrCertificateRevoked, p.Name, ca.Subject.CommonName, ca.SerialNumber)
	}
	if Revoked(cc.PCKCRL, pck) {
		return fmt.Errorf("%w: %s: PCK certificate serial %x", attest.ErrCertificateRevoked, p.Name, pck.SerialNumber)
	}
	return nil
}

// CheckPlatformIDs requires the TCB info to be the PCK certificate's: same
// FMSPC and PCE id.
func (p Profile) CheckPlatformIDs(ti *pcs.TcbInfo, ext *pcs.PckExtensions) error {
	if NormalizeFMSPC(ti.Fmspc) != NormalizeFMSPC(ext.FMSPC) {
		return p.Mismatch("PCK certificate FMSPC %s, collateral FMSPC %s", ext.FMSPC, ti.Fmspc)
	}
	if !bytes.EqualFold([]byte(ti.PceID), []byte(ext.PCEID)) {
		return p.Mismatch("PCK certificate PCE id %s, collateral PCE id %s", ext.PCEID, ti.PceID)
	}
	return nil
}

// SGXLevelMatches reports whether the PCK certificate's TCB (CPU SVN
// components and PCE SVN) is at least level l's: the SGX half of Intel's
// TCB level matching, the whole of it for SGX.
func SGXLevelMatches(l *pcs.TcbLevel, ext *pcs.PckExtensions) bool {
	return SVNsAtLeast(ext.TCB.CPUSvnComponents, l.Tcb.SgxTcbcomponents, 0) && ext.TCB.PCESvn >= l.Tcb.Pcesvn
}

// GradeQE matches the quoting enclave against the QE identity and returns
// its TCB level's grade. Errors wrap attest.ErrPlatformMismatch or
// attest.ErrTCBNotAccepted.
func (p Profile) GradeQE(qe QEReport, qi *pcs.EnclaveIdentity) (Grade, error) {
	if !bytes.Equal(qe.MRSigner, qi.Mrsigner.Bytes) || uint32(qe.ISVProdID) != uint32(qi.IsvProdID) {
		return Grade{}, p.Mismatch("quoting enclave MRSIGNER %x product %d, QE identity MRSIGNER %x product %d",
			qe.MRSigner, qe.ISVProdID, qi.Mrsigner.Bytes, qi.IsvProdID)
	}
	misc := []byte{byte(qe.MiscSelect), byte(qe.MiscSelect >> 8), byte(qe.MiscSelect >> 16), byte(qe.MiscSelect >> 24)}
	if !MaskedEqual(misc, qi.MiscselectMask.Bytes, qi.Miscselect.Bytes) {
		return Grade{}, p.Mismatch("quoting enclave MISCSELECT %x does not match the QE identity", misc)
	}
	if !MaskedEqual(qe.Attributes, qi.AttributesMask.Bytes, qi.Attributes.Bytes) {
		return Grade{}, p.Mismatch("quoting enclave attributes %x do not match the QE identity", qe.Attributes)
	}
	for i := range qi.TcbLevels {
		if qi.TcbLevels[i].Tcb.Isvsvn <= uint32(qe.ISVSVN) {
			return Grade{Status: attest.TCBStatus(qi.TcbLevels[i].TcbStatus), Advisories: qi.TcbLevels[i].AdvisoryIDs}, nil
		}
	}
	return Grade{}, fmt.Errorf("%w: %s: no QE identity TCB level matches QE SVN %d", attest.ErrTCBNotAccepted, p.Name, qe.ISVSVN)
}

// SVNsAtLeast reports whether have[i] >= want[i] for every i from from on;
// both must be of one length.
func SVNsAtLeast(have []byte, want []pcs.TcbComponent, from int) bool {
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

// MaskedEqual reports whether v & mask == want, all of one length.
func MaskedEqual(v, mask, want []byte) bool {
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

// Combine grades a platform by its weaker component: b's status replaces
// a's when worse; advisories are merged.
func Combine(a, b Grade) Grade {
	if rank(b.Status) > rank(a.Status) {
		a.Status = b.Status
	}
	a.Advisories = attest.MergeAdvisories(a.Advisories, b.Advisories)
	return a
}

// CombineQE folds the quoting enclave's status into the platform's the way
// Intel's quote verification library converges them: a revoked QE revokes
// the platform, an out-of-date QE makes it out of date (keeping a pending
// configuration), an up-to-date QE changes nothing.
func CombineQE(p, qe Grade) Grade {
	p.Advisories = attest.MergeAdvisories(p.Advisories, qe.Advisories)
	switch qe.Status {
	case attest.TCBUpToDate:
	case attest.TCBOutOfDate:
		switch p.Status {
		case attest.TCBUpToDate, attest.TCBSWHardeningNeeded:
			p.Status = attest.TCBOutOfDate
		case attest.TCBConfigurationNeeded, attest.TCBConfigurationAndSWHardeningNeeded:
			p.Status = attest.TCBOutOfDateConfigurationNeeded
		}
	default: // Revoked or anything a QE identity should not say
		p.Status = attest.TCBRevoked
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

// Mismatch returns an error wrapping attest.ErrPlatformMismatch.
func (p Profile) Mismatch(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", attest.ErrPlatformMismatch, p.Name, fmt.Sprintf(format, args...))
}

// CheckPlatform is what every DCAP verifier does with a quote's platform:
// the collateral c for it verifies under p at now (CheckCollateral), and
// the quote's PCK certificate and its CA are not revoked by it (CheckPCK).
// It returns the checked collateral for grading.
func (p Profile) CheckPlatform(c attest.IntelCollateral, root, pck, ca *x509.Certificate, now time.Time) (*Checked, error) {
	cc, err := CheckCollateral(p, c, root, now)
	if err != nil {
		return nil, err
	}
	if err := p.CheckPCK(cc, pck, ca); err != nil {
		return nil, err
	}
	return cc, nil
}
