package migration

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

// FuzzHandoverBundle: the decoder never panics and accepts only canonical
// bundles.
func FuzzHandoverBundle(f *testing.F) {
	good := []byte{handoverBundleVersion, 0, 0, 0, 0, 0, 0, 0, 1}
	good = append(good, bytes.Repeat([]byte{5}, crypto.MasterSecretSize)...)
	good = append(good, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0)
	good = append(good, bytes.Repeat([]byte{6}, crypto.KeySize)...)
	f.Add(good)
	f.Add([]byte{handoverBundleVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHandoverBundle(b)
		if err != nil {
			return
		}
		// Re-encode and compare: the format has one encoding.
		out := []byte{handoverBundleVersion}
		out = append(out, byte(h.first>>24), byte(h.first>>16), byte(h.first>>8), byte(h.first))
		n := uint32(len(h.secrets) / crypto.MasterSecretSize)
		out = append(out, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		out = append(out, h.secrets...)
		for i := 7; i >= 0; i-- {
			out = append(out, byte(h.cluster>>(8*i)))
		}
		out = append(out, byte(len(h.keys)>>8), byte(len(h.keys)))
		for _, k := range h.keys {
			out = append(out, byte(k.Version>>24), byte(k.Version>>16), byte(k.Version>>8), byte(k.Version))
			out = append(out, k.Key...)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("accepted a non-canonical bundle %x", b)
		}
	})
}
