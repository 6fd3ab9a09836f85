package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestMessageRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  protocol.Message
	}{
		{"worker", testMessage()},
		{"module", protocol.Message{Origin: protocol.ModuleOrigin("registry"), Topic: "registry/worker_added", Seq: 0, Payload: []byte{1, 2, 3}}},
		{"gatekeeper", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: "gatekeeper/settlement", Seq: 1 << 40, Payload: []byte("x")}},
		{"cluster", protocol.Message{Origin: protocol.ClusterOrigin(42), Topic: "cluster/pubkey", Seq: 3}},
		{"account 20", protocol.Message{Origin: protocol.AccountOrigin(bytes.Repeat([]byte{9}, 20)), Topic: "mq/a/b/c", Seq: ^uint64(0)}},
		{"account 32", protocol.Message{Origin: protocol.AccountOrigin(bytes.Repeat([]byte{9}, 32)), Topic: "a_1/b_2"}},
		{"max payload", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: "gatekeeper/big", Payload: bytes.Repeat([]byte{0x5a}, protocol.MaxPayloadLen)}},
		{"max topic", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: strings.Repeat("m", protocol.MaxModuleNameLen) + "/" + strings.Repeat("t", protocol.MaxTopicLen-protocol.MaxModuleNameLen-1)}},
		{"max module name", protocol.Message{Origin: protocol.ModuleOrigin(strings.Repeat("z", protocol.MaxModuleNameLen)), Topic: "a/b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := mustEncode(t, tc.msg)
			got, err := protocol.DecodeMessage(b)
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if !got.Origin.Equal(tc.msg.Origin) || got.Topic != tc.msg.Topic || got.Seq != tc.msg.Seq || !bytes.Equal(got.Payload, tc.msg.Payload) {
				t.Fatalf("round trip: got %+v, want %+v", got, tc.msg)
			}
			if again := mustEncode(t, got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
			}
		})
	}
}

