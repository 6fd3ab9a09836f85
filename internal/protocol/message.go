package protocol

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

const (
	// MaxPayloadLen bounds a message payload. Larger data (state blobs) never
	// travels through the queue.
	MaxPayloadLen = 64 << 10
	// MaxMessageLen bounds an encoded message.
	MaxMessageLen = MaxPayloadLen + 2*MaxTopicLen + 256

	messageVersion = 1
)

// Message is one entry of the message queue, in either direction.
//
// For ingress (chain → pRuntime) Seq is the entry's index in the ingress log;
// for egress (pRuntime → chain) it is the sender's own sequence number, which
// the chain requires to be exactly the next one expected.
type Message struct {
	Origin  Origin
	Topic   string
	Seq     uint64
	Payload []byte
}

// Validate checks every field's form and bound.
func (m *Message) Validate() error {
	if err := m.Origin.Validate(); err != nil {
		return err
	}
	if err := ValidateTopic(m.Topic); err != nil {
		return err
	}
	if len(m.Payload) > MaxPayloadLen {
		return fmt.Errorf("%w: %w: payload: length %d exceeds limit %d", ErrMalformed, ErrTooLarge, len(m.Payload), MaxPayloadLen)
	}
	return nil
}

// Encode returns the canonical encoding:
//
//	u8 version(1) || u8 origin kind || u8 len || origin id ||
//	u8 len || topic || u64 seq || u32 len || payload
//
// It fails if the message does not validate.
func (m *Message) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	w := writer{buf: make([]byte, 0, 16+len(m.Origin.ID)+len(m.Topic)+len(m.Payload))}
	w.u8(messageVersion)
	w.u8(uint8(m.Origin.Kind))
	w.bytes8(m.Origin.ID)
	w.bytes8([]byte(m.Topic))
	w.u64(m.Seq)
	w.bytes32(m.Payload)
	return w.buf, nil
}

// DecodeMessage parses a canonical encoding strictly.
func DecodeMessage(b []byte) (Message, error) {
	if len(b) > MaxMessageLen {
		return Message{}, fmt.Errorf("%w: %w: message: %d bytes exceeds limit %d", ErrMalformed, ErrTooLarge, len(b), MaxMessageLen)
	}
	r := reader{buf: b}
	if v := r.u8("version"); r.err == nil && v != messageVersion {
		r.fail("version", "unknown version %d", v)
	}
	var m Message
	m.Origin.Kind = OriginKind(r.u8("origin kind"))
	m.Origin.ID = r.bytes8("origin id", 255)
	// The field may hold 255 bytes; ValidateTopic rejects what is too long
	// as an invalid topic rather than an oversized message.
	m.Topic = string(r.bytes8("topic", 255))
	m.Seq = r.u64("seq")
	m.Payload = r.bytes32("payload", MaxPayloadLen)
	if err := r.done(); err != nil {
		return Message{}, err
	}
	if err := m.Validate(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// SignedMessage is an egress message as carried to the chain: the exact
// encoded body, the signer's ed25519 key and its signature over
// SigningBytes(ContextMQ, chainID, Body).
//
// For a worker origin the signer is the worker itself. For the gatekeeper
// origin it is one gatekeeper; the chain accepts the body once enough distinct
// gatekeepers have signed the identical bytes.
type SignedMessage struct {
	Body      []byte
	Signer    ed25519.PublicKey
	Signature []byte
}

// Errors from VerifySigned that callers branch on.
var (
	ErrBadSignature = errors.New("protocol: signature does not verify")
	ErrSignerOrigin = errors.New("protocol: signer does not match origin")
)

// SignMessage encodes m and signs it for chainID.
func SignMessage(chainID string, key ed25519.PrivateKey, m *Message) (SignedMessage, error) {
	body, err := m.Encode()
	if err != nil {
		return SignedMessage{}, err
	}
	return SignedMessage{
		Body:      body,
		Signer:    key.Public().(ed25519.PublicKey),
		Signature: ed25519.Sign(key, SigningBytes(ContextMQ, chainID, body)),
	}, nil
}

// VerifySigned decodes the body, checks that the signer may speak for the
// origin, and verifies the signature over the exact carried bytes. Module
// origins are never accepted from outside the chain.
func VerifySigned(chainID string, sm SignedMessage) (Message, error) {
	m, err := DecodeSigned(sm)
	if err != nil {
		return Message{}, err
	}
	if !ed25519.Verify(sm.Signer, SigningBytes(ContextMQ, chainID, sm.Body), sm.Signature) {
		return Message{}, fmt.Errorf("%w: message %s seq %d", ErrBadSignature, m.Origin, m.Seq)
	}
	return m, nil
}

// DecodeSigned does everything VerifySigned does except the signature
// check: for bytes whose signature was already verified, unchanged.
func DecodeSigned(sm SignedMessage) (Message, error) {
	m, err := DecodeMessage(sm.Body)
	if err != nil {
		return Message{}, err
	}
	if len(sm.Signer) != ed25519.PublicKeySize {
		return Message{}, fmt.Errorf("%w: signer: %d bytes, want %d", ErrMalformed, len(sm.Signer), ed25519.PublicKeySize)
	}
	if len(sm.Signature) != ed25519.SignatureSize {
		return Message{}, fmt.Errorf("%w: signature: %d bytes, want %d", ErrMalformed, len(sm.Signature), ed25519.SignatureSize)
	}
	switch m.Origin.Kind {
	case OriginWorker:
		if string(m.Origin.ID) != string(sm.Signer) {
			return Message{}, fmt.Errorf("%w: %s signed by %x", ErrSignerOrigin, m.Origin, []byte(sm.Signer))
		}
	case OriginGatekeeper:
		// Any key may sign; the chain checks gatekeeper membership and quorum.
	default:
		return Message{}, fmt.Errorf("%w: %s cannot send egress messages", ErrSignerOrigin, m.Origin)
	}
	return m, nil
}

// IngressEntry is the value stored at each index of the chain's ingress log:
// the height it was appended at (used for pruning) and the encoded message.
type IngressEntry struct {
	Height  uint64
	Message []byte
}

// Encode returns u64 height || message bytes.
func (e IngressEntry) Encode() []byte {
	w := writer{buf: make([]byte, 0, 8+len(e.Message))}
	w.u64(e.Height)
	w.raw(e.Message)
	return w.buf
}

// DecodeIngressEntry parses an ingress log value and the message inside it.
func DecodeIngressEntry(b []byte) (IngressEntry, Message, error) {
	if len(b) < 8 {
		return IngressEntry{}, Message{}, fmt.Errorf("%w: ingress entry: %d bytes, want at least 8", ErrMalformed, len(b))
	}
	r := reader{buf: b}
	e := IngressEntry{Height: r.u64("height"), Message: r.buf}
	m, err := DecodeMessage(e.Message)
	if err != nil {
		return IngressEntry{}, Message{}, err
	}
	return e, m, nil
}
