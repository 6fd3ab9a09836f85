package pherry_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
)

// TestHelpExitsZero: --help prints the flags and the layering and exits 0.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := pherry.Main([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"-chain-id", "-config", "PHERRY_SOME_FLAG", "flag > environment > config file > default"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("--help does not mention %q:\n%s", want, errOut.String())
		}
	}
}

// TestValidateNamesFlag: each Validate error names the flag to fix.
func TestValidateNamesFlag(t *testing.T) {
	t.Parallel()
	valid := func() pherry.Config {
		c := pherry.DefaultConfig()
		c.NodeRPC, c.PRuntime, c.ChainID, c.KeyringDir = "tcp://127.0.0.1:26657", "http://127.0.0.1:8000", "gk-1", "/tmp/k"
		return c
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*pherry.Config)
		flag string
	}{
		{"no node", func(c *pherry.Config) { c.NodeRPC = "" }, "--node"},
		{"no pruntime", func(c *pherry.Config) { c.PRuntime = "" }, "--pruntime"},
		{"no chain id", func(c *pherry.Config) { c.ChainID = "" }, "--chain-id"},
		{"no key", func(c *pherry.Config) { c.KeyringDir = "" }, "--home"},
		{"no key name", func(c *pherry.Config) { c.KeyName = "" }, "--from"},
		{"ingress batch", func(c *pherry.Config) { c.IngressBatch = 0 }, "--ingress-batch"},
		{"egress batch", func(c *pherry.Config) { c.EgressBatch = 257 }, "--egress-batch"},
		{"poll", func(c *pherry.Config) { c.PollInterval = 0 }, "--poll"},
		{"progress", func(c *pherry.Config) { c.ProgressInterval = -time.Second }, "--progress-interval"},
		{"gas prices", func(c *pherry.Config) { c.GasPrices = "lots" }, "--gas-prices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("err = %v, want one naming %s", err, tc.flag)
			}
		})
	}
}

// TestConfigLayers: pherry reads a config file and PHERRY_ variables, a
// flag winning over both; errors reach stderr naming the key or flag, and
// exit 2 before any connection.
func TestConfigLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pherry.toml")
	if err := os.WriteFile(file, []byte("node = \"tcp://127.0.0.1:1\"\npruntime = \"http://127.0.0.1:1\"\nhome = \"/nonexistent\"\npoll = \"2s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := pherry.Main(args, &out, &errOut)
		return code, errOut.String()
	}
	t.Run("chain id missing from every layer", func(t *testing.T) {
		if code, errOut := run("--config", file); code != 2 || !strings.Contains(errOut, "--chain-id: required") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("env fills what the file lacks", func(t *testing.T) {
		t.Setenv("PHERRY_CHAIN_ID", "gk-1")
		t.Setenv("PHERRY_INGRESS_BATCH", "5000")
		if code, errOut := run("--config", file); code != 2 || !strings.Contains(errOut, "--ingress-batch: 5000") {
			t.Fatalf("exit %d, stderr %q; want the env's chain id taken and its batch refused", code, errOut)
		}
	})
	t.Run("flag over env", func(t *testing.T) {
		t.Setenv("PHERRY_CHAIN_ID", "gk-1")
		t.Setenv("PHERRY_INGRESS_BATCH", "5000")
		if code, errOut := run("--config", file, "--ingress-batch", "10", "--gas-prices", "x"); code != 2 || !strings.Contains(errOut, "--gas-prices") {
			t.Fatalf("exit %d, stderr %q; want the flag's batch taken and the bad gas price named", code, errOut)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.toml")
		if err := os.WriteFile(bad, []byte("chain-id = \"gk-1\"\nmnemonic = \"abandon abandon\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, errOut := run("--config", bad)
		if code != 2 || !strings.Contains(errOut, `unknown key "mnemonic"`) || strings.Contains(errOut, "abandon") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("bad log format", func(t *testing.T) {
		t.Setenv("PHERRY_LOG_FORMAT", "xml")
		if code, errOut := run("--config", file, "--chain-id", "gk-1"); code != 2 || !strings.Contains(errOut, "--log-format") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}
