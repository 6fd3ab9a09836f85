package main

import (
	"os/exec"
	"strings"
	"testing"
)

// enclaveModules is everything the enclave may link besides the standard
// library: each module with the reason it is in the trusted computing
// base. A package from any other module fails TestTrustedComputingBase, so
// the enclave cannot grow by a transitive import nobody looked at; adding a
// module here is a review decision.
var enclaveModules = map[string]string{
	"github.com/gatekeeper-net/gatekeeper":      "this module (its own packages are limited by forbiddenPackages)",
	"google.golang.org/protobuf":                "protowire decodes CometBFT headers and proofs; go-sev-guest's report protos",
	"github.com/oasisprotocol/curve25519-voi":   "ed25519 with ZIP-215 rules, as CometBFT verifies validator signatures",
	"golang.org/x/crypto":                       "curve25519-voi's and go-sev-guest's primitives",
	"golang.org/x/sys":                          "CPU feature detection and ioctls for the TEE devices",
	"github.com/decred/dcrd/dcrec/secp256k1/v4": "secp256k1 keys of the gatekeeper protocol (internal/crypto)",
	"github.com/cosmos/btcutil":                 "bech32 account addresses",
	"github.com/google/go-sev-guest":            "SEV-SNP attestation reports and their verification",
	"github.com/google/go-tdx-guest":            "TDX quotes and their verification",
	"github.com/google/go-configfs-tsm":         "the Linux configfs-tsm report interface of SNP and TDX guests",
	"github.com/google/logger":                  "go-sev-guest's and go-tdx-guest's logging",
	"github.com/google/uuid":                    "go-sev-guest's report ids",
	"go.uber.org/multierr":                      "go-sev-guest's and go-configfs-tsm's error lists",
	"github.com/prometheus/client_golang":       "the pRuntime's metrics endpoint",
	"github.com/prometheus/client_model":        "prometheus metric types",
	"github.com/prometheus/common":              "prometheus exposition format",
	"github.com/prometheus/procfs":              "prometheus process metrics",
	"github.com/beorn7/perks":                   "prometheus summaries",
	"github.com/cespare/xxhash/v2":              "prometheus label hashing",
	"github.com/munnerz/goautoneg":              "prometheus content negotiation",
	"github.com/pelletier/go-toml/v2":           "the --config file (internal/cliconfig); host input read before the TEE opens, no dependencies",
}

// forbiddenPackages are import path prefixes the enclave must never link,
// whatever module they come from: the chain and its tools, and RPC, test,
// YAML and diffing code, which have no place in a trusted computing base.
var forbiddenPackages = []string{
	"github.com/gatekeeper-net/gatekeeper/app",
	"github.com/gatekeeper-net/gatekeeper/x/",
	"github.com/gatekeeper-net/gatekeeper/internal/pherry",
	"github.com/gatekeeper-net/gatekeeper/internal/devnet",
	"github.com/cosmos/cosmos-sdk",
	"cosmossdk.io/",
	"github.com/cometbft/",
	"google.golang.org/grpc",
	"github.com/stretchr/testify",
	"gopkg.in/yaml",
	"go.yaml.in/",
	"sigs.k8s.io/yaml",
	"github.com/google/go-cmp",
	"google.golang.org/protobuf/testing/",
}

// TestTrustedComputingBase keeps the enclave small: pruntime links only the
// standard library, this module and the modules in enclaveModules, and no
// package in forbiddenPackages.
func TestTrustedComputingBase(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f",
		"{{.ImportPath}}\t{{.Standard}}\t{{with .Module}}{{.Path}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 50 {
		t.Fatalf("go list returned %d packages; output:\n%s", len(lines), out)
	}
	for _, line := range lines {
		pkg, std, mod := splitDep(t, line)
		if std {
			continue
		}
		if _, ok := enclaveModules[mod]; !ok {
			t.Errorf("pruntime links %s from module %q, which is not on the enclave's allow-list", pkg, mod)
		}
		for _, f := range forbiddenPackages {
			if pkg == strings.TrimSuffix(f, "/") || strings.HasPrefix(pkg, f) {
				t.Errorf("pruntime links %s (module %q), which the enclave must never link", pkg, mod)
			}
		}
	}
}

func splitDep(t *testing.T, line string) (pkg string, std bool, mod string) {
	t.Helper()
	f := strings.Split(line, "\t")
	if len(f) != 3 {
		t.Fatalf("go list line %q", line)
	}
	return f[0], f[1] == "true", f[2]
}
