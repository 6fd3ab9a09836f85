package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// The fuzz targets check the two properties every decoder of untrusted bytes
// here must have: it never panics, and it is canonical — whatever it accepts
// re-encodes to exactly the input, so no two byte strings decode to the same
// value (which would let a relayer re-wrap a signed object). Seeds come from
// testdata/fuzz/<FuzzName>/ and from f.Add below.

func FuzzDecodeMessage(f *testing.F) {
	f.Add(mustEncode(f, testMessage()))
	f.Add(mustEncode(f, protocol.Message{Origin: protocol.ClusterOrigin(3), Topic: "cluster/key", Seq: 1, Payload: []byte{0}}))
	f.Add(mustEncode(f, protocol.Message{Origin: protocol.AccountOrigin(make([]byte, 32)), Topic: "a/b"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := protocol.DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

func FuzzDecodeRegistrationInfo(f *testing.F) {
	f.Add(mustEncodeInfo(f, testInfo(f)))
	successor := testInfo(f)
	successor.Predecessor = pub(testKey(2))
	f.Add(mustEncodeInfo(f, successor))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		ri, err := protocol.DecodeRegistrationInfo(b)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := ri.Encode()
		if err != nil {
			t.Fatalf("decoded info does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

func FuzzDecodeIngressEntry(f *testing.F) {
	f.Add(protocol.IngressEntry{Height: 1, Message: mustEncode(f, testMessage())}.Encode())
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, m, err := protocol.DecodeIngressEntry(b)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if again := e.Encode(); !bytes.Equal(again, b) {
			t.Fatalf("entry not canonical:\n  in %x\n out %x", b, again)
		}
		msg, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(msg, e.Message) {
			t.Fatalf("message not canonical:\n  in %x\n out %x", e.Message, msg)
		}
	})
}

// FuzzVerifySigned feeds arbitrary signed messages to VerifySigned. Random
// signatures almost never verify, so each input is also re-signed with a fixed
// key to drive the fuzzer through the origin checks behind the signature.
func FuzzVerifySigned(f *testing.F) {
	key := testKey(1)
	m := testMessage()
	sm, err := protocol.SignMessage(testChainID, key, &m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(testChainID, sm.Body, []byte(sm.Signer), sm.Signature)
	f.Add("other-chain", sm.Body, []byte(sm.Signer), sm.Signature)
	f.Add("", []byte{}, []byte{}, []byte{})

	f.Fuzz(func(t *testing.T, chainID string, body, signer, sig []byte) {
		got, err := protocol.VerifySigned(chainID, protocol.SignedMessage{Body: body, Signer: signer, Signature: sig})
		checkVerified(t, chainID, body, signer, sig, got, err)

		// The same body, validly signed by key.
		resig := ed25519.Sign(key, protocol.SigningBytes(protocol.ContextMQ, chainID, body))
		signer = pub(key)
		got, err = protocol.VerifySigned(chainID, protocol.SignedMessage{Body: body, Signer: signer, Signature: resig})
		checkVerified(t, chainID, body, signer, resig, got, err)
		dec, decErr := protocol.DecodeMessage(body)
		switch {
		case decErr != nil:
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("malformed body: err = %v, want ErrMalformed", err)
			}
		case dec.Origin.Kind == protocol.OriginGatekeeper,
			dec.Origin.Kind == protocol.OriginWorker && bytes.Equal(dec.Origin.ID, signer):
			if err != nil {
				t.Fatalf("validly signed %v message rejected: %v", dec.Origin, err)
			}
		default:
			if !errors.Is(err, protocol.ErrSignerOrigin) {
				t.Fatalf("%v message signed by %x: err = %v, want ErrSignerOrigin", dec.Origin, signer, err)
			}
		}
	})
}

// checkVerified asserts VerifySigned's contract for one call.
func checkVerified(t *testing.T, chainID string, body, signer, sig []byte, m protocol.Message, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, protocol.ErrMalformed) && !errors.Is(err, protocol.ErrBadSignature) && !errors.Is(err, protocol.ErrSignerOrigin) {
			t.Fatalf("unexpected error class: %v", err)
		}
		return
	}
	if !ed25519.Verify(signer, protocol.SigningBytes(protocol.ContextMQ, chainID, body), sig) {
		t.Fatal("accepted a signature that does not verify")
	}
	again, encErr := m.Encode()
	if encErr != nil || !bytes.Equal(again, body) {
		t.Fatalf("accepted body is not canonical: %x → %x (%v)", body, again, encErr)
	}
	switch m.Origin.Kind {
	case protocol.OriginGatekeeper:
	case protocol.OriginWorker:
		if !bytes.Equal(m.Origin.ID, signer) {
			t.Fatal("accepted a worker message signed by another key")
		}
	default:
		t.Fatalf("accepted egress from %v", m.Origin)
	}
}
