package tee

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrNoSealingKey reports a backend that has no sealing key: Seal and
// Unseal refuse rather than fall back to a key the host could know.
var ErrNoSealingKey = errors.New("tee: no sealing key on this platform")

// Sealer is the sealing format hardware backends share, AES-256-GCM under
// a key derived from a platform secret:
//
//	version (1) || nonce (12) || ciphertext || tag (16)
//
// with the label as additional data. It is the sim backend's format with
// the sealing root replaced by a key only the TEE can obtain.
type Sealer struct {
	aead cipher.AEAD
	name string
}

const (
	sealVersion  = 1
	sealNonceLen = 12
	sealOverhead = 1 + sealNonceLen + 16
)

// NewSealer derives the sealing key as HKDF-SHA256(secret, salt context,
// info measurement). name prefixes errors ("tee/snp").
func NewSealer(name, context string, secret, measurement []byte) (*Sealer, error) {
	return newSealer(name, context, secret, measurement, 32)
}

// NewSealer128 is NewSealer for a platform whose sealing secret is a
// 128-bit key, SGX's (EGETKEY returns 16 bytes, which Gramine exposes as
// /dev/attestation/keys/_sgx_mrenclave). The derived AES-256 key then has
// the 128 bits of strength of its secret, as every SGX sealing scheme does.
func NewSealer128(name, context string, secret, measurement []byte) (*Sealer, error) {
	return newSealer(name, context, secret, measurement, 16)
}

func newSealer(name, context string, secret, measurement []byte, minLen int) (*Sealer, error) {
	if len(secret) < minLen {
		return nil, fmt.Errorf("%s: sealing secret is %d bytes, want at least %d", name, len(secret), minLen)
	}
	key, err := hkdf.Key(sha256.New, secret, []byte(context), string(measurement), 32)
	if err != nil {
		return nil, fmt.Errorf("%s: derive sealing key: %w", name, err)
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%s: sealing cipher: %w", name, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s: sealing cipher: %w", name, err)
	}
	return &Sealer{aead: aead, name: name}, nil
}

// Seal encrypts plaintext binding label.
func (s *Sealer) Seal(label string, plaintext []byte) ([]byte, error) {
	if label == "" {
		return nil, fmt.Errorf("%s: seal: empty label", s.name)
	}
	if uint64(len(plaintext)) > (1<<32-2)*16 {
		return nil, fmt.Errorf("%s: seal: %d bytes exceeds the AES-GCM limit", s.name, len(plaintext))
	}
	var nonce [sealNonceLen]byte
	rand.Read(nonce[:])
	out := make([]byte, 0, sealOverhead+len(plaintext))
	out = append(out, sealVersion)
	out = append(out, nonce[:]...)
	return s.aead.Seal(out, nonce[:], plaintext, []byte(label)), nil
}

// Unseal opens what Seal produced with the same label and key; every
// failure wraps ErrUnseal.
func (s *Sealer) Unseal(label string, sealed []byte) ([]byte, error) {
	if label == "" {
		return nil, fmt.Errorf("%s: unseal: empty label", s.name)
	}
	if len(sealed) < sealOverhead || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: %s: not a sealed blob", ErrUnseal, s.name)
	}
	nonce, ct := sealed[1:1+sealNonceLen], sealed[1+sealNonceLen:]
	pt, err := s.aead.Open(make([]byte, 0, len(ct)), nonce, ct, []byte(label))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: label %q: authentication failed", ErrUnseal, s.name, label)
	}
	return pt, nil
}
