package pruntime

import (
	"slices"

	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/computation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/gatekeeper"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/migration"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/rotation"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// testRoles mirrors roles.All, which this package's tests cannot import
// (it imports this package). TestIngressTopicsRouted pins the union of
// the rows, so a role missing here fails it.
func testRoles(e *Enclave) RoleSet {
	rot := rotation.New(e, e.Rand())
	gk := gatekeeper.New(e, rot, e.Rand())
	return RoleSet{
		Routes:     slices.Concat(computation.New(e).Routes(), rot.Routes(), gk.Routes(), migration.New(e, gk).Routes()),
		Rotation:   rot,
		Gatekeeper: gk,
	}
}

// newRuntime opens a runtime with every role, as the program does.
func newRuntime(cfg Config, t tee.TEE, log *slog.Logger) (*Runtime, error) {
	return New(cfg, t, log, testRoles)
}
