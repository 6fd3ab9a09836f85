package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
)

// testOperator is a valid operator address (bech32, prefix gk).
const testOperator = "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z9x4gx"

func TestParseTrustRoot(t *testing.T) {
	t.Parallel()
	h := strings.Repeat("ab", 32)
	tests := []struct {
		name        string
		genesisVals string
		height      uint64
		hash        string
		want        protocol.TrustRoot
		ok          bool
	}{
		{"genesis validators", h, 0, "", protocol.TrustRoot{Height: 0, Hash: bytes.Repeat([]byte{0xab}, 32)}, true},
		{"trusted header", "", 42, h, protocol.TrustRoot{Height: 42, Hash: bytes.Repeat([]byte{0xab}, 32)}, true},
		{"both", h, 42, h, protocol.TrustRoot{}, false},
		{"neither", "", 0, "", protocol.TrustRoot{}, false},
		{"height without hash", "", 42, "", protocol.TrustRoot{}, false},
		{"short genesis hash", "abcd", 0, "", protocol.TrustRoot{}, false},
		{"hash not hex", "", 42, strings.Repeat("zz", 32), protocol.TrustRoot{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseTrustRoot(tc.genesisVals, tc.height, tc.hash)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%t", err, tc.ok)
			}
			if tc.ok && (got.Height != tc.want.Height || !bytes.Equal(got.Hash, tc.want.Hash)) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestHelpExitsZero: asking for help prints the usage and succeeds; a
// wrong command or flag still fails with 2.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--help"}, 0},
		{[]string{"help"}, 0},
		{[]string{"run", "--help"}, 0},
		{[]string{"attest", "-h"}, 0},
		{nil, 2},
		{[]string{"serve"}, 2},
		{[]string{"run", "--no-such-flag"}, 2},
	} {
		var out, errOut strings.Builder
		if code := Main(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), "usage") && !strings.Contains(errOut.String(), "-data-dir") {
			t.Errorf("pruntime %v: exit %d (want %d), stderr %q", tc.args, code, tc.code, errOut.String())
		}
	}
}

// An operator typo would be sealed into the identity for good (see
// pruntime's TestInvalidOperatorSealsNothing): `pruntime attest` refuses it
// first and leaves no identity file behind.
func TestAttestInvalidOperatorSealsNothing(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"gk1operator", strings.ToUpper(testOperator), "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			data, dump := t.TempDir(), filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			code := Main([]string{"attest", "--dump", dump, "--data-dir", data, "--chain-id", "gk-1", "--operator", op,
				"--genesis-validators-hash", strings.Repeat("11", 32), "--tee", "sim"}, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "--operator") {
				t.Fatalf("exit %d, stderr %q; want 2 and an error naming --operator", code, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(data, pruntime.IdentityFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("identity file after an invalid operator: %v", err)
			}
		})
	}
}
