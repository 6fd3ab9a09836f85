package intel

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-tdx-guest/abi"
	"github.com/google/go-tdx-guest/pcs"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// Profile names what collateral a quote kind needs: the TCB info and QE
// identity that Intel serves for it. Name prefixes error messages.
type Profile struct {
	Name              string
	TCBInfoID         string
	TCBInfoVersion    byte
	QEIdentityID      string
	QEIdentityVersion byte
}

// Profiles of the quote kinds verified here.
var (
	// TDX: /tdx/certification/v4/tcb and /tdx/certification/v4/qe/identity.
	TDX = Profile{Name: "tdx", TCBInfoID: "TDX", TCBInfoVersion: 3, QEIdentityID: "TD_QE", QEIdentityVersion: 2}
	// SGX: /sgx/certification/v4/tcb and /sgx/certification/v4/qe/identity.
	SGX = Profile{Name: "sgx", TCBInfoID: "SGX", TCBInfoVersion: 3, QEIdentityID: "QE", QEIdentityVersion: 2}
)

// Common names of Intel's DCAP certificates.
const (
	tcbSigningCN  = "Intel SGX TCB Signing"
	platformCACN  = "Intel SGX PCK Platform CA"
	processorCACN = "Intel SGX PCK Processor CA"
)

// Checked is collateral whose every signature verified at a given time.
type Checked struct {
	TCBInfo    pcs.TcbInfo
	QEIdentity pcs.EnclaveIdentity
	PCKCRL     *x509.RevocationList
	RootCRL    *x509.RevocationList
	// NotAfter is the earliest expiry among the collateral's parts.
	NotAfter time.Time
}

