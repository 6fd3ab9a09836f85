package keeper

import (
	"crypto/ed25519"
	"crypto/sha256"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// sigCacheSize bounds the verified-signature cache: 100,000 entries of 32
// bytes, a few MiB at most.
const sigCacheSize = 100_000

// sigCache remembers egress signatures this node has verified, so that a
// message is verified once, in CheckTx, and not again when its block runs.
//
// It cannot change any outcome: an entry is added only after ed25519.Verify
// succeeded on the exact (chain id, signer, body, signature) it is keyed by,
// and verification is a pure function of those. A miss verifies. Gas is
// charged before the lookup, so a hit costs the same gas as a miss, and block
// results do not depend on what this node happened to see in its mempool.
type sigCache struct {
	mu    sync.Mutex
	set   map[[32]byte]struct{}
	ring  [][32]byte // insertion order, for FIFO eviction
	next  int
	limit int
}

func newSigCache(limit int) *sigCache {
	return &sigCache{set: make(map[[32]byte]struct{}, limit), ring: make([][32]byte, 0, limit), limit: limit}
}

// verify checks sm's signature for chainID, consulting and filling the cache.
func (c *sigCache) verify(chainID string, sm protocol.SignedMessage) bool {
	key := c.key(chainID, sm)
	c.mu.Lock()
	_, hit := c.set[key]
	c.mu.Unlock()
	if hit {
		return true
	}
	if !ed25519.Verify(sm.Signer, protocol.SigningBytes(protocol.ContextMQ, chainID, sm.Body), sm.Signature) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.set[key]; dup {
		return true
	}
	if len(c.ring) < c.limit {
		c.ring = append(c.ring, key)
	} else {
		delete(c.set, c.ring[c.next])
		c.ring[c.next] = key
		c.next = (c.next + 1) % c.limit
	}
	c.set[key] = struct{}{}
	return true
}

// key binds every input of the verification, length-prefixed.
func (c *sigCache) key(chainID string, sm protocol.SignedMessage) [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(chainID), sm.Signer, sm.Signature, sm.Body} {
		h.Write([]byte{byte(len(part) >> 24), byte(len(part) >> 16), byte(len(part) >> 8), byte(len(part))})
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}
