package pherry

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TestFileKeyring: the documented `--keyring-backend file` asks for the
// keyring's passphrase. pherry reads it from KeyringInput (stdin in Main);
// with nothing to read, New fails with an error naming the key (it used to
// panic on the nil reader it gave the SDK).
func TestFileKeyring(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cdc, _, err := Codec()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendFile, dir, strings.NewReader("passphrase1\npassphrase1\n"), cdc)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := kr.NewMnemonic("operator", keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   io.Reader
		ok   bool
	}{
		{"no input", nil, false},
		{"empty input", strings.NewReader(""), false},
		{"the passphrase", strings.NewReader("passphrase1\n"), true},
	} {
		cfg := DefaultConfig()
		cfg.NodeRPC, cfg.PRuntime, cfg.ChainID = "tcp://127.0.0.1:1", "http://127.0.0.1:1", "test-chain"
		cfg.KeyringBackend, cfg.KeyringDir, cfg.KeyringInput = keyring.BackendFile, dir, tc.in
		_, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		switch {
		case tc.ok && err != nil:
			t.Fatalf("%s: %v", tc.name, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), `pherry: operator key "operator"`)):
			t.Fatalf("%s: %v, want an error naming the operator key", tc.name, err)
		}
	}
}

// TestHelpExitsZero: --help prints the usage and succeeds.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	if code := Main([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-pruntime") {
		t.Fatalf("pherry --help: exit %d, usage %q", code, errOut.String())
	}
}
