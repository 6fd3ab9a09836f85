package protocol

import (
	"crypto/sha256"
	"fmt"
	"hash"
)

// IngressHeadLen is the size of an ingress head.
const IngressHeadLen = sha256.Size

// IngressHead commits to a run of ingress entries: head(n+1) =
// SHA-256(ContextIngressHead ‖ head(n) ‖ entry n), where entry n is the
// exact value the chain stores at IngressKey(n) (IngressEntry.Encode).
// The context has a fixed length and the head a fixed size, so the entry is
// what remains and the input parses one way. The chain stores the head at
// every retained index (IngressHeadKey); a pRuntime proves one of them and
// recomputes it over the raw entries it is given.
type IngressHead [IngressHeadLen]byte

// IngressHeadSeed is the head of an empty log: SHA-256(ContextIngressHead).
func IngressHeadSeed() IngressHead { return sha256.Sum256([]byte(ContextIngressHead)) }

// Next returns the head after entry.
func (h IngressHead) Next(entry []byte) IngressHead {
	var c IngressHeadChain
	c.Reset(h)
	c.Add(entry)
	return c.Head()
}

// ParseIngressHead reads a head from its 32 bytes.
func ParseIngressHead(b []byte) (IngressHead, error) {
	var h IngressHead
	if len(b) != IngressHeadLen {
		return h, fmt.Errorf("%w: ingress head is %d bytes, want %d", ErrMalformed, len(b), IngressHeadLen)
	}
	copy(h[:], b)
	return h, nil
}

var ingressHeadContext = []byte(ContextIngressHead)

// IngressHeadChain extends a head entry by entry without allocating per
// entry; its zero value must be Reset before use.
type IngressHeadChain struct {
	h    hash.Hash
	head IngressHead
}

// Reset starts the chain at head.
func (c *IngressHeadChain) Reset(head IngressHead) {
	if c.h == nil {
		c.h = sha256.New()
	}
	c.head = head
}

// Add extends the chain by one entry.
func (c *IngressHeadChain) Add(entry []byte) {
	c.h.Reset()
	c.h.Write(ingressHeadContext)
	c.h.Write(c.head[:])
	c.h.Write(entry)
	c.h.Sum(c.head[:0])
}

// Head returns the current head.
func (c *IngressHeadChain) Head() IngressHead { return c.head }
