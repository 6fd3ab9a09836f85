package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTrustedComputingBase keeps the enclave small: pruntime must not link
// the chain application, any module or keeper, or the Cosmos SDK.
func TestTrustedComputingBase(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/gatekeeper-net/gatekeeper/app",
		"github.com/gatekeeper-net/gatekeeper/x/",
		"github.com/gatekeeper-net/gatekeeper/internal/pherry",
		"github.com/gatekeeper-net/gatekeeper/internal/devnet",
		"github.com/cosmos/cosmos-sdk",
		"cosmossdk.io/",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == strings.TrimSuffix(f, "/") || strings.HasPrefix(dep, f) {
				t.Errorf("pruntime depends on %s", dep)
			}
		}
	}
}
