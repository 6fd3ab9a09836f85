package cmd_test

import (
	"bytes"
	"strings"
	"testing"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/gatekeeper-net/gatekeeper/cmd/gkd/cmd"
	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
)

// TestVersionPrintsVersionAndCommit: `gkd version` printed an empty line,
// then the version without the commit.
func TestVersionPrintsVersionAndCommit(t *testing.T) {
	root := cmd.NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"version"})
	if err := svrcmd.Execute(root, "GKD", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(out.String())
	if want := buildinfo.String("gkd"); got != want {
		t.Fatalf("gkd version printed %q, want %q", got, want)
	}
	if !strings.Contains(got, buildinfo.Version()) || !strings.Contains(got, buildinfo.Commit()) {
		t.Fatalf("gkd version printed %q: no version or commit", got)
	}
}
