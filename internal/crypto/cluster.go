package crypto

import (
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
)

// labelClusterIdentity derives a cluster's signing key from its cluster key.
const labelClusterIdentity = "cluster-identity"

// ClusterIdentity returns the ed25519 key pair of a cluster key version:
//
//	ed25519 seed = Derive(clusterKey, "cluster-identity")
//
// The cluster key itself is symmetric; its public half is this key pair's
// public key. The gatekeepers publish it on chain (a quorum message), and a
// worker that receives the cluster key checks the copy by deriving the same
// public key. The same key pair lets a cluster sign as the Cluster origin.
func ClusterIdentity(clusterKey [KeySize]byte) ed25519.PrivateKey {
	seed, err := Derive(clusterKey[:], []byte(labelClusterIdentity))
	if err != nil {
		// Fixed-size inputs: a broken invariant, not an input error.
		panic("crypto: cluster identity derivation failed: " + err.Error())
	}
	defer clear(seed[:])
	return ed25519.NewKeyFromSeed(seed[:])
}

// ClusterPublicKey returns the public key of ClusterIdentity(clusterKey).
func ClusterPublicKey(clusterKey [KeySize]byte) ed25519.PublicKey {
	priv := ClusterIdentity(clusterKey)
	defer clear(priv)
	return append(ed25519.PublicKey(nil), priv.Public().(ed25519.PublicKey)...)
}

// EncodeSecrets returns the plaintext of a master key transfer: the secrets
// of keys, which must be consecutive versions, 32 bytes each in version
// order. The caller clears the result after sealing it.
func EncodeSecrets(keys []*MasterKey) ([]byte, error) {
	out := make([]byte, 0, len(keys)*MasterSecretSize)
	for i, k := range keys {
		if i > 0 && k.Version != keys[0].Version+uint32(i) {
			clear(out)
			return nil, fmt.Errorf("%w: versions are not consecutive at %d", ErrInvalidMasterKey, k.Version)
		}
		s := k.secretBytes()
		out = append(out, s[:]...)
		clear(s[:])
	}
	return out, nil
}

// DecodeSecrets parses EncodeSecrets for versions [first, first+count) and
// checks each secret against its expected public key, pubs[i] for version
// first+i. It returns the keys, or an error naming the first version that
// is malformed or does not match — then no key is returned.
func DecodeSecrets(first uint32, plaintext []byte, pubs [][]byte) ([]*MasterKey, error) {
	if len(plaintext) != len(pubs)*MasterSecretSize {
		return nil, fmt.Errorf("%w: %d bytes for %d versions", ErrInvalidMasterKey, len(plaintext), len(pubs))
	}
	keys := make([]*MasterKey, len(pubs))
	for i := range pubs {
		v := first + uint32(i)
		k, err := MasterKeyFromSecret(v, plaintext[i*MasterSecretSize:(i+1)*MasterSecretSize])
		if err == nil && subtle.ConstantTimeCompare(k.pub[:], pubs[i]) != 1 {
			err = fmt.Errorf("%w: version %d", ErrKeyMismatch, v)
		}
		if err != nil {
			for _, k := range keys[:i] {
				k.priv.Zero()
			}
			return nil, err
		}
		keys[i] = k
	}
	return keys, nil
}
