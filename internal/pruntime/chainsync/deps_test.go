package chainsync_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsStayInTheEnclaveBase keeps chainsync inside the enclave's small
// trusted computing base: it must reach nothing of the Cosmos SDK or of the
// chain (app/, x/, cmd/), and no RPC client, p2p stack or database of
// CometBFT (which its light package would pull in). Tests may import
// anything; only the package's own dependencies count.
func TestImportsStayInTheEnclaveBase(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const module = "github.com/gatekeeper-net/gatekeeper/"
	forbidden := []string{
		"github.com/cosmos/cosmos-sdk",
		"cosmossdk.io/",
		module + "app",
		module + "x/",
		module + "cmd/",
		"github.com/cometbft/cometbft/rpc/",
		"github.com/cometbft/cometbft/p2p",
		"github.com/cometbft/cometbft/light",
		"github.com/cometbft/cometbft-db",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned %d packages; output:\n%s", len(deps), out)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == strings.TrimSuffix(f, "/") || strings.HasPrefix(dep, f) {
				t.Errorf("chainsync depends on %s", dep)
			}
		}
	}
}
