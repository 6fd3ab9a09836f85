package chainsync_test

import (
	"os/exec"
	"strings"
	"testing"
)

// chainsyncModules is everything chainsync may link besides the standard
// library, each with its reason. It is a subset of the enclave's allow-list
// (cmd/pruntime's deps_test.go): chainsync verifies headers and proofs with
// nothing but protowire, SHA-256 and ed25519.
var chainsyncModules = map[string]string{
	"github.com/gatekeeper-net/gatekeeper":    "internal/protocol (trust roots, ingress entries)",
	"google.golang.org/protobuf":              "protowire, to decode headers, validator sets and proofs",
	"github.com/oasisprotocol/curve25519-voi": "ed25519 verification with CometBFT's ZIP-215 rules",
	"golang.org/x/crypto":                     "curve25519-voi's primitives",
	"golang.org/x/sys":                        "curve25519-voi's CPU feature detection",
}

// chainsyncOwnPackages are the only packages of this module chainsync may
// reach: internal/protocol and its own subpackages (chainsync/ics23), nothing
// of the chain (app/, x/, cmd/) or of the rest of the enclave.
var chainsyncOwnPackages = []string{
	"github.com/gatekeeper-net/gatekeeper/internal/protocol",
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync",
}

// TestImportsStayInTheEnclaveBase keeps chainsync inside the enclave's small
// trusted computing base: only the standard library and the modules above,
// and in particular no CometBFT, gogoproto or ICS23 package, nor gRPC,
// testify, YAML or go-cmp. Tests may import anything; only the package's own
// dependencies count.
func TestImportsStayInTheEnclaveBase(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f",
		"{{.ImportPath}}\t{{.Standard}}\t{{with .Module}}{{.Path}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list returned %d packages; output:\n%s", len(lines), out)
	}
	const module = "github.com/gatekeeper-net/gatekeeper"
	for _, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("go list line %q", line)
		}
		pkg, std, mod := f[0], f[1] == "true", f[2]
		switch {
		case std:
		case mod == module:
			own := false
			for _, p := range chainsyncOwnPackages {
				own = own || pkg == p || strings.HasPrefix(pkg, p+"/")
			}
			if !own {
				t.Errorf("chainsync depends on %s of this module", pkg)
			}
		default:
			if _, ok := chainsyncModules[mod]; !ok {
				t.Errorf("chainsync depends on %s from module %q, which is not on its allow-list", pkg, mod)
			}
		}
		for _, bad := range []string{"google.golang.org/grpc", "github.com/stretchr/testify", "gopkg.in/yaml",
			"go.yaml.in/", "sigs.k8s.io/yaml", "github.com/google/go-cmp", "google.golang.org/protobuf/testing/"} {
			if strings.HasPrefix(pkg, bad) {
				t.Errorf("chainsync depends on %s (module %q), which the enclave must never link", pkg, mod)
			}
		}
	}
}
