package ics23_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesAllowed keeps the package's trusted code to the standard
// library and protowire: an import beyond the allow-list fails here rather
// than silently growing the enclave. Tests may import anything.
func TestDependenciesAllowed(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23",
		"google.golang.org/protobuf/encoding/protowire",
		"google.golang.org/protobuf/internal/", // protowire's own
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("go list returned %v", deps)
	}
	for _, dep := range deps {
		ok := false
		for _, a := range allowed {
			ok = ok || dep == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(dep, a))
		}
		if !ok {
			t.Errorf("ics23 depends on %s, which is not allowed", dep)
		}
	}
}
