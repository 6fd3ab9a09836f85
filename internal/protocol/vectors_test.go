package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Known-answer vectors. They pin the wire formats: if one of these changes,
// signatures and attestations made by deployed nodes stop verifying, so a
// change here is a protocol version bump, never a test fix.
//
// All inputs are deterministic: keys come from fixed seeds (testKey), the
// receive key from fixed ML-KEM and X25519 seeds (testReceiveKey).
const (
	// testMessage() encoded: version 1, worker origin (key of seed 0x01…),
	// topic "registry/endpoint", seq 7, payload "hello".
	katMessage = "01" + "02" + "20" + "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c" +
		"11" + "72656769737472792f656e64706f696e74" +
		"0000000000000007" +
		"00000005" + "68656c6c6f"

	// SigningBytes(ContextMQ, "gatekeeper-test-1", katMessage).
	katSigningBytes = "0010" + "676174656b65657065722f6d712f7631" +
		"0011" + "676174656b65657065722d746573742d31" +
		katMessage

	// ed25519 signature by testKey(1) over katSigningBytes (ed25519 is deterministic).
	katSignature = "0699f5ea887faeb5c11c84e50331682631c6cb04075a5925fbc2d9887e27c561" +
		"94bcd8db0fb7b4a3fc0f094fb3fe3895cbc05b7771dd7dd35655588bf118d00e"

	// IngressEntry{Height: 100, Message: katMessage}.
	katIngress = "0000000000000064" + katMessage

	// SHA-256 of testReceiveKey and of testInfo's encoding (1358 bytes), and
	// ReportData(testChainID, that encoding).
	katReceiveKeySHA256 = "b0b527bf7bf1ec8e0ab545c8fde692dd6a959ff3f008b368f028dabce8ef19a9"
	katInfoSHA256       = "64d281e3cbf58a106d90c5caa4b5ef03c6a7124e08260009f529f4ec0f8fa562"
	katReportData       = "1b6a5d5185893aa487fb12aa782e43dfa931b8e64495a167d20fb870db79835b" +
		"3976c1d4148759fcc22da8ac26c6ff4a22c7d881a19a2ae4abb93b987f926e4c"
)

func TestKnownAnswerMessage(t *testing.T) {
	t.Parallel()
	m := testMessage()
	if got := hex.EncodeToString(mustEncode(t, m)); got != katMessage {
		t.Fatalf("Encode:\n got %s\nwant %s", got, katMessage)
	}
	dec, err := protocol.DecodeMessage(unhex(t, katMessage))
	if err != nil {
		t.Fatalf("DecodeMessage: %v", err)
	}
	if !dec.Origin.Equal(m.Origin) || dec.Topic != m.Topic || dec.Seq != m.Seq || !bytes.Equal(dec.Payload, m.Payload) {
		t.Fatalf("DecodeMessage = %+v, want %+v", dec, m)
	}
}

func TestKnownAnswerSigning(t *testing.T) {
	t.Parallel()
	sb := protocol.SigningBytes(protocol.ContextMQ, testChainID, unhex(t, katMessage))
	if got := hex.EncodeToString(sb); got != katSigningBytes {
		t.Fatalf("SigningBytes:\n got %s\nwant %s", got, katSigningBytes)
	}
	m := testMessage()
	sm, err := protocol.SignMessage(testChainID, testKey(1), &m)
	if err != nil {
		t.Fatalf("SignMessage: %v", err)
	}
	if got := hex.EncodeToString(sm.Signature); got != katSignature {
		t.Fatalf("signature:\n got %s\nwant %s", got, katSignature)
	}
	// The pinned signature verifies through the public API, over pinned bytes.
	if _, err := protocol.VerifySigned(testChainID, protocol.SignedMessage{
		Body:      unhex(t, katMessage),
		Signer:    ed25519.PublicKey(unhex(t, "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c")),
		Signature: unhex(t, katSignature),
	}); err != nil {
		t.Fatalf("VerifySigned(known answer): %v", err)
	}
}

func TestKnownAnswerIngress(t *testing.T) {
	t.Parallel()
	got := protocol.IngressEntry{Height: 100, Message: unhex(t, katMessage)}.Encode()
	if hex.EncodeToString(got) != katIngress {
		t.Fatalf("IngressEntry.Encode:\n got %x\nwant %s", got, katIngress)
	}
}

func TestKnownAnswerReportData(t *testing.T) {
	t.Parallel()
	ri := testInfo(t)
	if got := sha256.Sum256(ri.ReceiveKey); hex.EncodeToString(got[:]) != katReceiveKeySHA256 {
		t.Fatalf("test receive key changed (sha256 %x); the vectors below depend on it", got)
	}
	info := mustEncodeInfo(t, ri)
	if got := sha256.Sum256(info); hex.EncodeToString(got[:]) != katInfoSHA256 {
		t.Fatalf("RegistrationInfo.Encode changed: sha256 %x, want %s", got, katInfoSHA256)
	}
	rd := protocol.ReportData(testChainID, info)
	if got := hex.EncodeToString(rd[:]); got != katReportData {
		t.Fatalf("ReportData:\n got %s\nwant %s", got, katReportData)
	}
}
