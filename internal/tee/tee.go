package tee

import "errors"

// TEE is a trusted-execution backend. Implementations are safe for concurrent use.
type TEE interface {
	// Kind names the backend and the attest.Verifier kind that checks its
	// quotes: "sim", "tdx", "sev-snp", "sgx".
	Kind() string
	// Measurement returns the identity of the running code. It never changes
	// for the life of the process; the caller may modify the returned slice.
	Measurement() []byte
	// Quote returns an attestation over reportData by the platform.
	Quote(reportData [64]byte) ([]byte, error)
	// Seal encrypts and authenticates plaintext under this platform's and
	// measurement's sealing key, binding label as additional data. label
	// names the kind of object sealed and must not be empty.
	Seal(label string, plaintext []byte) ([]byte, error)
	// Unseal reverses Seal. It fails with an error wrapping ErrUnseal if
	// sealed was not produced by Seal with the same label on the same
	// platform and measurement, or was modified.
	Unseal(label string, sealed []byte) ([]byte, error)
}

// ErrUnseal reports that sealed data does not open: wrong key, label or
// measurement, or tampered data. It deliberately does not say which.
var ErrUnseal = errors.New("tee: sealed data does not open")
