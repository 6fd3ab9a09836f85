package pruntime

import (
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// Ready reports whether this pRuntime does its job now (GET /ready); the
// conditions are readiness's. It takes no lock.
func (r *Runtime) Ready() api.Readiness {
	v := r.view.Load()
	return readiness(v.info, v.headerTime, r.now(), r.cfg.ReadyMaxLag)
}

// readiness is not ready for each condition that fails, in this order: no
// header verified; the newest verified header older than maxLag at now;
// not registered; designated a gatekeeper and not live; retired. The host
// clock only decides what the operator is told: nothing signed depends on
// it.
func readiness(info api.Info, headerTime, now time.Time, maxLag time.Duration) api.Readiness {
	var reasons []string
	switch {
	case !info.Initialized:
		reasons = append(reasons, api.NotReadyUninitialized)
	case now.Sub(headerTime) > maxLag:
		reasons = append(reasons, api.NotReadyLagging)
	}
	if !info.Registered {
		reasons = append(reasons, api.NotReadyUnregistered)
	}
	if info.Role == api.RoleDummy {
		reasons = append(reasons, api.NotReadyGatekeeperNotLive)
	}
	if info.Retired {
		reasons = append(reasons, api.NotReadyRetired)
	}
	return api.Readiness{Ready: len(reasons) == 0, Reasons: reasons}
}
