package crypto_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// FuzzOpen: Open never panics, fails only with this package's sentinels, and
// opens nothing but the one genuine message (the known-answer vector). Seeds
// come from testdata/fuzz/FuzzOpen and from f.Add below.
func FuzzOpen(f *testing.F) {
	priv := testReceiveKey(f, 0x42)
	info := testInfo(priv)
	genuine := readOpenVector(f)
	f.Add(genuine)
	f.Add(genuine[:gkcrypto.SealOverhead])
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, sealed []byte) {
		pt, err := gkcrypto.Open(priv, info, sealed)
		if err == nil {
			if !bytes.Equal(sealed, genuine) {
				t.Fatalf("forged message opened to %x", pt)
			}
			if string(pt) != katOpenPlaintext {
				t.Fatalf("genuine message opened to %q", pt)
			}
			return
		}
		if !errors.Is(err, gkcrypto.ErrMalformed) && !errors.Is(err, gkcrypto.ErrDecrypt) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if pt != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}

// FuzzDerivePathEncoding: two different splittings of the same bytes (the
// case plain concatenation gets wrong), and a path over other bytes, never
// share an encoding or a key; equal paths always do. It also checks that
// Derive is HKDF over exactly that encoding and that the encoding decodes
// back to its path.
func FuzzDerivePathEncoding(f *testing.F) {
	f.Add([]byte("abc"), []byte{2}, []byte{1}, []byte("abc"))
	f.Add([]byte("abc"), []byte{3, 0}, []byte{3}, []byte("ab"))
	f.Add([]byte("a\x00\x01b"), []byte{1}, []byte{}, []byte("a"))
	f.Add([]byte{}, []byte{0, 0}, []byte{0}, []byte{})
	secret := bytes.Repeat([]byte{0x11}, 32)
	f.Fuzz(func(t *testing.T, data, cutsA, cutsB, other []byte) {
		a, b, c := split(data, cutsA), split(data, cutsB), split(other, cutsA)
		type enc struct {
			path [][]byte
			info []byte
			key  [32]byte
		}
		var encs []enc
		for _, p := range [][][]byte{a, b, c} {
			info, err := protocol.AppendLengthPrefixed(nil, p...)
			if err != nil {
				t.Fatal(err)
			}
			if got := decodeLengthPrefixed(t, info); !pathsEqual(got, p) {
				t.Fatalf("encoding of %q decodes to %q", p, got)
			}
			key, err := gkcrypto.Derive(secret, p...)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hkdf.Key(sha256.New, secret, []byte(protocol.ContextKDF), string(info), 32)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key[:], want) {
				t.Fatalf("Derive(%q) is not HKDF over its encoding", p)
			}
			encs = append(encs, enc{p, info, key})
		}
		for i := range encs {
			for j := i + 1; j < len(encs); j++ {
				x, y := encs[i], encs[j]
				same := pathsEqual(x.path, y.path)
				if bytes.Equal(x.info, y.info) != same || (x.key == y.key) != same {
					t.Fatalf("paths %q and %q: equal %v, encodings equal %v, keys equal %v",
						x.path, y.path, same, bytes.Equal(x.info, y.info), x.key == y.key)
				}
			}
		}
	})
}

// split cuts data into parts whose lengths are the cut bytes (clamped to what
// is left); what remains after the cuts is one more part. There is always at
// least one part, and parts may be empty.
func split(data, cuts []byte) [][]byte {
	var parts [][]byte
	for _, c := range cuts {
		n := min(int(c), len(data))
		parts = append(parts, data[:n:n])
		data = data[n:]
	}
	if len(data) > 0 || len(parts) == 0 {
		parts = append(parts, data)
	}
	return parts
}

func decodeLengthPrefixed(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var parts [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			t.Fatalf("dangling byte")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			t.Fatalf("truncated part")
		}
		parts = append(parts, b[2:2+n])
		b = b[2+n:]
	}
	return parts
}

func pathsEqual(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y []byte) bool { return bytes.Equal(x, y) })
}
