package ics23_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	f := sharedFixture()
	real := f.query(t, "mq", mqKey(9)).keyProof
	// A minimal existence proof: exist { key "k" value "v" leaf { hash 1 } }.
	leaf := []byte{0x1a, 0x02, 0x08, 0x01}
	exist := func(body ...byte) []byte { return append([]byte{0x0a, byte(len(body))}, body...) }
	kv := []byte{0x0a, 0x01, 'k', 0x12, 0x01, 'v'}
	cases := []struct {
		name string
		b    []byte
		want error // nil: decodes
	}{
		{name: "real proof", b: real},
		{name: "minimal", b: exist(append(bytes.Clone(kv), leaf...)...)},
		{name: "empty exist", b: exist()},
		{name: "empty leaf", b: exist(append(bytes.Clone(kv), 0x1a, 0x00)...)},
		{name: "empty inner op", b: exist(append(bytes.Clone(kv), 0x22, 0x00, 0x22, 0x00)...)},
		{name: "negative enum, sign-extended", b: exist(0x1a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)},
		{name: "empty input", b: nil, want: ics23.ErrMalformed},
		{name: "oversized", b: make([]byte, ics23.MaxProofLen+1), want: ics23.ErrMalformed},
		{name: "batch", b: []byte{0x1a, 0x00}, want: ics23.ErrUnsupported},
		{name: "compressed", b: []byte{0x22, 0x00}, want: ics23.ErrUnsupported},
		{name: "exist and nonexist", b: []byte{0x0a, 0x00, 0x12, 0x00}, want: ics23.ErrMalformed},
		{name: "exist twice", b: []byte{0x0a, 0x00, 0x0a, 0x00}, want: ics23.ErrMalformed},
		{name: "unknown field", b: []byte{0x2a, 0x00}, want: ics23.ErrMalformed},
		{name: "unknown field inside", b: exist(0x2a, 0x00), want: ics23.ErrMalformed},
		{name: "fields out of order", b: exist(0x12, 0x01, 'v', 0x0a, 0x01, 'k'), want: ics23.ErrMalformed},
		{name: "key twice", b: exist(0x0a, 0x01, 'k', 0x0a, 0x01, 'k'), want: ics23.ErrMalformed},
		{name: "path not contiguous", b: exist(0x22, 0x00, 0x1a, 0x00, 0x22, 0x00), want: ics23.ErrMalformed},
		{name: "empty key present", b: exist(0x0a, 0x00), want: ics23.ErrMalformed},
		{name: "zero enum present", b: exist(0x1a, 0x02, 0x08, 0x00), want: ics23.ErrMalformed},
		{name: "enum beyond int32", b: exist(0x1a, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10), want: ics23.ErrMalformed},
		{name: "negative enum not sign-extended", b: exist(0x1a, 0x06, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f), want: ics23.ErrMalformed},
		{name: "non-minimal varint", b: exist(0x1a, 0x03, 0x08, 0x81, 0x00), want: ics23.ErrMalformed},
		{name: "non-minimal tag", b: []byte{0x8a, 0x00, 0x00}, want: ics23.ErrMalformed},
		{name: "non-minimal length", b: []byte{0x0a, 0x80, 0x00}, want: ics23.ErrMalformed},
		{name: "wrong wire type", b: exist(0x08, 0x01), want: ics23.ErrMalformed},
		{name: "fixed64 wire type", b: exist(0x09, 1, 2, 3, 4, 5, 6, 7, 8), want: ics23.ErrMalformed},
		{name: "group wire type", b: []byte{0x0b, 0x0c}, want: ics23.ErrMalformed},
		{name: "truncated", b: real[:len(real)-1], want: ics23.ErrMalformed},
		{name: "trailing byte", b: append(bytes.Clone(real), 0), want: ics23.ErrMalformed},
		{name: "path over the limit", b: exist(bytes.Repeat([]byte{0x22, 0x00}, ics23.MaxPathLen+1)...), want: ics23.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ics23.Decode(tc.b)
			_, refOK := refDecode(tc.b)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !refOK {
					t.Fatal("ics23 does not take this for a canonical encoding")
				}
				if (p.Exist == nil) == (p.Nonexist == nil) {
					t.Fatalf("decoded %+v", p)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode error %v, want %v", err, tc.want)
			}
			if refOK && !errors.Is(err, ics23.ErrUnsupported) && tc.name != "path over the limit" && tc.name != "empty input" {
				t.Fatal("ics23 takes this for a canonical encoding")
			}
		})
	}
}
