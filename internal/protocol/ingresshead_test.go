package protocol_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// TestIngressHeadVectors pins the hash chain: a change here is a change of
// the protocol between chain and pRuntimes. The values were computed outside
// Go (Python hashlib) from the definition in ingresshead.go.
func TestIngressHeadVectors(t *testing.T) {
	t.Parallel()
	e0, _ := hex.DecodeString("000000000000000161")
	e1, _ := hex.DecodeString("00000000000000026263")
	seed := protocol.IngressHeadSeed()
	h1 := seed.Next(e0)
	h2 := h1.Next(e1)
	for _, c := range []struct {
		name string
		got  protocol.IngressHead
		want string
	}{
		{"seed", seed, "f51d912c990d95b3d47ad2027bd9a36fac471177d72d97ae36a3e881cbb67c8f"},
		{"one entry", h1, "600598761ac593eb1d2faac4ff9a49e7a98b8457348a9fe80ff16769d68d8d97"},
		{"two entries", h2, "8e9f52b5e62f86eb016d3483c319464e68f7cca10e71e1c4e887a298e1fc3610"},
	} {
		if hex.EncodeToString(c.got[:]) != c.want {
			t.Errorf("%s: %x, want %s", c.name, c.got, c.want)
		}
	}
	var c protocol.IngressHeadChain
	c.Reset(seed)
	c.Add(e0)
	c.Add(e1)
	if c.Head() != h2 {
		t.Errorf("chain: %x, want %x", c.Head(), h2)
	}
	// Order matters: the same entries the other way round give another head.
	if seed.Next(e1).Next(e0) == h2 {
		t.Error("reordered entries give the same head")
	}
}

func TestParseIngressHead(t *testing.T) {
	t.Parallel()
	seed := protocol.IngressHeadSeed()
	if h, err := protocol.ParseIngressHead(seed[:]); err != nil || h != seed {
		t.Fatalf("ParseIngressHead(seed) = %x, %v", h, err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := protocol.ParseIngressHead(make([]byte, n)); !errors.Is(err, protocol.ErrMalformed) {
			t.Errorf("%d bytes: %v, want ErrMalformed", n, err)
		}
	}
}
