// Package roles assembles the enclave: it builds every role outside the
// runtime core on the core's Enclave and hands their rows of the topic
// table to pruntime.New. It is the one place that names both the core and
// the roles, so the core imports no role and the roles import no core.
package roles

import (
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/computation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
)

// All builds the enclave's roles; pass it to pruntime.New.
func All(e *pruntime.Enclave) []ingress.Route {
	return computation.New(e, e.Log()).Routes()
}

var _ pruntime.Roles = All
