package pruntime

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Operators as the chain spells them: bech32 "gk" accounts of 20 bytes (a
// key's address) and 32 bytes (a derived account).
const (
	testOperator      = "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z9x4gx"
	testOtherOperator = "gk1gpq5ys6yg4rywjzfff95cn2wfag9z5jnlhhgas"
	testOperator32    = "gk15zs69gay5kn2029f4246etdw47ctrv4nkj6mddachxath09ah6lspg7ey7"
)

func TestValidateOperator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, op string
		ok       bool
	}{
		{"20-byte account", testOperator, true},
		{"32-byte account", testOperator32, true},
		{"empty", "", false},
		{"not bech32", "gk1operator", false},
		{"bad checksum", "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", false},
		{"another chain's prefix", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", false},
		{"validator operator prefix", "gkvaloper1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc52kf7w2", false},
		{"19 bytes", "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyccnmqlc", false},
		{"upper case", strings.ToUpper(testOperator), false},
		{"mixed case", "GK" + testOperator[2:], false},
		{"leading space", " " + testOperator, false},
		{"trailing newline", testOperator + "\n", false},
		{"too long", "gk1" + strings.Repeat("q", 200), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateOperator(tc.op)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("rejected: %v", err)
			case !tc.ok && !errors.Is(err, ErrInvalidOperator):
				t.Fatalf("err = %v, want ErrInvalidOperator", err)
			}
			cfg := validConfig(t.TempDir())
			cfg.Operator = tc.op
			if err := cfg.Validate(); (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "--operator")) {
				t.Fatalf("Config.Validate: %v", err)
			}
		})
	}
}

// An operator typo would be sealed into the identity for good: the chain
// refuses the registration (the signer is not the sealed operator) and the
// identity can never change. Every way to create an identity refuses it
// first and leaves no identity file behind (`pruntime attest`: package cli).
func TestInvalidOperatorSealsNothing(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"gk1operator", strings.ToUpper(testOperator), "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"} {
		t.Run("New "+op, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sim, err := OpenSimTEE(dir, bytes.Repeat([]byte{7}, 32))
			if err != nil {
				t.Fatal(err)
			}
			cfg := validConfig(dir)
			cfg.Operator = op
			if _, err := newRuntime(cfg, sim, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrInvalidOperator) {
				t.Fatalf("New: err = %v, want ErrInvalidOperator", err)
			}
			if _, _, err := loadOrCreateIdentity(dir, sim, cfg); !errors.Is(err, ErrInvalidOperator) {
				t.Fatalf("loadOrCreateIdentity: err = %v, want ErrInvalidOperator", err)
			}
			wantNoIdentity(t, dir)
		})
	}
}

func wantNoIdentity(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, IdentityFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("identity file after an invalid operator: %v", err)
	}
}
