package crypto

import (
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

const (
	// MasterSecretSize is the size of a master secret: a big-endian scalar.
	MasterSecretSize = 32
	// MasterPublicKeySize is the size of a compressed secp256k1 public key.
	MasterPublicKeySize = 33

	// maxGenerateAttempts bounds GenerateMasterKey's retries. An honest source
	// yields an out-of-range scalar with probability about 2^-128, so a second
	// attempt is already a sign of a broken reader (e.g. one returning zeros).
	maxGenerateAttempts = 8
)

// MasterKey is one version of the gatekeepers' master key: a secp256k1 scalar
// in [1, N-1]. Only gatekeepers hold it, sealed. The public key goes on chain so
// that a gatekeeper receiving the secret can check it (VerifyPublic).
//
// Formatting a MasterKey with any fmt verb prints the version and public key
// only, never the secret.
type MasterKey struct {
	// Version is the master key version; it is bound into cluster keys.
	Version uint32

	priv secp256k1.PrivateKey
	pub  [MasterPublicKeySize]byte
}

// GenerateMasterKey draws a new master secret from rand: it reads 32 bytes and
// retries while they encode 0 or a value ≥ N, giving up with ErrRandom after a
// few attempts or on a read error. rand should be crypto/rand.Reader outside
// tests.
func GenerateMasterKey(rand io.Reader, version uint32) (*MasterKey, error) {
	var b [MasterSecretSize]byte
	defer clear(b[:])
	for range maxGenerateAttempts {
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
		if k, err := MasterKeyFromSecret(version, b[:]); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: %d draws in a row were not a valid scalar", ErrRandom, maxGenerateAttempts)
}

// MasterKeyFromSecret rebuilds a master key from its 32-byte big-endian secret
// (from a sealed store or an HPKE transfer). It rejects any other size, zero,
// and values ≥ N rather than reducing them.
func MasterKeyFromSecret(version uint32, secret []byte) (*MasterKey, error) {
	if len(secret) != MasterSecretSize {
		return nil, fmt.Errorf("%w: secret is %d bytes, want %d", ErrInvalidMasterKey, len(secret), MasterSecretSize)
	}
	var s secp256k1.ModNScalar
	overflow := s.SetByteSlice(secret)
	if overflow || s.IsZero() {
		s.Zero()
		return nil, fmt.Errorf("%w: secret is not in [1, N-1]", ErrInvalidMasterKey)
	}
	k := &MasterKey{Version: version, priv: secp256k1.PrivateKey{Key: s}}
	s.Zero()
	copy(k.pub[:], k.priv.PubKey().SerializeCompressed())
	return k, nil
}

// PublicKey returns the 33-byte compressed public key.
func (k *MasterKey) PublicKey() []byte {
	return append([]byte(nil), k.pub[:]...)
}

// Secret returns a fresh copy of the 32-byte secret, for sealing or for an
// HPKE transfer to another gatekeeper. The caller should clear it after use.
func (k *MasterKey) Secret() []byte {
	s := k.secretBytes()
	return s[:]
}

func (k *MasterKey) secretBytes() [MasterSecretSize]byte {
	return k.priv.Key.Bytes()
}

// Beacon returns the gatekeepers' randomness for a block height:
//
//	HKDF-SHA256(master secret, salt = protocol.ContextBeacon,
//	            info = u16 len || chainID || u16 len || u64be(height))
//
// It is deterministic: every gatekeeper holding this master key version
// computes byte-identical output for the same chain and height, so values
// built from it can go into quorum messages, which must be identical across
// gatekeepers. Without the master secret it is indistinguishable from random
// (HKDF is a PRF keyed by the secret); with it, every value for every height
// is known in advance. chainID must be 1..protocol.MaxChainIDLen bytes.
func (k *MasterKey) Beacon(chainID string, height uint64) ([KeySize]byte, error) {
	if chainID == "" || len(chainID) > protocol.MaxChainIDLen {
		return [KeySize]byte{}, fmt.Errorf("%w: chain id is %d bytes, want 1..%d", ErrInvalidPath, len(chainID), protocol.MaxChainIDLen)
	}
	secret := k.secretBytes()
	defer clear(secret[:])
	return derive(beaconSalt, secret[:], [][]byte{[]byte(chainID), binary.BigEndian.AppendUint64(nil, height)})
}

// VerifyPublic reports whether secret is a valid master secret whose compressed
// public key is pub. The comparison is constant-time. A gatekeeper runs it on
// every master key version it receives, against the pubkey on chain.
func VerifyPublic(secret, pub []byte) bool {
	k, err := MasterKeyFromSecret(0, secret)
	if err != nil {
		return false
	}
	defer k.priv.Zero()
	return subtle.ConstantTimeCompare(k.pub[:], pub) == 1
}

// ValidateMasterPublicKey checks that pub is a 33-byte compressed secp256k1
// point on the curve, the only form the chain stores.
func ValidateMasterPublicKey(pub []byte) error {
	if len(pub) != MasterPublicKeySize {
		return fmt.Errorf("%w: public key is %d bytes, want %d", ErrInvalidMasterKey, len(pub), MasterPublicKeySize)
	}
	if pub[0] != secp256k1.PubKeyFormatCompressedEven && pub[0] != secp256k1.PubKeyFormatCompressedOdd {
		return fmt.Errorf("%w: public key is not in compressed form", ErrInvalidMasterKey)
	}
	if _, err := secp256k1.ParsePubKey(pub); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMasterKey, err)
	}
	return nil
}

// String describes the key by version and public key.
func (k MasterKey) String() string {
	return fmt.Sprintf("crypto.MasterKey{Version: %d, PublicKey: %s}", k.Version, hex.EncodeToString(k.pub[:]))
}

// GoString is String, so that %#v does not print the scalar.
func (k MasterKey) GoString() string { return k.String() }

// Format prints String for every verb, so that no verb (%d, %x, %+v…) falls
// back to printing the struct fields and with them the secret scalar.
func (k MasterKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }
