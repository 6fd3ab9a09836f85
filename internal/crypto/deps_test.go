package crypto_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The enclave imports this package, so its dependencies are part of the
// trusted computing base: the standard library, internal/protocol and decred's
// secp256k1 (which itself needs only the standard library), nothing else.
func TestDependencies(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs go list")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/gatekeeper-net/gatekeeper/internal/crypto",
		"github.com/gatekeeper-net/gatekeeper/internal/protocol",
		"github.com/decred/dcrd/dcrec/secp256k1/v4",
	}
	for _, dep := range strings.Fields(string(out)) {
		if !slices.Contains(allowed, dep) {
			t.Errorf("internal/crypto depends on %s; allowed: standard library and %v", dep, allowed)
		}
	}
}
