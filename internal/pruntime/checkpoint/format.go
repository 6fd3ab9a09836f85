package checkpoint

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// The plaintext inside the seal:
//
//	magic "GKCKPT" (6) || version u16 || height u64 || length u32 || payload || SHA-256 (32)
//
// Integers are big-endian; the digest covers every byte before it.
const (
	magic         = "GKCKPT"
	formatVersion = 1

	headerLen = len(magic) + 2 + 8 + 4
	digestLen = sha256.Size
	// framingLen is what the format adds to a payload.
	framingLen = headerLen + digestLen
)

// MaxPayload bounds a checkpoint's payload, on Save and when reading one back
// from the host's disk. It fits the format's u32 length with room to spare.
const MaxPayload = 256 << 20

// encode frames payload for height. The caller has checked the size bound.
func encode(height uint64, payload []byte) []byte {
	b := make([]byte, 0, framingLen+len(payload))
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, formatVersion)
	b = binary.BigEndian.AppendUint64(b, height)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// decode parses the plaintext of an opened seal strictly: right magic and
// version, length within MaxPayload and equal to what follows, no trailing
// bytes, matching digest. The returned payload aliases b. Every error wraps
// ErrMalformed and names the field, never the bytes.
//
// Input reaching decode has passed the AEAD, so a failure here means a
// writer with our sealing key produced a bad encoding — a format bug or a
// version skew — not a flipped bit on disk.
func decode(b []byte) (height uint64, payload []byte, err error) {
	if len(b) < framingLen {
		return 0, nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte framing", ErrMalformed, len(b), framingLen)
	}
	if string(b[:len(magic)]) != magic {
		return 0, nil, fmt.Errorf("%w: magic: not a checkpoint", ErrMalformed)
	}
	rest := b[len(magic):]
	if v := binary.BigEndian.Uint16(rest); v != formatVersion {
		return 0, nil, fmt.Errorf("%w: version: %d, want %d", ErrMalformed, v, formatVersion)
	}
	height = binary.BigEndian.Uint64(rest[2:])
	n := binary.BigEndian.Uint32(rest[10:])
	if n > MaxPayload {
		return 0, nil, fmt.Errorf("%w: %w: length: %d exceeds %d", ErrMalformed, ErrTooLarge, n, MaxPayload)
	}
	if want := framingLen + int(n); len(b) != want {
		return 0, nil, fmt.Errorf("%w: length: %d-byte payload needs %d bytes in all, have %d", ErrMalformed, n, want, len(b))
	}
	body := b[:len(b)-digestLen]
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(sum[:], b[len(body):]) != 1 {
		return 0, nil, fmt.Errorf("%w: digest: mismatch", ErrMalformed)
	}
	return height, body[headerLen:], nil
}
