package protocol

import (
	"fmt"
	"math"
)

// MaxLengthPrefixedPart is the largest part AppendLengthPrefixed accepts: its
// length must fit the two-byte prefix.
const MaxLengthPrefixedPart = math.MaxUint16

// AppendLengthPrefixed appends each part to dst as
//
//	u16 big-endian len(part) || part
//
// and returns the extended slice. The prefixes make the concatenation
// injective for a given number of parts and, because every part carries its
// own length, for any sequence of parts: ("ab", "c") and ("a", "bc") encode
// differently. A part longer than MaxLengthPrefixedPart is an error (matching
// ErrMalformed and ErrTooLarge) and then dst is returned unchanged.
func AppendLengthPrefixed(dst []byte, parts ...[]byte) ([]byte, error) {
	n := 0
	for i, p := range parts {
		if len(p) > MaxLengthPrefixedPart {
			return dst, fmt.Errorf("%w: %w: part %d: length %d exceeds limit %d", ErrMalformed, ErrTooLarge, i, len(p), MaxLengthPrefixedPart)
		}
		n += 2 + len(p)
	}
	w := writer{buf: dst}
	if cap(w.buf)-len(w.buf) < n {
		w.buf = append(make([]byte, 0, len(dst)+n), dst...)
	}
	for _, p := range parts {
		w.bytes16(p)
	}
	return w.buf, nil
}
