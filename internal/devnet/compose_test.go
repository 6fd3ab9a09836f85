package devnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteCompose: the compose file of a generated testnet runs every
// node, pRuntime and relayer from its testnet.json command line, each
// mounting only its own files, and publishes RPC ports on loopback only; a
// testnet whose hosts are not the services' names, or a bad image tag, is
// refused.
func TestWriteCompose(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultTestnetConfig()
	cfg.OutputDir, cfg.Validators, cfg.Gatekeepers, cfg.Workers = dir, 2, 1, 1
	cfg.BasePort = 36500
	cfg.Hostnames = ComposeHostnames(2, 2)
	cfg.SimMeasurement = make([]byte, 32)
	tn, err := GenerateTestnet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCompose(dir, tn, ComposeConfig{ImageTag: "v1", User: "1000:1000"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, ComposeFile))
	if err != nil {
		t.Fatal(err)
	}
	y := string(b)
	for _, want := range []string{
		`version: "2.4"`,
		"  node1:\n    image: \"gatekeeper/gkd:v1\"\n    user: \"1000:1000\"",
		`command: ["start", "--home", "node1"]`,
		`volumes: ["./node1:/net/node1"]`,
		`ports: ["127.0.0.1:36511:36511"]`,
		"  pruntime1:\n    image: \"gatekeeper/pruntime:v1\"",
		`"--endpoint", "http://pruntime1:36530"`,
		`volumes: ["./pruntime1/data:/net/pruntime1/data", "./state:/net/state"]`,
		`ports: ["127.0.0.1:36530:36530"]`,
		"  pherry1:\n    image: \"gatekeeper/pherry:v1\"",
		`"--node", "tcp://node1:36511", "--pruntime", "http://pruntime1:36530"`,
		`volumes: ["./pruntime1:/net/pruntime1:ro"]`,
		`depends_on: ["node1", "pruntime1"]`,
		`profiles: ["launch"]`,
		"an object store service (S3) goes here",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("compose file lacks %q:\n%s", want, y)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "pruntime1", "data")); err != nil || !fi.IsDir() {
		t.Errorf("pruntime1/data not made by the generator: %v", err)
	}

	if err := WriteCompose(dir, tn, ComposeConfig{ImageTag: "v1:evil"}); err == nil {
		t.Error("image tag with a colon accepted")
	}
	tn.PRuntimes[0].Host = "10.0.0.5"
	if err := WriteCompose(dir, tn, ComposeConfig{ImageTag: "v1"}); err == nil || !strings.Contains(err.Error(), "ComposeHostnames") {
		t.Errorf("pRuntime on a foreign host: err %v", err)
	}
}