// CheckCollateral verifies c for the quote kind p at now against root: both signed bodies by an
// "Intel SGX TCB Signing" certificate issued by root, both CRLs by their CA,
// the TCB signing certificate and the PCK CA not revoked, every part inside
// its validity window. Errors wrap attest.ErrInvalidCollateral or
// attest.ErrCollateralExpired.
func CheckCollateral(p Profile, c attest.IntelCollateral, root *x509.Certificate, now time.Time) (*Checked, error) {
	if err := c.CheckBounds(); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	out := &Checked{NotAfter: root.NotAfter}
	invalid := p.invalid
	expire := func(what string, t time.Time) error {
		if t.Before(out.NotAfter) {
			out.NotAfter = t
		}
		if now.After(t) {
			return fmt.Errorf("%w: %s: %s expired at %s, verification time %s", attest.ErrCollateralExpired,
				p.Name, what, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		return nil
	}
	notYet := func(what string, t time.Time) error {
		if now.Before(t) {
			return fmt.Errorf("%w: %s: %s is valid only from %s, verification time %s", attest.ErrInvalidCollateral,
				p.Name, what, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		return nil
	}

	// Root CA CRL, signed by the pinned root.
	rootCRL, err := x509.ParseRevocationList(c.RootCACRL)
	if err != nil {
		return nil, invalid("root_ca_crl: %v", err)
	}
	if err := rootCRL.CheckSignatureFrom(root); err != nil {
		return nil, invalid("root_ca_crl is not signed by the Intel SGX Root CA: %v", err)
	}
	if err := notYet("root_ca_crl", rootCRL.ThisUpdate); err != nil {
		return nil, err
	}
	if err := expire("root_ca_crl", rootCRL.NextUpdate); err != nil {
		return nil, err
	}
	out.RootCRL = rootCRL

	// PCK CRL, signed by a PCK CA that the root issued and has not revoked.
	pckCA, err := p.issuerChain("pck_crl_issuer_chain", c.PCKCRLIssuerChain, root, rootCRL, now, expire)
	if err != nil {
		return nil, err
	}
	if cn := pckCA.Subject.CommonName; cn != platformCACN && cn != processorCACN {
		return nil, invalid("pck_crl_issuer_chain: signer %q is not a PCK CA", cn)
	}
	pckCRL, err := x509.ParseRevocationList(c.PCKCRL)
	if err != nil {
		return nil, invalid("pck_crl: %v", err)
	}
	if err := pckCRL.CheckSignatureFrom(pckCA); err != nil {
		return nil, invalid("pck_crl is not signed by %q: %v", pckCA.Subject.CommonName, err)
	}
	if err := notYet("pck_crl", pckCRL.ThisUpdate); err != nil {
		return nil, err
	}
	if err := expire("pck_crl", pckCRL.NextUpdate); err != nil {
		return nil, err
	}
	out.PCKCRL = pckCRL

	// TCB info.
	tcbRaw, tcbSig, err := p.splitSignedBody("tcb_info", c.TCBInfo, "tcbInfo")
	if err != nil {
		return nil, err
	}
	tcbSigner, err := p.issuerChain("tcb_info_issuer_chain", c.TCBInfoIssuerChain, root, rootCRL, now, expire)
	if err != nil {
		return nil, err
	}
	if err := p.checkBodySignature("tcb_info", tcbSigner, tcbRaw, tcbSig); err != nil {
		return nil, err
	}
	if err := strictUnmarshal(tcbRaw, &out.TCBInfo); err != nil {
		return nil, invalid("tcb_info: %v", err)
	}
	ti := &out.TCBInfo
	if ti.ID != p.TCBInfoID || ti.Version != p.TCBInfoVersion {
		return nil, invalid("tcb_info is %q version %d, want %q version %d", ti.ID, ti.Version, p.TCBInfoID, p.TCBInfoVersion)
	}
	if len(ti.TcbLevels) == 0 {
		return nil, invalid("tcb_info has no TCB levels")
	}
	if _, err := hex.DecodeString(ti.Fmspc); err != nil || len(ti.Fmspc) != 12 {
		return nil, invalid("tcb_info fmspc %q is not 6 bytes of hex", ti.Fmspc)
	}
	if err := notYet("tcb_info", ti.IssueDate); err != nil {
		return nil, err
	}
	if err := expire("tcb_info", ti.NextUpdate); err != nil {
		return nil, err
	}

	// QE identity.
	qeRaw, qeSig, err := p.splitSignedBody("qe_identity", c.QEIdentity, "enclaveIdentity")
	if err != nil {
		return nil, err
	}
	qeSigner, err := p.issuerChain("qe_identity_issuer_chain", c.QEIdentityIssuerChain, root, rootCRL, now, expire)
	if err != nil {
		return nil, err
	}
	if err := p.checkBodySignature("qe_identity", qeSigner, qeRaw, qeSig); err != nil {
		return nil, err
	}
	if err := strictUnmarshal(qeRaw, &out.QEIdentity); err != nil {
		return nil, invalid("qe_identity: %v", err)
	}
	qi := &out.QEIdentity
	if qi.ID != p.QEIdentityID || qi.Version != p.QEIdentityVersion {
		return nil, invalid("qe_identity is %q version %d, want %q version %d", qi.ID, qi.Version, p.QEIdentityID, p.QEIdentityVersion)
	}
	if len(qi.TcbLevels) == 0 {
		return nil, invalid("qe_identity has no TCB levels")
	}
	if err := notYet("qe_identity", qi.IssueDate); err != nil {
		return nil, err
	}
	if err := expire("qe_identity", qi.NextUpdate); err != nil {
		return nil, err
	}
	return out, nil
}

// issuerChain parses a PCS issuer chain header (signing certificate, then
// root; PEM, optionally URL-encoded as the header carries it), requires the
// root to be the pinned one and the signer to be issued by it, unrevoked and
// valid at now. It returns the signer.
func (p Profile) issuerChain(field string, raw []byte, root *x509.Certificate, rootCRL *x509.RevocationList, now time.Time,
	expire func(string, time.Time) error,
) (*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(raw)
	for len(rest) > 0 {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, p.invalid("%s: not a PEM certificate chain", field)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, p.invalid("%s: %v", field, err)
		}
		certs = append(certs, c)
		rest = bytes.TrimSpace(rest)
	}
	if len(certs) != 2 {
		return nil, p.invalid("%s has %d certificates, want 2 (signer, root)", field, len(certs))
	}
	signer, chainRoot := certs[0], certs[1]
	if !chainRoot.Equal(root) {
		return nil, p.invalid("%s: root %q is not the pinned Intel SGX Root CA", field, chainRoot.Subject.CommonName)
	}
	if err := signer.CheckSignatureFrom(root); err != nil {
		return nil, p.invalid("%s: %q is not issued by the Intel SGX Root CA: %v", field, signer.Subject.CommonName, err)
	}
	if now.Before(signer.NotBefore) {
		return nil, p.invalid("%s: %q is valid only from %s", field, signer.Subject.CommonName, signer.NotBefore.UTC().Format(time.RFC3339))
	}
	if err := expire(field+" "+signer.Subject.CommonName+" certificate", signer.NotAfter); err != nil {
		return nil, err
	}
	if Revoked(rootCRL, signer) {
		return nil, fmt.Errorf("%w: %s: %s: %q (serial %x) is on the root CA CRL", attest.ErrCertificateRevoked,
			p.Name, field, signer.Subject.CommonName, signer.SerialNumber)
	}
	return signer, nil
}

// splitSignedBody extracts the exact bytes of the signed member name and the
// signature from a PCS response body {"<name>":{…},"signature":"<hex>"}.
// The signature covers the member's bytes as served, so they are kept raw.
func (p Profile) splitSignedBody(field string, body []byte, name string) (json.RawMessage, []byte, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return nil, nil, p.invalid("%s: %v", field, err)
	}
	if len(outer) != 2 {
		return nil, nil, p.invalid("%s: want exactly the members %q and \"signature\"", field, name)
	}
	raw, ok := outer[name]
	if !ok {
		return nil, nil, p.invalid("%s: no %q member", field, name)
	}
	var sigHex string
	if err := json.Unmarshal(outer["signature"], &sigHex); err != nil {
		return nil, nil, p.invalid("%s: signature: %v", field, err)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != 64 {
		return nil, nil, p.invalid("%s: signature is not 64 bytes of hex", field)
	}
	return raw, sig, nil
}

func (p Profile) checkBodySignature(field string, signer *x509.Certificate, body, sig []byte) error {
	if signer.Subject.CommonName != tcbSigningCN {
		return p.invalid("%s: signed by %q, want %q", field, signer.Subject.CommonName, tcbSigningCN)
	}
	der, err := abi.SignatureToDER(sig)
	if err != nil {
		return p.invalid("%s: signature: %v", field, err)
	}
	if err := signer.CheckSignature(x509.ECDSAWithSHA256, body, der); err != nil {
		return p.invalid("%s: signature does not verify: %v", field, err)
	}
	return nil
}

// strictUnmarshal decodes JSON rejecting unknown fields and trailing data.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func Revoked(crl *x509.RevocationList, c *x509.Certificate) bool {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return true
		}
	}
	return false
}

func (p Profile) invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", attest.ErrInvalidCollateral, p.Name, fmt.Sprintf(format, args...))
}

// normalizeFMSPC lowercases an FMSPC so that "B0C06F000000" and
// "b0c06f000000" name the same platform.
func NormalizeFMSPC(s string) string { return strings.ToLower(s) }

// DecodeIssuerChainHeader returns the PEM of a PCS issuer chain header value
// as an operator saved it: Intel sends it URL-encoded ("-----BEGIN%20…");
// already decoded PEM is returned unchanged.
func DecodeIssuerChainHeader(b []byte) ([]byte, error) {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "-----BEGIN CERTIFICATE-----") {
		return b, nil
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("intel: issuer chain: %w", err)
	}
	return []byte(d), nil
}