func TestDecodeMessageRejects(t *testing.T) {
	t.Parallel()
	with := func(f func(*rawMessage)) []byte {
		r := validRaw()
		f(&r)
		return r.bytes()
	}
	valid := validRaw().bytes()
	tests := []struct {
		name string
		in   []byte
		also error // a finer sentinel the error must match too, if any
	}{
		{"nil", nil, nil},
		{"empty", []byte{}, nil},
		{"version only", []byte{1}, nil},
		{"trailing byte", append(bytes.Clone(valid), 0), nil},
		{"trailing bytes", append(bytes.Clone(valid), 1, 2, 3), nil},
		{"version 0", with(func(r *rawMessage) { r.version = 0 }), nil},
		{"version 2", with(func(r *rawMessage) { r.version = 2 }), nil},
		{"version 255", with(func(r *rawMessage) { r.version = 255 }), nil},
		{"origin kind 0", with(func(r *rawMessage) { r.kind = 0 }), nil},
		{"origin kind 6", with(func(r *rawMessage) { r.kind = 6 }), nil},
		{"worker key short", with(func(r *rawMessage) { r.id = r.id[:31] }), nil},
		{"worker key long", with(func(r *rawMessage) { r.id = append(bytes.Clone(r.id), 0) }), nil},
		{"worker key empty", with(func(r *rawMessage) { r.id = nil }), nil},
		{"module empty", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginModule), nil }), nil},
		{"module upper case", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginModule), []byte("Registry") }), nil},
		{"module slash", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginModule), []byte("reg/istry") }), nil},
		{"module too long", with(func(r *rawMessage) {
			r.kind, r.id = byte(protocol.OriginModule), bytes.Repeat([]byte("a"), protocol.MaxModuleNameLen+1)
		}), nil},
		{"gatekeeper lane not a name", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginGatekeeper), []byte{0} }), nil},
		{"cluster id 7 bytes", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginCluster), make([]byte, 7) }), nil},
		{"cluster id 9 bytes", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginCluster), make([]byte, 9) }), nil},
		{"account 21 bytes", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginAccount), make([]byte, 21) }), nil},
		{"account empty", with(func(r *rawMessage) { r.kind, r.id = byte(protocol.OriginAccount), nil }), nil},
		{"origin id 255 bytes", with(func(r *rawMessage) { r.id = make([]byte, 255) }), nil},
		{"topic empty", with(func(r *rawMessage) { r.topic = "" }), protocol.ErrInvalidTopic},
		{"topic no module", with(func(r *rawMessage) { r.topic = "endpoint" }), protocol.ErrInvalidTopic},
		{"topic upper case", with(func(r *rawMessage) { r.topic = "registry/Endpoint" }), protocol.ErrInvalidTopic},
		{"topic empty segment", with(func(r *rawMessage) { r.topic = "registry//endpoint" }), protocol.ErrInvalidTopic},
		{"topic trailing slash", with(func(r *rawMessage) { r.topic = "registry/" }), protocol.ErrInvalidTopic},
		{"topic leading slash", with(func(r *rawMessage) { r.topic = "/registry" }), protocol.ErrInvalidTopic},
		{"topic space", with(func(r *rawMessage) { r.topic = "registry/end point" }), protocol.ErrInvalidTopic},
		{"topic non-ascii", with(func(r *rawMessage) { r.topic = "registry/\xc3\xa9" }), protocol.ErrInvalidTopic},
		{"topic nul", with(func(r *rawMessage) { r.topic = "registry/\x00" }), protocol.ErrInvalidTopic},
		{"topic too long", with(func(r *rawMessage) { r.topic = "a/" + strings.Repeat("b", protocol.MaxTopicLen-1) }), protocol.ErrInvalidTopic},
		{"topic module too long", with(func(r *rawMessage) { r.topic = strings.Repeat("m", protocol.MaxModuleNameLen+1) + "/t" }), protocol.ErrInvalidTopic},
		{"payload length over limit", with(func(r *rawMessage) { r.payloadLen = protocol.MaxPayloadLen + 1 }), protocol.ErrTooLarge},
		{"payload length max u32", with(func(r *rawMessage) { r.payloadLen = 1<<32 - 1 }), protocol.ErrTooLarge},
		{"payload over limit", with(func(r *rawMessage) { r.payload = make([]byte, protocol.MaxPayloadLen+1) }), protocol.ErrTooLarge},
		{"payload length exceeds data", with(func(r *rawMessage) { r.payloadLen = int64(len(r.payload) + 1) }), nil},
		{"payload length below data", with(func(r *rawMessage) { r.payloadLen = int64(len(r.payload) - 1) }), nil},
		{"message over limit", append(bytes.Clone(valid), make([]byte, protocol.MaxMessageLen)...), protocol.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := protocol.DecodeMessage(tc.in)
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("DecodeMessage = %+v, %v; want ErrMalformed", m, err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Fatalf("DecodeMessage: err = %v, want it to match %v too", err, tc.also)
			}
			if !strings.HasPrefix(err.Error(), "protocol: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// Every proper prefix of a valid encoding is a truncation and must be rejected.
func TestDecodeMessageTruncated(t *testing.T) {
	t.Parallel()
	valid := mustEncode(t, testMessage())
	for n := range len(valid) {
		if _, err := protocol.DecodeMessage(valid[:n]); !errors.Is(err, protocol.ErrMalformed) {
			t.Errorf("prefix of %d/%d bytes: err = %v, want ErrMalformed", n, len(valid), err)
		}
	}
}

func TestMessageEncodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*protocol.Message)
	}{
		{"zero origin", func(m *protocol.Message) { m.Origin = protocol.Origin{} }},
		{"bad worker key", func(m *protocol.Message) { m.Origin.ID = m.Origin.ID[:8] }},
		{"bad module", func(m *protocol.Message) { m.Origin = protocol.ModuleOrigin("Bank") }},
		{"empty topic", func(m *protocol.Message) { m.Topic = "" }},
		{"bad topic", func(m *protocol.Message) { m.Topic = "nomodule" }},
		{"oversize payload", func(m *protocol.Message) { m.Payload = make([]byte, protocol.MaxPayloadLen+1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := testMessage()
			tc.edit(&m)
			if b, err := m.Encode(); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("Encode = %x, %v; want ErrMalformed", b, err)
			}
			if _, err := protocol.SignMessage(testChainID, testKey(1), &m); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("SignMessage: err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestVerifySigned(t *testing.T) {
	t.Parallel()
	worker := testKey(1)
	other := testKey(2)
	sign := func(t *testing.T, key ed25519.PrivateKey, m protocol.Message) protocol.SignedMessage {
		t.Helper()
		sm, err := protocol.SignMessage(testChainID, key, &m)
		if err != nil {
			t.Fatalf("SignMessage: %v", err)
		}
		return sm
	}
	// signRaw signs arbitrary body bytes, bypassing SignMessage's validation,
	// to show that a valid signature never rescues a malformed body.
	signRaw := func(key ed25519.PrivateKey, context, chainID string, body []byte) protocol.SignedMessage {
		return protocol.SignedMessage{
			Body:      body,
			Signer:    pub(key),
			Signature: ed25519.Sign(key, protocol.SigningBytes(context, chainID, body)),
		}
	}
	from := func(o protocol.Origin) protocol.Message {
		m := testMessage()
		m.Origin = o
		return m
	}
	tests := []struct {
		name    string
		chainID string // testChainID when empty
		sm      func(t *testing.T) protocol.SignedMessage
		wantErr error
	}{
		{"worker", "", func(t *testing.T) protocol.SignedMessage { return sign(t, worker, testMessage()) }, nil},
		{"gatekeeper signed by any key", "", func(t *testing.T) protocol.SignedMessage {
			return sign(t, other, from(protocol.GatekeeperOrigin()))
		}, nil},
		{"worker signed by another key", "", func(t *testing.T) protocol.SignedMessage {
			return sign(t, other, testMessage())
		}, protocol.ErrSignerOrigin},
		{"module origin", "", func(t *testing.T) protocol.SignedMessage {
			return sign(t, worker, from(protocol.ModuleOrigin("registry")))
		}, protocol.ErrSignerOrigin},
		{"cluster origin", "", func(t *testing.T) protocol.SignedMessage {
			return sign(t, worker, from(protocol.ClusterOrigin(1)))
		}, protocol.ErrSignerOrigin},
		{"account origin", "", func(t *testing.T) protocol.SignedMessage {
			return sign(t, worker, from(protocol.AccountOrigin(make([]byte, 20))))
		}, protocol.ErrSignerOrigin},
		{"wrong chain id", "gatekeeper-forged-1", func(t *testing.T) protocol.SignedMessage {
			return sign(t, worker, testMessage())
		}, protocol.ErrBadSignature},
		{"empty chain id", "", func(t *testing.T) protocol.SignedMessage {
			return signRaw(worker, protocol.ContextMQ, "", mustEncode(t, testMessage()))
		}, protocol.ErrBadSignature},
		{"wrong context", "", func(t *testing.T) protocol.SignedMessage {
			return signRaw(worker, protocol.ContextReportData, testChainID, mustEncode(t, testMessage()))
		}, protocol.ErrBadSignature},
		{"signature flipped", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signature = flip(sm.Signature, 10)
			return sm
		}, protocol.ErrBadSignature},
		{"signature S not reduced", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signature = bytes.Clone(sm.Signature)
			sm.Signature[63] |= 0xe0 // S >= 2^253 > L: a malleated signature
			return sm
		}, protocol.ErrBadSignature},
		{"gatekeeper signature by a different key", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, other, from(protocol.GatekeeperOrigin()))
			sm.Signer = pub(worker)
			return sm
		}, protocol.ErrBadSignature},
		{"body changed after signing", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Body = flip(sm.Body, len(sm.Body)-1) // last payload byte
			return sm
		}, protocol.ErrBadSignature},
		{"signed body with trailing byte", "", func(t *testing.T) protocol.SignedMessage {
			return signRaw(worker, protocol.ContextMQ, testChainID, append(mustEncode(t, testMessage()), 0))
		}, protocol.ErrMalformed},
		{"signed malformed body", "", func(t *testing.T) protocol.SignedMessage {
			return signRaw(worker, protocol.ContextMQ, testChainID, []byte{1, 2, 3})
		}, protocol.ErrMalformed},
		{"signer short", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signer = sm.Signer[:31]
			return sm
		}, protocol.ErrMalformed},
		{"signer nil", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signer = nil
			return sm
		}, protocol.ErrMalformed},
		{"signature short", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signature = sm.Signature[:63]
			return sm
		}, protocol.ErrMalformed},
		{"signature long", "", func(t *testing.T) protocol.SignedMessage {
			sm := sign(t, worker, testMessage())
			sm.Signature = append(bytes.Clone(sm.Signature), 0)
			return sm
		}, protocol.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chainID := tc.chainID
			if chainID == "" {
				chainID = testChainID
			}
			sm := tc.sm(t)
			m, err := protocol.VerifySigned(chainID, sm)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("VerifySigned: err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifySigned: %v", err)
			}
			if again := mustEncode(t, m); !bytes.Equal(again, sm.Body) {
				t.Fatalf("verified message re-encodes to %x, carried %x", again, sm.Body)
			}
		})
	}
}

