package crypto

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

const (
	// KeySize is the size of every derived key and of a beacon value.
	KeySize = 32
	// MinSecretLen is the shortest secret Derive accepts. Every secret in the
	// hierarchy is 32 bytes; a shorter one is a bug (a nil or truncated key
	// would otherwise derive predictable keys).
	MinSecretLen = 32
	// MaxPathPartLen is the longest path part: its length must fit the u16 prefix.
	MaxPathPartLen = protocol.MaxLengthPrefixedPart
)

// Path labels of the key hierarchy. They are the first part of a path, so a
// cluster key can never equal an app key even for colliding remaining parts.
const (
	labelCluster = "cluster"
	labelApp     = "app"
)

var (
	kdfSalt    = []byte(protocol.ContextKDF)
	beaconSalt = []byte(protocol.ContextBeacon)
)

// Derive returns HKDF-SHA256(secret, salt = protocol.ContextKDF, info) with
// info the length-prefixed encoding of path (protocol.AppendLengthPrefixed:
// u16 big-endian length || bytes, per part). The path must have at least one
// part and every part at most MaxPathPartLen bytes; the secret must be at
// least MinSecretLen bytes.
//
// The length prefixes are what make distinct paths derive independent keys:
// with plain concatenation ("ab", "c") and ("a", "bc") would share an info and
// therefore a key, so an app allowed to choose its own path parts could obtain
// another app's key.
func Derive(secret []byte, path ...[]byte) ([KeySize]byte, error) {
	return derive(kdfSalt, secret, path)
}

// derive is Derive with the salt as a parameter, for domain-separated uses of
// the same secret (the beacon).
func derive(salt, secret []byte, path [][]byte) ([KeySize]byte, error) {
	var out [KeySize]byte
	if len(secret) < MinSecretLen {
		return out, fmt.Errorf("%w: %d bytes, need at least %d", ErrInvalidSecret, len(secret), MinSecretLen)
	}
	if len(path) == 0 {
		return out, fmt.Errorf("%w: no parts", ErrInvalidPath)
	}
	for i, p := range path {
		if len(p) > MaxPathPartLen {
			return out, fmt.Errorf("%w: part %d is %d bytes, limit %d", ErrInvalidPath, i, len(p), MaxPathPartLen)
		}
	}
	info, err := protocol.AppendLengthPrefixed(nil, path...)
	if err != nil { // unreachable: part lengths were checked above
		return out, fmt.Errorf("%w: %w", ErrInvalidPath, err)
	}
	// hkdf.Key fails only for an over-long output or, in FIPS 140-only mode,
	// a secret under 112 bits; neither can happen here.
	k, err := hkdf.Key(sha256.New, secret, salt, string(info), KeySize)
	if err != nil {
		return out, fmt.Errorf("crypto: hkdf: %w", err)
	}
	copy(out[:], k)
	clear(k)
	return out, nil
}

// ClusterKey returns the key of cluster clusterID under this master key version:
//
//	Derive(master secret, "cluster", u64be(clusterID), u32be(k.Version))
//
// The version is bound in as well as implied by the secret, so that a cluster
// key names its master version even if two versions ever shared a secret.
func (k *MasterKey) ClusterKey(clusterID uint64) [KeySize]byte {
	secret := k.secretBytes()
	defer clear(secret[:])
	out, err := Derive(secret[:], []byte(labelCluster),
		binary.BigEndian.AppendUint64(nil, clusterID),
		binary.BigEndian.AppendUint32(nil, k.Version))
	if err != nil {
		// Every input has a fixed, valid size: this is a broken invariant,
		// not an input error.
		panic("crypto: cluster key derivation failed: " + err.Error())
	}
	return out
}

// AppKey returns the key an app derives from its cluster key:
//
//	Derive(clusterKey, "app", appID, path...)
//
// Workers derive it locally; appID must not be empty, and appID and every
// path part are at most MaxPathPartLen bytes. path may be empty.
func AppKey(clusterKey [KeySize]byte, appID string, path ...string) ([KeySize]byte, error) {
	if appID == "" {
		return [KeySize]byte{}, fmt.Errorf("%w: empty app id", ErrInvalidPath)
	}
	parts := make([][]byte, 0, 2+len(path))
	parts = append(parts, []byte(labelApp), []byte(appID))
	for _, p := range path {
		parts = append(parts, []byte(p))
	}
	return Derive(clusterKey[:], parts...)
}
