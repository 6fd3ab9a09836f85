// Package roles assembles the enclave: it builds every role outside the
// runtime core on the core's Enclave and hands their rows of the topic
// table to pruntime.New. It is the one place that names both the core and
// the roles, so the core imports no role and the roles import no core.
package roles

import (
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/computation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/gatekeeper"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/migration"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/rotation"
)

// All builds the enclave's roles; pass it to pruntime.New.
func All(e *pruntime.Enclave) pruntime.RoleSet {
	rot := rotation.New(e, e.Rand())
	gk := gatekeeper.New(e, rot, e.Rand())
	return pruntime.RoleSet{
		Routes:     slices.Concat(computation.New(e).Routes(), rot.Routes(), gk.Routes(), migration.New(e, gk).Routes()),
		Rotation:   rot,
		Gatekeeper: gk,
	}
}

var _ pruntime.Roles = All
