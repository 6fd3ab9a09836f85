package cmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/gatekeeper-net/gatekeeper/cmd/gkd/cmd"
)

// gkd runs one gkd command line and returns what it printed.
func gkd(t *testing.T, args ...string) string {
	t.Helper()
	root := cmd.NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := svrcmd.Execute(root, "GKD", t.TempDir()); err != nil {
		t.Fatalf("gkd %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestConfigSetGet: `gkd config` (confix) reads and edits a home's
// app.toml and client.toml in place, as in other SDK chains.
func TestConfigSetGet(t *testing.T) {
	home := t.TempDir()
	gkd(t, "init", "node0", "--chain-id", "gk-test-1", "--home", home)
	if got := strings.TrimSpace(gkd(t, "config", "get", "app", "minimum-gas-prices", "--home", home)); got != `"`+cmd.DefaultMinGasPrices+`"` {
		t.Fatalf("minimum-gas-prices after init: %s, want %q", got, cmd.DefaultMinGasPrices)
	}
	gkd(t, "config", "set", "app", "minimum-gas-prices", "0.5stake", "--home", home)
	gkd(t, "config", "set", "client", "chain-id", "gk-test-1", "--home", home)
	app, err := os.ReadFile(filepath.Join(home, "config", "app.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(app, []byte(`minimum-gas-prices = "0.5stake"`)) {
		t.Fatal("app.toml does not hold the new minimum-gas-prices")
	}
	if got := strings.TrimSpace(gkd(t, "config", "get", "client", "chain-id", "--home", home)); got != `"gk-test-1"` {
		t.Fatalf("client chain-id: %s", got)
	}
}
