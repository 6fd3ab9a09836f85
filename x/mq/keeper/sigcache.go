package keeper

import (
	"crypto/ed25519"
	"crypto/sha256"
	"runtime"
	"sync"
	"sync/atomic"

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
// A signer or signature of the wrong length does not verify.
func (c *sigCache) verify(chainID string, sm protocol.SignedMessage) bool {
	key := c.key(chainID, sm)
	c.mu.Lock()
	_, hit := c.set[key]
	c.mu.Unlock()
	if hit {
		return true
	}
	if len(sm.Signer) != ed25519.PublicKeySize || len(sm.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(sm.Signer, protocol.SigningBytes(protocol.ContextMQ, chainID, sm.Body), sm.Signature) {
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

// verifyAll verifies every message of sms for chainID on up to GOMAXPROCS
// goroutines and returns the verdicts in the order of sms: verdict i is
// exactly what verify(chainID, sms[i]) returns, because verification is a
// pure function of the message's bytes and the cache only remembers
// successes. Which goroutine verifies which message, and in what order the
// cache fills, cannot change a verdict, so callers consume them in order
// and stay deterministic.
func (c *sigCache) verifyAll(chainID string, sms []protocol.SignedMessage) []bool {
	out := make([]bool, len(sms))
	workers := min(runtime.GOMAXPROCS(0), len(sms))
	if workers <= 1 {
		for i, sm := range sms {
			out[i] = c.verify(chainID, sm)
		}
		return out
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(sms) {
					return
				}
				out[i] = c.verify(chainID, sms[i])
			}
		}()
	}
	wg.Wait()
	return out
}
