package roles_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/roles"
)

// TestAllRoles opens a runtime with roles.All, as the program does, and
// pins what the roles add: every role's topics (the core's tests pin the
// whole table through a mirror of All) and the roles the core calls.
func TestAllRoles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tee, err := pruntime.OpenSimTEE(dir, pruntime.DevnetMeasurement())
	if err != nil {
		t.Fatal(err)
	}
	cfg := pruntime.DefaultConfig()
	cfg.DataDir = dir
	cfg.ChainID = "test-chain"
	cfg.Operator = "gk1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z9x4gx"
	cfg.TrustRoot = protocol.TrustRoot{Hash: bytes.Repeat([]byte{1}, 32)}
	var set pruntime.RoleSet
	capture := func(e *pruntime.Enclave) pruntime.RoleSet {
		set = roles.All(e)
		return set
	}
	if _, err := pruntime.New(cfg, tee, slog.New(slog.NewTextHandler(io.Discard, nil)), capture); err != nil {
		t.Fatal(err)
	}
	if set.Rotation == nil || set.Gatekeeper == nil {
		t.Fatal("roles.All leaves out a role the core calls")
	}
	perRole := map[ingress.Role]int{}
	for _, r := range set.Routes {
		perRole[r.Role]++
	}
	want := map[ingress.Role]int{ingress.RoleGatekeeper: 11, ingress.RoleRotation: 8, ingress.RoleMigration: 5, ingress.RoleComputation: 5}
	for role, n := range want {
		if perRole[role] != n {
			t.Errorf("%s: %d rows, want %d", role, perRole[role], n)
		}
	}
	if perRole[ingress.RoleWorker] != 0 {
		t.Errorf("the worker rows are the core's, not a role's: %d", perRole[ingress.RoleWorker])
	}
}
