package crypto

import (
	"bytes"
	"crypto/hpke"
	"crypto/subtle"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Sealed message format, version 1:
//
//	u8 version (1) || enc (1120 bytes) || AES-256-GCM ciphertext || tag (16 bytes)
//
// with HPKE base mode, suite MLKEM768X25519 / HKDF-SHA256 / AES-256-GCM, and
// HPKE info = Info.Encode(), which itself starts with the version byte.
const (
	sealVersion = 1
	encLen      = 1120 // MLKEM768X25519 encapsulated key: ML-KEM-768 ct (1088) || X25519 (32)
	tagLen      = 16

	// MaxPlaintextLen bounds what SealTo encrypts; secrets sent this way are
	// keys and key histories, far below it.
	MaxPlaintextLen = 1 << 20
	// SealOverhead is the size of a sealed message minus its plaintext.
	SealOverhead = 1 + encLen + tagLen
	// MaxSealedLen bounds what Open accepts, before any work is done.
	MaxSealedLen = MaxPlaintextLen + SealOverhead
)

// The one suite of all secret transfer (DESIGN §4). Post-quantum hybrid because
// these ciphertexts sit on a public chain forever.
var (
	suiteKEM  = hpke.MLKEM768X25519()
	suiteKDF  = hpke.HKDFSHA256()
	suiteAEAD = hpke.AES256GCM()
)

// Info is what a sealed message is bound to. Open with a different Info
// fails, so a ciphertext made for one purpose, chain, recipient or object can
// never be accepted as another.
type Info struct {
	// Context names the kind of transfer, a protocol context constant such as
	// protocol.ContextMasterKeyTransfer. Not empty.
	Context string
	// ChainID is the chain the transfer belongs to, 1..protocol.MaxChainIDLen bytes.
	ChainID string
	// Recipient is the receive public key sealed to (protocol.ReceiveKeyLen bytes).
	Recipient []byte
	// What names the object sent, e.g. "master/v3". Not empty.
	What []byte
}

// Encode returns the HPKE info of i:
//
//	u8 version || u16 len || Context || u16 len || ChainID ||
//	u16 len || Recipient || u16 len || What
//
// The version byte binds the sealed format version into the key schedule too.
func (i Info) Encode() ([]byte, error) {
	switch {
	case i.Context == "":
		return nil, fmt.Errorf("%w: empty context", ErrInvalidInfo)
	case i.ChainID == "" || len(i.ChainID) > protocol.MaxChainIDLen:
		return nil, fmt.Errorf("%w: chain id is %d bytes, want 1..%d", ErrInvalidInfo, len(i.ChainID), protocol.MaxChainIDLen)
	case len(i.Recipient) != protocol.ReceiveKeyLen:
		return nil, fmt.Errorf("%w: recipient is %d bytes, want %d", ErrInvalidInfo, len(i.Recipient), protocol.ReceiveKeyLen)
	case len(i.What) == 0:
		return nil, fmt.Errorf("%w: empty what", ErrInvalidInfo)
	case len(i.Context) > protocol.MaxLengthPrefixedPart || len(i.What) > protocol.MaxLengthPrefixedPart:
		return nil, fmt.Errorf("%w: field exceeds %d bytes", ErrInvalidInfo, protocol.MaxLengthPrefixedPart)
	}
	b, err := protocol.AppendLengthPrefixed([]byte{sealVersion}, []byte(i.Context), []byte(i.ChainID), i.Recipient, i.What)
	if err != nil { // unreachable: lengths were checked above
		return nil, fmt.Errorf("%w: %w", ErrInvalidInfo, err)
	}
	return b, nil
}

// ParseReceiveKey checks that b is an HPKE MLKEM768X25519 public key (the
// receive key a pRuntime attests to) and returns it.
func ParseReceiveKey(b []byte) (hpke.PublicKey, error) {
	if len(b) != protocol.ReceiveKeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidKey, len(b), protocol.ReceiveKeyLen)
	}
	pk, err := suiteKEM.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return pk, nil
}

// SealTo encrypts plaintext to the receive key recipient, bound to info, whose
// Recipient must equal recipient. The caller must have verified recipient's
// attestation: SealTo only checks the key's form.
//
// Sealing is randomized (a fresh encapsulation each call), so the same inputs
// give different outputs. The randomness comes from crypto/rand inside
// crypto/hpke, which takes no io.Reader.
func SealTo(recipient []byte, info Info, plaintext []byte) ([]byte, error) {
	pk, err := ParseReceiveKey(recipient)
	if err != nil {
		return nil, err
	}
	infoBytes, err := info.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(recipient, info.Recipient) {
		return nil, fmt.Errorf("%w: sealing to a key other than info.Recipient", ErrWrongRecipient)
	}
	if len(plaintext) > MaxPlaintextLen {
		return nil, fmt.Errorf("%w: plaintext is %d bytes, limit %d", ErrTooLarge, len(plaintext), MaxPlaintextLen)
	}
	ct, err := hpke.Seal(pk, suiteKDF, suiteAEAD, infoBytes, plaintext)
	if err != nil {
		return nil, fmt.Errorf("crypto: hpke seal: %w", err)
	}
	out := make([]byte, 0, 1+len(ct))
	out = append(out, sealVersion)
	return append(out, ct...), nil
}

// Open decrypts a message sealed by SealTo to priv's public key under info.
// info.Recipient must be priv's public key (compared in constant time).
// Errors match ErrInvalidKey, ErrInvalidInfo, ErrWrongRecipient, ErrMalformed
// (ErrTooLarge, ErrUnsupportedVersion) or ErrDecrypt; the last covers every
// cryptographic failure alike and carries no detail.
func Open(priv hpke.PrivateKey, info Info, sealed []byte) ([]byte, error) {
	if priv == nil || priv.KEM().ID() != suiteKEM.ID() {
		return nil, fmt.Errorf("%w: private key is not an MLKEM768X25519 key", ErrInvalidKey)
	}
	infoBytes, err := info.Encode()
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(info.Recipient, priv.PublicKey().Bytes()) != 1 {
		return nil, fmt.Errorf("%w: info.Recipient is not this key", ErrWrongRecipient)
	}
	switch {
	case len(sealed) > MaxSealedLen:
		return nil, fmt.Errorf("%w: %w: %d bytes, limit %d", ErrMalformed, ErrTooLarge, len(sealed), MaxSealedLen)
	case len(sealed) < SealOverhead:
		return nil, fmt.Errorf("%w: truncated: %d bytes, need at least %d", ErrMalformed, len(sealed), SealOverhead)
	case sealed[0] != sealVersion:
		return nil, fmt.Errorf("%w: %w: %d", ErrMalformed, ErrUnsupportedVersion, sealed[0])
	}
	pt, err := hpke.Open(priv, suiteKDF, suiteAEAD, infoBytes, sealed[1:])
	if err != nil {
		// The cause (KEM or AEAD) is not reported: it would only help an
		// attacker probing which part of a forgery failed.
		return nil, ErrDecrypt
	}
	if pt == nil {
		pt = []byte{} // an empty secret opened fine; say so without nil, nil
	}
	return pt, nil
}
