package sgx

import "crypto/x509"

// VerifierWithRoot returns a Verifier that trusts root instead of the pinned
// Intel root. Test-only: the synthetic PKI of the revocation and level tests
// cannot be signed by Intel.
func VerifierWithRoot(root *x509.Certificate) Verifier { return Verifier{root: root} }
