package protocol_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestAppendLengthPrefixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dst   []byte
		parts [][]byte
		want  string // hex
	}{
		{name: "no parts", want: ""},
		{name: "one empty part", parts: [][]byte{{}}, want: "0000"},
		{name: "nil part", parts: [][]byte{nil}, want: "0000"},
		{name: "ab,c", parts: [][]byte{[]byte("ab"), []byte("c")}, want: "00026162" + "000163"},
		{name: "a,bc", parts: [][]byte{[]byte("a"), []byte("bc")}, want: "000161" + "00026263"},
		{name: "appends to dst", dst: []byte{0xff}, parts: [][]byte{[]byte("x")}, want: "ff" + "000178"},
		{name: "max part", parts: [][]byte{make([]byte, protocol.MaxLengthPrefixedPart)}, want: "ffff" + hex.EncodeToString(make([]byte, protocol.MaxLengthPrefixedPart))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.AppendLengthPrefixed(tt.dst, tt.parts...)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Fatalf("got %x, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendLengthPrefixedTooLarge(t *testing.T) {
	t.Parallel()
	dst := []byte{1, 2, 3}
	got, err := protocol.AppendLengthPrefixed(dst, []byte("ok"), make([]byte, protocol.MaxLengthPrefixedPart+1))
	if !errors.Is(err, protocol.ErrTooLarge) || !errors.Is(err, protocol.ErrMalformed) {
		t.Fatalf("err = %v, want ErrTooLarge and ErrMalformed", err)
	}
	if !bytes.Equal(got, dst) {
		t.Fatalf("dst changed on error: %x", got)
	}
}

// The prefixes keep different splittings of the same bytes apart.
func TestAppendLengthPrefixedUnambiguous(t *testing.T) {
	t.Parallel()
	a, _ := protocol.AppendLengthPrefixed(nil, []byte("ab"), []byte("c"))
	b, _ := protocol.AppendLengthPrefixed(nil, []byte("a"), []byte("bc"))
	c, _ := protocol.AppendLengthPrefixed(nil, []byte("abc"))
	d, _ := protocol.AppendLengthPrefixed(nil, []byte("abc"), nil)
	seen := map[string]bool{}
	for _, e := range [][]byte{a, b, c, d} {
		if seen[string(e)] {
			t.Fatalf("collision: %x", e)
		}
		seen[string(e)] = true
	}
}
