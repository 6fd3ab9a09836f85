package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha512"
	"fmt"
)

const (
	// ReceiveKeyLen is the size of an HPKE MLKEM768X25519 public key.
	ReceiveKeyLen = 1216
	// MaxChainIDLen bounds a chain id (CometBFT allows 50).
	MaxChainIDLen = 50
	// MaxOperatorLen bounds an operator account's bech32 address.
	MaxOperatorLen = 128
	// AccountAddressPrefix is the chain's bech32 account prefix (gk1...):
	// app/params sets the SDK's from it, and the pRuntime checks an operator
	// against it before sealing the operator into its identity.
	AccountAddressPrefix = "gk"
	// MaxVersionLen bounds a pRuntime version string.
	MaxVersionLen = 64
	// MaxRegistrationInfoLen bounds an encoded RegistrationInfo.
	MaxRegistrationInfoLen = 2048
	// ReportDataLen is the size of an attestation's report data.
	ReportDataLen = 64

	// registrationVersion is the encoding of a registration without a
	// predecessor; registrationVersionSuccessor (2) appends the
	// predecessor's identity key. A registration is encoded as version 1
	// whenever it has no predecessor, so every version-1 encoding (and the
	// attestation over it) stays what it was.
	registrationVersion          = 1
	registrationVersionSuccessor = 2
)

// TrustRoot is what a pRuntime trusts the chain from: either the genesis
// validator set (Height 0, Hash = validators hash of genesis) or a trusted
// header (Height > 0, Hash = that header's hash). It is bound into the
// attestation so that the chain can see which chain the enclave follows.
type TrustRoot struct {
	Height uint64
	Hash   []byte // 32 bytes
}

// RegistrationInfo is what a pRuntime attests to when it registers.
type RegistrationInfo struct {
	ChainID     string
	IdentityKey ed25519.PublicKey // signs egress
	ReceiveKey  []byte            // HPKE MLKEM768X25519 public key; secrets are sent to it
	Operator    string            // bech32 account that registers and pays fees
	Version     string            // pRuntime version
	TrustRoot   TrustRoot
	// Predecessor is empty, or the identity key (32 bytes) of the registered
	// worker this pRuntime succeeds in a scheduled pRuntime migration
	// (migration.go): the chain pairs them, and the predecessor hands its
	// keys and sealed state over to this pRuntime's receive key. It is part
	// of the attested encoding, so no relayer can add or change it.
	Predecessor []byte
}

// Validate checks every field's form and bound, including that the receive
// key parses as an MLKEM768X25519 public key.
func (ri *RegistrationInfo) Validate() error {
	switch {
	case len(ri.ChainID) == 0 || len(ri.ChainID) > MaxChainIDLen:
		return fmt.Errorf("%w: registration: chain id length %d, want 1-%d", ErrMalformed, len(ri.ChainID), MaxChainIDLen)
	case len(ri.IdentityKey) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: registration: identity key is %d bytes, want %d", ErrMalformed, len(ri.IdentityKey), ed25519.PublicKeySize)
	case len(ri.ReceiveKey) != ReceiveKeyLen:
		return fmt.Errorf("%w: registration: receive key is %d bytes, want %d", ErrMalformed, len(ri.ReceiveKey), ReceiveKeyLen)
	case len(ri.Operator) == 0 || len(ri.Operator) > MaxOperatorLen:
		return fmt.Errorf("%w: registration: operator length %d, want 1-%d", ErrMalformed, len(ri.Operator), MaxOperatorLen)
	case len(ri.Version) == 0 || len(ri.Version) > MaxVersionLen:
		return fmt.Errorf("%w: registration: version length %d, want 1-%d", ErrMalformed, len(ri.Version), MaxVersionLen)
	case len(ri.TrustRoot.Hash) != 32:
		return fmt.Errorf("%w: registration: trust root hash is %d bytes, want 32", ErrMalformed, len(ri.TrustRoot.Hash))
	case len(ri.Predecessor) != 0 && len(ri.Predecessor) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: registration: predecessor is %d bytes, want none or %d", ErrMalformed, len(ri.Predecessor), ed25519.PublicKeySize)
	case len(ri.Predecessor) != 0 && bytes.Equal(ri.Predecessor, ri.IdentityKey):
		return fmt.Errorf("%w: registration: a pRuntime cannot be its own predecessor", ErrMalformed)
	}
	if _, err := hpke.MLKEM768X25519().NewPublicKey(ri.ReceiveKey); err != nil {
		return fmt.Errorf("%w: registration: receive key: %v", ErrMalformed, err)
	}
	return nil
}

