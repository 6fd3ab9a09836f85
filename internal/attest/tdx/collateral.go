package tdx

import (
	"crypto/x509"

	"github.com/gatekeeper-net/gatekeeper/internal/attest/intel"
)

// IntelRootSHA256 is the SHA-256 of the pinned Intel SGX Root CA's DER
// encoding (intel.RootSHA256).
const IntelRootSHA256 = intel.RootSHA256

// PinnedRoot returns the pinned Intel SGX Root CA (intel.PinnedRoot).
func PinnedRoot() (*x509.Certificate, error) { return intel.PinnedRoot() }

// DecodeIssuerChainHeader returns the PEM of a PCS issuer chain header value
// as an operator saved it (intel.DecodeIssuerChainHeader).
func DecodeIssuerChainHeader(b []byte) ([]byte, error) { return intel.DecodeIssuerChainHeader(b) }
