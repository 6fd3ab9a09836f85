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
		{"no data dir", func(c *Config) { c.DataDir = "" }, "--data-dir"},
		{"no listen", func(c *Config) { c.Listen = "" }, "--listen"},
		{"no sync concurrency", func(c *Config) { c.SyncConcurrency = 0 }, "--sync-concurrency"},
		{"sync concurrency over the bound", func(c *Config) { c.SyncConcurrency = MaxSyncConcurrency + 1 }, "--sync-concurrency"},
		{"valid sync listener", func(c *Config) { c.SyncListen = "127.0.0.1:8002" }, ""},
		{"sync listener not host:port", func(c *Config) { c.SyncListen = "8002" }, "--sync-listen"},
		{"sync listener on the RPC address", func(c *Config) { c.SyncListen = c.Listen }, "--sync-listen"},
		{"no chain id", func(c *Config) { c.ChainID = "" }, "--chain-id"},
		{"long chain id", func(c *Config) { c.ChainID = strings.Repeat("c", 51) }, "--chain-id"},
		{"short trust hash", func(c *Config) { c.TrustRoot.Hash = []byte{1} }, "--genesis-validators-hash or --trust-hash"},
		{"no operator", func(c *Config) { c.Operator = "" }, "--operator"},
		{"keep one checkpoint", func(c *Config) { c.KeepCheckpoints = 1 }, "--keep-checkpoints"},
		{"checkpoint every zero", func(c *Config) { c.CheckpointEvery = 0 }, "--checkpoint-every:"},
		{"checkpoint every zero entries", func(c *Config) { c.CheckpointEveryEntries = 0 }, "--checkpoint-every-entries"},
		{"ready lag under a second", func(c *Config) { c.ReadyMaxLag = time.Millisecond }, "--ready-max-lag"},
		{"endpoint not a URL", func(c *Config) { c.PublicEndpoint = "ftp://x" }, "--endpoint"},
		{"endpoint without host", func(c *Config) { c.PublicEndpoint = "http://" }, "--endpoint"},
		{"benchmark duty zero", func(c *Config) { c.BenchmarkDuty = 0 }, "--benchmark-duty"},
		{"benchmark duty over 100", func(c *Config) { c.BenchmarkDuty = 101 }, "--benchmark-duty"},
		{"short predecessor", func(c *Config) { c.Predecessor = []byte{1} }, "--predecessor"},
		{"unknown state policy", func(c *Config) { c.StatePolicy = "plain" }, "--state-policy"},
		{"rotation propose zero", func(c *Config) { c.RotationProposeBlocks = 0 }, "--rotation-propose-blocks"},
		{"reencrypt delay negative", func(c *Config) { c.ReencryptDelayBlocks = -1 }, "--reencrypt-delay-blocks"},
		{"sync penalty over the bound", func(c *Config) { c.SyncPenalty = MaxSyncPenalty + 1 }, "--sync-penalty"},
		{"reencrypt report too often", func(c *Config) { c.ReencryptReportInterval = time.Millisecond }, "--reencrypt-report-interval"},
		{"app API not loopback", func(c *Config) { c.AppListen = "0.0.0.0:8001" }, "--app-listen"},
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
				t.Fatalf("err = %v, want one naming the flag %s", err, tc.field)
			}
		})
	}
}