// Encode returns the canonical encoding:
//
//	u8 version(1) || u8 len || chain id || identity key(32) ||
//	u16 len || receive key || u8 len || operator || u8 len || version ||
//	u64 trust height || trust hash(32)
//
// and, with a predecessor, version byte 2 and the predecessor's identity key
// (32) appended.
func (ri *RegistrationInfo) Encode() ([]byte, error) {
	if err := ri.Validate(); err != nil {
		return nil, err
	}
	w := writer{buf: make([]byte, 0, 64+len(ri.ChainID)+len(ri.ReceiveKey)+len(ri.Operator)+len(ri.Version)+32)}
	if len(ri.Predecessor) == 0 {
		w.u8(registrationVersion)
	} else {
		w.u8(registrationVersionSuccessor)
	}
	w.bytes8([]byte(ri.ChainID))
	w.raw(ri.IdentityKey)
	w.bytes16(ri.ReceiveKey)
	w.bytes8([]byte(ri.Operator))
	w.bytes8([]byte(ri.Version))
	w.u64(ri.TrustRoot.Height)
	w.raw(ri.TrustRoot.Hash)
	w.raw(ri.Predecessor)
	return w.buf, nil
}

// DecodeRegistrationInfo parses a canonical encoding strictly.
func DecodeRegistrationInfo(b []byte) (RegistrationInfo, error) {
	if len(b) > MaxRegistrationInfoLen {
		return RegistrationInfo{}, fmt.Errorf("%w: %w: registration: %d bytes exceeds limit %d", ErrMalformed, ErrTooLarge, len(b), MaxRegistrationInfoLen)
	}
	r := reader{buf: b}
	v := r.u8("version")
	if r.err == nil && v != registrationVersion && v != registrationVersionSuccessor {
		r.fail("version", "unknown version %d", v)
	}
	var ri RegistrationInfo
	ri.ChainID = string(r.bytes8("chain id", MaxChainIDLen))
	ri.IdentityKey = ed25519.PublicKey(r.take("identity key", ed25519.PublicKeySize))
	ri.ReceiveKey = r.bytes16("receive key", ReceiveKeyLen)
	ri.Operator = string(r.bytes8("operator", MaxOperatorLen))
	ri.Version = string(r.bytes8("version string", MaxVersionLen))
	ri.TrustRoot.Height = r.u64("trust height")
	ri.TrustRoot.Hash = r.take("trust hash", 32)
	if v == registrationVersionSuccessor {
		ri.Predecessor = r.take("predecessor", ed25519.PublicKeySize)
	}
	if err := r.done(); err != nil {
		return RegistrationInfo{}, err
	}
	if err := ri.Validate(); err != nil {
		return RegistrationInfo{}, err
	}
	return ri, nil
}

// ReportData returns the 64 bytes a pRuntime puts in its attestation's report
// data: SHA-512(SigningBytes(ContextReportData, chainID, encodedInfo)). The chain
// recomputes it from the encoded info it was given.
func ReportData(chainID string, encodedInfo []byte) [ReportDataLen]byte {
	return sha512.Sum512(SigningBytes(ContextReportData, chainID, encodedInfo))
}
