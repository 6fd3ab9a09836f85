package pruntime

import (
	"bytes"
	"strings"
	"testing"
	"time"

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
		{"ready lag under a second", func(c *Config) { c.ReadyMaxLag = time.Millisecond }, "ReadyMaxLag"},
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
