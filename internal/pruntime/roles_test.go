package pruntime

import (
	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/computation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// testRoles mirrors roles.All, which this package's tests cannot import
// (it imports this package). TestIngressTopicsRouted pins the union of
// the rows, so a role missing here fails it.
func testRoles(e *Enclave) []ingress.Route {
	return computation.New(e, e.Log()).Routes()
}

// newRuntime opens a runtime with every role, as the program does.
func newRuntime(cfg Config, t tee.TEE, log *slog.Logger) (*Runtime, error) {
	return New(cfg, t, log, testRoles)
}
