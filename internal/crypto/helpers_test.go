package crypto_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/mlkem"
	"encoding/hex"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

const testChainID = "gatekeeper-test-1"

// testReceiveKey returns a deterministic MLKEM768X25519 private key built from
// FIPS 203 and X25519 seeds (seed and seed+1 repeated), as the protocol
// package's vectors do, so that vectors depend only on finalized standards.
func testReceiveKey(t testing.TB, seed byte) hpke.PrivateKey {
	t.Helper()
	dk, err := mlkem.NewDecapsulationKey768(bytes.Repeat([]byte{seed}, mlkem.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{seed + 1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	k, err := hpke.NewHybridPrivateKey(dk, x)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(k.PublicKey().Bytes()); n != protocol.ReceiveKeyLen {
		t.Fatalf("receive key is %d bytes, want %d", n, protocol.ReceiveKeyLen)
	}
	return k
}

// testInfo is the Info of the vectors: a master key transfer to priv.
func testInfo(priv hpke.PrivateKey) gkcrypto.Info {
	return gkcrypto.Info{
		Context:   protocol.ContextMasterKeyTransfer,
		ChainID:   testChainID,
		Recipient: priv.PublicKey().Bytes(),
		What:      []byte("master/v3"),
	}
}

// testMasterSecret is the master secret of the vectors: 0x01, 0x02, …, 0x20.
func testMasterSecret() []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = byte(i + 1)
	}
	return s
}

func testMaster(t testing.TB, version uint32) *gkcrypto.MasterKey {
	t.Helper()
	k, err := gkcrypto.MasterKeyFromSecret(version, testMasterSecret())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
