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

// verifyAll on all cores returns, message for message, what verify returns
// one at a time on a fresh cache, whatever the mix: valid, forged, other
// chain, malformed lengths, duplicates; and it caches only the valid ones.
func TestSigCacheVerifyAllMatchesSequential(t *testing.T) {
	t.Parallel()
	var sms []protocol.SignedMessage
	for i := range 64 {
		sm := signedForTest(t, "chain-a", byte(i%7+1), uint64(i))
		switch i % 6 {
		case 1: // forged
			sm.Signature = append([]byte(nil), sm.Signature...)
			sm.Signature[i%64] ^= 0x40
		case 2: // signed for another chain
			sm = signedForTest(t, "chain-b", byte(i%7+1), uint64(i))
		case 3: // short signer: must not panic, must not verify
			sm.Signer = sm.Signer[:31]
		case 4: // long signature
			sm.Signature = append(append([]byte(nil), sm.Signature...), 0)
		case 5: // a duplicate of an earlier message
			sm = sms[i-5]
		}
		sms = append(sms, sm)
	}
	seqCache, parCache := newSigCache(1000), newSigCache(1000)
	var want []bool
	for _, sm := range sms {
		want = append(want, seqCache.verify("chain-a", sm))
	}
	for round := range 3 { // later rounds hit the cache filled by the first
		got := parCache.verifyAll("chain-a", sms)
		for i := range sms {
			if got[i] != want[i] {
				t.Fatalf("round %d message %d: parallel verdict %v, sequential %v", round, i, got[i], want[i])
			}
		}
	}
	if len(parCache.set) != len(seqCache.set) {
		t.Fatalf("parallel cache holds %d entries, sequential %d", len(parCache.set), len(seqCache.set))
	}
	for k := range seqCache.set {
		if _, ok := parCache.set[k]; !ok {
			t.Fatal("parallel cache lacks an entry the sequential one has")
		}
	}
	if n := len(parCache.ring); n != len(parCache.set) {
		t.Fatalf("ring %d entries, set %d", n, len(parCache.set))
	}
}