// A signature verifies only for the chain id it was made for; errors must
// stay distinguishable so the chain can charge or drop accordingly.
func TestVerifySignedErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	sentinels := []error{protocol.ErrMalformed, protocol.ErrBadSignature, protocol.ErrSignerOrigin}
	for i, a := range sentinels {
		for j, b := range sentinels {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}

func TestIngressEntryRoundTrip(t *testing.T) {
	t.Parallel()
	msg := mustEncode(t, protocol.Message{Origin: protocol.ModuleOrigin("registry"), Topic: "registry/worker_added", Seq: 9, Payload: []byte("p")})
	tests := []struct {
		name   string
		height uint64
	}{
		{"zero height", 0},
		{"height", 12345},
		{"max height", ^uint64(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := protocol.IngressEntry{Height: tc.height, Message: msg}.Encode()
			e, m, err := protocol.DecodeIngressEntry(b)
			if err != nil {
				t.Fatalf("DecodeIngressEntry: %v", err)
			}
			if e.Height != tc.height || !bytes.Equal(e.Message, msg) {
				t.Fatalf("entry = %+v", e)
			}
			if m.Seq != 9 || m.Topic != "registry/worker_added" {
				t.Fatalf("message = %+v", m)
			}
			if !bytes.Equal(e.Encode(), b) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

func TestDecodeIngressEntryRejects(t *testing.T) {
	t.Parallel()
	msg := mustEncode(t, testMessage())
	entry := protocol.IngressEntry{Height: 5, Message: msg}.Encode()
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"short height", []byte{0, 0, 0, 0, 0, 0, 1}},
		{"height only", make([]byte, 8)},
		{"truncated message", entry[:len(entry)-1]},
		{"trailing byte", append(bytes.Clone(entry), 0)},
		{"bad message version", append(make([]byte, 8), flip(msg, 0)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := protocol.DecodeIngressEntry(tc.in); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}
