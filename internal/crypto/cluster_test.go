package crypto_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

func TestClusterIdentity(t *testing.T) {
	t.Parallel()
	var k1, k2 [crypto.KeySize]byte
	k2[0] = 1
	p1, p2 := crypto.ClusterPublicKey(k1), crypto.ClusterPublicKey(k2)
	if bytes.Equal(p1, p2) || !bytes.Equal(p1, crypto.ClusterPublicKey(k1)) {
		t.Fatal("cluster public key not a deterministic function of the cluster key")
	}
	priv := crypto.ClusterIdentity(k1)
	sig := ed25519.Sign(priv, []byte("m"))
	if !ed25519.Verify(p1, []byte("m"), sig) {
		t.Fatal("identity does not sign for its public key")
	}
	// The seed is derived, never the cluster key itself.
	if bytes.Equal(priv.Seed(), k1[:]) {
		t.Fatal("cluster key used as the signing seed")
	}
}

func TestEncodeDecodeSecrets(t *testing.T) {
	t.Parallel()
	var keys []*crypto.MasterKey
	var pubs [][]byte
	for v := range uint32(3) {
		k, err := crypto.GenerateMasterKey(rand.Reader, 5+v)
		if err != nil {
			t.Fatal(err)
		}
		keys, pubs = append(keys, k), append(pubs, k.PublicKey())
	}
	plain, err := crypto.EncodeSecrets(keys)
	if err != nil {
		t.Fatal(err)
	}
	got, err := crypto.DecodeSecrets(5, plain, pubs)
	if err != nil || len(got) != 3 || got[2].Version != 7 || !bytes.Equal(got[2].PublicKey(), pubs[2]) {
		t.Fatalf("round trip: %v", err)
	}
	swapped := [][]byte{pubs[0], pubs[2], pubs[1]}
	if _, err := crypto.DecodeSecrets(5, plain, swapped); !errors.Is(err, crypto.ErrKeyMismatch) {
		t.Fatalf("mismatched public key: %v", err)
	}
	if _, err := crypto.DecodeSecrets(5, plain[:len(plain)-1], pubs); !errors.Is(err, crypto.ErrInvalidMasterKey) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := crypto.EncodeSecrets([]*crypto.MasterKey{keys[0], keys[2]}); err == nil {
		t.Fatal("non-consecutive versions encoded")
	}
}
