package pherry

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
	dir := newFileKeyring(t)
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

// TestPassphraseInput: the file keyring's passphrase comes from a file's
// first line or a named variable, and neither the errors nor anything else
// repeat it; with neither flag it is stdin.
func TestPassphraseInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(r io.Reader) string {
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Setenv("GK_TEST_PASS", "passphrase1")
	t.Setenv("GK_TEST_EMPTY", "")
	t.Setenv("GK_TEST_TWO_LINES", "secret-a\nsecret-b")
	stdin := strings.NewReader("from stdin\n")

	for _, tc := range []struct {
		name, file, env, want string
	}{
		{"file", write("pass", "passphrase1\n"), "", "passphrase1\n"},
		{"file without newline, CRLF trimmed", write("crlf", "passphrase1\r\nignored\n"), "", "passphrase1\n"},
		{"env", "", "GK_TEST_PASS", "passphrase1\n"},
		{"neither", "", "", "from stdin\n"},
	} {
		in, err := passphraseInput(tc.file, tc.env, stdin)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := read(in); got != tc.want {
			t.Fatalf("%s: read %q, want %q", tc.name, got, tc.want)
		}
	}

	for _, tc := range []struct {
		name, file, env, flag string
	}{
		{"both", write("p2", "secret-x\n"), "GK_TEST_PASS", "--keyring-passphrase-file and --keyring-passphrase-env"},
		{"missing file", filepath.Join(dir, "nope"), "", "--keyring-passphrase-file"},
		{"empty first line", write("empty", "\nsecret-y\n"), "", "--keyring-passphrase-file"},
		{"oversized file", write("big", "secret-z"+strings.Repeat("x", maxPassphraseFile)), "", "--keyring-passphrase-file"},
		{"empty env", "", "GK_TEST_EMPTY", "--keyring-passphrase-env"},
		{"two lines in env", "", "GK_TEST_TWO_LINES", "--keyring-passphrase-env"},
	} {
		_, err := passphraseInput(tc.file, tc.env, stdin)
		if err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Fatalf("%s: %v, want an error naming %s", tc.name, err, tc.flag)
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "passphrase1") {
			t.Fatalf("%s: the error repeats the passphrase: %v", tc.name, err)
		}
	}
}

// TestFileKeyringPassphraseFile: Main's flags open a file keyring with the
// passphrase from a file, through New as pherry runs it.
func TestFileKeyringPassphraseFile(t *testing.T) {
	dir := newFileKeyring(t)
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte("passphrase1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := passphraseInput(passFile, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.NodeRPC, cfg.PRuntime, cfg.ChainID = "tcp://127.0.0.1:1", "http://127.0.0.1:1", "test-chain"
	cfg.KeyringBackend, cfg.KeyringDir, cfg.KeyringInput = keyring.BackendFile, dir, in
	if _, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("file keyring with --keyring-passphrase-file: %v", err)
	}
}

// newFileKeyring makes a file keyring with passphrase "passphrase1" holding
// an "operator" key, and returns its directory.
func newFileKeyring(t *testing.T) string {
	t.Helper()
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
	return dir
}
