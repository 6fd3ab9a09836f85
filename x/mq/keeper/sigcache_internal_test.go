package keeper

import (
	"crypto/ed25519"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func signedForTest(t *testing.T, chainID string, seed byte, seq uint64) protocol.SignedMessage {
	t.Helper()
	key := ed25519.NewKeyFromSeed(append(make([]byte, 31), seed))
	m := protocol.Message{Origin: protocol.WorkerOrigin(key.Public().(ed25519.PublicKey)), Topic: "test/echo", Seq: seq}
	sm, err := protocol.SignMessage(chainID, key, &m)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// The cache may only ever save work: a failure is never remembered, and an
// entry binds the chain id, signer, signature and body it was verified for.
func TestSigCache(t *testing.T) {
	t.Parallel()
	c := newSigCache(4)
	good := signedForTest(t, "chain-a", 1, 0)
	if !c.verify("chain-a", good) || !c.verify("chain-a", good) {
		t.Fatal("a valid signature did not verify")
	}
	if c.verify("chain-b", good) {
		t.Fatal("a cached signature verified for another chain")
	}
	forged := good
	forged.Signature = append([]byte(nil), good.Signature...)
	forged.Signature[0] ^= 1
	for range 2 {
		if c.verify("chain-a", forged) {
			t.Fatal("a forged signature verified")
		}
	}
	otherBody := good
	otherBody.Body = append([]byte(nil), good.Body...)
	otherBody.Body[len(otherBody.Body)-1] ^= 1
	if c.verify("chain-a", otherBody) {
		t.Fatal("a cached signature verified another body")
	}
	if len(c.set) != 1 {
		t.Fatalf("cache holds %d entries, want only the one that verified", len(c.set))
	}
	for seq := range uint64(10) {
		if !c.verify("chain-a", signedForTest(t, "chain-a", 2, seq)) {
			t.Fatal("valid signature rejected")
		}
	}
	if len(c.set) != 4 || len(c.ring) != 4 {
		t.Fatalf("cache grew to %d (%d in ring), limit 4", len(c.set), len(c.ring))
	}
	if !c.verify("chain-a", good) {
		t.Fatal("an evicted signature no longer verifies")
	}
}
