package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestParseIdentityKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xab}, protocol.IdentityKeyLen)
	long := strings.Repeat("z", 10_000)
	for _, tc := range []struct {
		name    string
		in      string
		wantErr string
	}{
		{"hex", hex.EncodeToString(key), ""},
		{"base64", base64.StdEncoding.EncodeToString(key), ""},
		{"hex one byte short", hex.EncodeToString(key[1:]), "is not a 32-byte key"},
		{"base64 one byte long", base64.StdEncoding.EncodeToString(append(key, 1)), "is not a 32-byte key"},
		{"empty", "", "is not a 32-byte key"},
		{"huge input is cut in the error", long, "… (10000 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := protocol.ParseIdentityKey(tc.in)
			if tc.wantErr == "" {
				if err != nil || !bytes.Equal(got, key) {
					t.Fatalf("got %x, %v; want %x", got, err, key)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error repeats %d bytes of its input", len(err.Error()))
			}
		})
	}
}
