package protocol_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/mlkem"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// testChainID is the chain id every test signs for unless it tests chain ids.
const testChainID = "gatekeeper-test-1"

// testKey returns a deterministic ed25519 key; distinct seeds give distinct keys.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// testReceiveKey returns a deterministic, valid MLKEM768X25519 public key. It is
// built from FIPS 203 and X25519 primitives rather than HPKE's DeriveKeyPair so
// that the known-answer vectors depend only on finalized standards.
func testReceiveKey(t testing.TB) []byte {
	t.Helper()
	dk, err := mlkem.NewDecapsulationKey768(bytes.Repeat([]byte{0x42}, mlkem.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x43}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := hpke.NewHybridPublicKey(dk.EncapsulationKey(), x.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if b := pk.Bytes(); len(b) != protocol.ReceiveKeyLen {
		t.Fatalf("receive key is %d bytes, want %d", len(b), protocol.ReceiveKeyLen)
	}
	return pk.Bytes()
}

// testInfo returns a valid, deterministic RegistrationInfo.
func testInfo(t testing.TB) protocol.RegistrationInfo {
	t.Helper()
	return protocol.RegistrationInfo{
		ChainID:     testChainID,
		IdentityKey: pub(testKey(1)),
		ReceiveKey:  testReceiveKey(t),
		Operator:    "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
		Version:     "v0.1.0",
		TrustRoot:   protocol.TrustRoot{Height: 0, Hash: bytes.Repeat([]byte{0xab}, 32)},
	}
}

// testMessage returns a valid egress message from the worker with key testKey(1).
func testMessage() protocol.Message {
	return protocol.Message{
		Origin:  protocol.WorkerOrigin(pub(testKey(1))),
		Topic:   "registry/endpoint",
		Seq:     7,
		Payload: []byte("hello"),
	}
}

func mustEncode(t testing.TB, m protocol.Message) []byte {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

func mustEncodeInfo(t testing.TB, ri protocol.RegistrationInfo) []byte {
	t.Helper()
	b, err := ri.Encode()
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

// rawMessage builds a message encoding field by field without validation, so
// that tests can produce every kind of malformed input. payloadLen overrides
// the declared payload length when non-negative.
type rawMessage struct {
	version    byte
	kind       byte
	id         []byte
	topic      string
	seq        uint64
	payload    []byte
	payloadLen int64
}

func validRaw() rawMessage {
	m := testMessage()
	return rawMessage{
		version:    1,
		kind:       byte(m.Origin.Kind),
		id:         m.Origin.ID,
		topic:      m.Topic,
		seq:        m.Seq,
		payload:    m.Payload,
		payloadLen: -1,
	}
}

func (r rawMessage) bytes() []byte {
	b := []byte{r.version, r.kind, byte(len(r.id))}
	b = append(b, r.id...)
	b = append(b, byte(len(r.topic)))
	b = append(b, r.topic...)
	b = binary.BigEndian.AppendUint64(b, r.seq)
	n := uint32(len(r.payload))
	if r.payloadLen >= 0 {
		n = uint32(r.payloadLen)
	}
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, r.payload...)
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flip returns a copy of b with the byte at i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}
