package intel

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
)

// SignedQuote is what the signature chain of an ECDSA DCAP quote (SGX v3/v4,
// TDX v5) consists of, as raw bytes taken from the quote.
type SignedQuote struct {
	// PCK, CA and Root are the quote's PCK certificate chain.
	PCK, CA, Root *x509.Certificate
	// QEReport is the quoting enclave's 384-byte report; QESignature the
	// PCK key's r || s over it.
	QEReport, QESignature []byte
	// AttestationKey is x || y (P-256); QEAuthData the QE authentication data.
	AttestationKey, QEAuthData []byte
	// Signed are the bytes the attestation key signs (header and body);
	// Signature its r || s over them.
	Signed, Signature []byte
}

// CheckSignatures verifies the quote's chain of signatures: the PCK chain
// leads to root and is valid at now (attest.ErrCertificateChain); the PCK
// key signs the QE report; the QE report's data is SHA-256(attestation key
// || QE authentication data) followed by 32 zero bytes; the attestation key
// signs the header and body (attest.ErrQuoteSignature).
func (p Profile) CheckSignatures(s SignedQuote, root *x509.Certificate, now time.Time) error {
	if !s.Root.Equal(root) {
		return fmt.Errorf("%w: %s: PCK chain root %q is not the pinned Intel SGX Root CA", attest.ErrCertificateChain, p.Name, s.Root.Subject.CommonName)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inter.AddCert(s.CA)
	if _, err := s.PCK.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("%w: %s: PCK certificate: %v", attest.ErrCertificateChain, p.Name, err)
	}
	pck, ok := s.PCK.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: %s: PCK key is %T, want ECDSA", attest.ErrCertificateChain, p.Name, s.PCK.PublicKey)
	}
	if len(s.QEReport) != 384 || !verifyRaw(pck, s.QEReport, s.QESignature) {
		return fmt.Errorf("%w: %s: QE report signature does not verify under the PCK key", attest.ErrQuoteSignature, p.Name)
	}
	h := sha256.New()
	h.Write(s.AttestationKey)
	h.Write(s.QEAuthData)
	want := make([]byte, 64)
	h.Sum(want[:0])
	if subtle.ConstantTimeCompare(want, s.QEReport[320:384]) != 1 {
		return fmt.Errorf("%w: %s: QE report does not bind the attestation key and authentication data", attest.ErrQuoteSignature, p.Name)
	}
	ak, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, s.AttestationKey...))
	if err != nil {
		return fmt.Errorf("%w: %s: attestation key: %v", attest.ErrQuoteSignature, p.Name, err)
	}
	if !verifyRaw(ak, s.Signed, s.Signature) {
		return fmt.Errorf("%w: %s: quote signature does not verify under the attestation key", attest.ErrQuoteSignature, p.Name)
	}
	return nil
}

// verifyRaw checks Intel's raw r || s ECDSA-SHA256 signature.
func verifyRaw(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	d := sha256.Sum256(msg)
	return ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}
