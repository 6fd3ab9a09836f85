package pruntime

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func validConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.ChainID = "test-chain"
	cfg.Operator = testOperator
	cfg.TrustRoot = protocol.TrustRoot{Hash: bytes.Repeat([]byte{1}, 32)}
	return cfg
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"valid with endpoint", func(c *Config) { c.PublicEndpoint = "https://w.example:8000" }, ""},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "DataDir"},
		{"no listen", func(c *Config) { c.Listen = "" }, "Listen"},
		{"no sync concurrency", func(c *Config) { c.SyncConcurrency = 0 }, "SyncConcurrency"},
		{"sync concurrency over the bound", func(c *Config) { c.SyncConcurrency = MaxSyncConcurrency + 1 }, "SyncConcurrency"},
		{"valid sync listener", func(c *Config) { c.SyncListen = "127.0.0.1:8002" }, ""},
		{"sync listener not host:port", func(c *Config) { c.SyncListen = "8002" }, "SyncListen"},
		{"sync listener on the RPC address", func(c *Config) { c.SyncListen = c.Listen }, "SyncListen"},
		{"no chain id", func(c *Config) { c.ChainID = "" }, "ChainID"},
		{"long chain id", func(c *Config) { c.ChainID = strings.Repeat("c", 51) }, "ChainID"},
		{"short trust hash", func(c *Config) { c.TrustRoot.Hash = []byte{1} }, "TrustRoot"},
		{"no operator", func(c *Config) { c.Operator = "" }, "Operator"},
		{"keep one checkpoint", func(c *Config) { c.KeepCheckpoints = 1 }, "KeepCheckpoints"},
		{"checkpoint every zero", func(c *Config) { c.CheckpointEvery = 0 }, "CheckpointEvery"},
		{"checkpoint every zero entries", func(c *Config) { c.CheckpointEveryEntries = 0 }, "CheckpointEveryEntries"},
		{"endpoint not a URL", func(c *Config) { c.PublicEndpoint = "ftp://x" }, "PublicEndpoint"},
		{"endpoint without host", func(c *Config) { c.PublicEndpoint = "http://" }, "PublicEndpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig(t.TempDir())
			tc.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("valid config rejected: %v", err)
			case tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field)):
				t.Fatalf("err = %v, want one naming %s", err, tc.field)
			}
		})
	}
}

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
