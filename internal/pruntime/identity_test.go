package pruntime

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// The identity is created once, sealed, and reused; a start for another
// chain, operator or trust root, or under another measurement, is refused
// rather than silently re-keyed.
func TestIdentityLifecycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := validConfig(dir)
	tee, err := OpenSimTEE(dir, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	first, created, err := loadOrCreateIdentity(dir, tee, cfg)
	if err != nil || !created {
		t.Fatalf("create: created=%t err=%v", created, err)
	}
	sealed, err := os.ReadFile(filepath.Join(dir, IdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, first.Signing.Seed()) {
		t.Fatal("the identity file holds the signing seed in the clear")
	}
	again, created, err := loadOrCreateIdentity(dir, tee, cfg)
	if err != nil || created || !bytes.Equal(again.PublicKey(), first.PublicKey()) {
		t.Fatalf("reload: created=%t err=%v same key=%t", created, err, bytes.Equal(again.PublicKey(), first.PublicKey()))
	}
	info := again.RegistrationInfo(Version)
	if _, err := info.Encode(); err != nil {
		t.Fatalf("registration info of a reloaded identity: %v", err)
	}

	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"other chain", func(c *Config) { c.ChainID = "other" }, "chain"},
		{"other operator", func(c *Config) { c.Operator = testOtherOperator }, "operator"},
		{"other trust root", func(c *Config) { c.TrustRoot.Hash = bytes.Repeat([]byte{2}, 32) }, "trust root"},
	} {
		other := cfg
		tc.edit(&other)
		if _, _, err := loadOrCreateIdentity(dir, tee, other); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one about the %s", tc.name, err, tc.want)
		}
	}

	otherTEE, err := OpenSimTEE(dir, bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreateIdentity(dir, otherTEE, cfg); err == nil {
		t.Error("another measurement unsealed the identity")
	}
}

// noSealTEE is a backend without a sealing key, as TDX is without a key
// source (tee/tdx): Seal and Unseal refuse.
type noSealTEE struct{ tee.TEE }

func (noSealTEE) Seal(string, []byte) ([]byte, error) {
	return nil, fmt.Errorf("%w: test backend", tee.ErrNoSealingKey)
}

func (noSealTEE) Unseal(string, []byte) ([]byte, error) {
	return nil, fmt.Errorf("%w: test backend", tee.ErrNoSealingKey)
}

// A backend that cannot seal stops the pRuntime at its first start, before
// an identity exists anywhere outside the enclave: nothing is written and
// nothing is created in the clear instead (docs: "TDX has no sealing key").
func TestIdentityRefusedWithoutSealingKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sim, err := OpenSimTEE(dir, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	id, err := OpenIdentity(validConfig(dir), noSealTEE{sim})
	if !errors.Is(err, tee.ErrNoSealingKey) {
		t.Fatalf("OpenIdentity = %v, %v; want ErrNoSealingKey", id, err)
	}
	if _, err := os.Stat(filepath.Join(dir, IdentityFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("identity file after a refused start: %v", err)
	}
}
