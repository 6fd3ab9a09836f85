package pruntime

import (
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// Ready reports whether this pRuntime does its job now (GET /ready); the
// conditions are api.ReadinessOf's. It takes no lock.
func (r *Runtime) Ready() api.Readiness {
	v := r.view.Load()
	return api.ReadinessOf(v.info, v.headerTime, r.now(), r.cfg.ReadyMaxLag)
}
