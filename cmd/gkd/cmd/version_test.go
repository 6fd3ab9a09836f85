package cmd_test

import (
	"bytes"
	"strings"
	"testing"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/cmd/gkd/cmd"
)

// TestVersionPrintsTheVersion: `gkd version` printed an empty line.
func TestVersionPrintsTheVersion(t *testing.T) {
	root := cmd.NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"version"})
	if err := svrcmd.Execute(root, "GKD", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got == "" || got != app.Version {
		t.Fatalf("gkd version printed %q, want %q", got, app.Version)
	}
}
