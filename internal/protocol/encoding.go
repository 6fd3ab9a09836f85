package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors returned (wrapped, with the field at fault) by the decoders and
// validators of this package. ErrTooLarge and ErrInvalidTopic errors also
// match ErrMalformed, so callers may branch coarsely or finely.
var (
	ErrMalformed    = errors.New("protocol: malformed encoding")
	ErrTooLarge     = errors.New("protocol: field exceeds its size bound")
	ErrInvalidTopic = errors.New("protocol: invalid topic")
)

// writer appends canonical big-endian, length-prefixed fields.
type writer struct{ buf []byte }

func (w *writer) u8(v uint8)   { w.buf = append(w.buf, v) }
func (w *writer) u16(v uint16) { w.buf = binary.BigEndian.AppendUint16(w.buf, v) }
func (w *writer) u32(v uint32) { w.buf = binary.BigEndian.AppendUint32(w.buf, v) }
func (w *writer) u64(v uint64) { w.buf = binary.BigEndian.AppendUint64(w.buf, v) }
func (w *writer) raw(b []byte) { w.buf = append(w.buf, b...) }

// bytes8 writes a field of at most 255 bytes with a one-byte length prefix.
func (w *writer) bytes8(b []byte) { w.u8(uint8(len(b))); w.raw(b) }

// bytes16 writes a field of at most 65535 bytes with a two-byte length prefix.
func (w *writer) bytes16(b []byte) { w.u16(uint16(len(b))); w.raw(b) }

// bytes32 writes a field with a four-byte length prefix.
func (w *writer) bytes32(b []byte) { w.u32(uint32(len(b))); w.raw(b) }

// reader consumes a canonical encoding; the first error sticks and names the field.
type reader struct {
	buf []byte
	err error
}

func (r *reader) fail(field, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrMalformed, field, fmt.Sprintf(format, args...))
	}
}

func (r *reader) tooLarge(field string, n, max int) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %w: %s: length %d exceeds limit %d", ErrMalformed, ErrTooLarge, field, n, max)
	}
}

func (r *reader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf) < n {
		r.fail(field, "truncated: need %d bytes, have %d", n, len(r.buf))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

func (r *reader) u8(field string) uint8 {
	b := r.take(field, 1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) u16(field string) uint16 {
	b := r.take(field, 2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *reader) u32(field string) uint32 {
	b := r.take(field, 4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *reader) u64(field string) uint64 {
	b := r.take(field, 8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// bytesN reads a length-prefixed field and enforces max before slicing.
func (r *reader) bytes8(field string, max int) []byte { return r.bounded(field, int(r.u8(field)), max) }
func (r *reader) bytes16(field string, max int) []byte {
	return r.bounded(field, int(r.u16(field)), max)
}
func (r *reader) bytes32(field string, max int) []byte {
	n := r.u32(field)
	if uint64(n) > uint64(max) {
		r.tooLarge(field, int(n), max)
		return nil
	}
	return r.take(field, int(n))
}

func (r *reader) bounded(field string, n, max int) []byte {
	if r.err != nil {
		return nil
	}
	if n > max {
		r.tooLarge(field, n, max)
		return nil
	}
	return r.take(field, n)
}

// done reports the sticky error, or an error if bytes remain.
func (r *reader) done() error {
	if r.err == nil && len(r.buf) != 0 {
		r.fail("end", "%d trailing bytes", len(r.buf))
	}
	return r.err
}

// SigningBytes returns the bytes a signer signs for an object of the given
// context on the given chain:
//
//	u16 len(context) || context || u16 len(chainID) || chainID || body
//
// Length prefixes make the concatenation unambiguous.
func SigningBytes(context, chainID string, body []byte) []byte {
	w := writer{buf: make([]byte, 0, 4+len(context)+len(chainID)+len(body))}
	w.bytes16([]byte(context))
	w.bytes16([]byte(chainID))
	w.raw(body)
	return w.buf
}
