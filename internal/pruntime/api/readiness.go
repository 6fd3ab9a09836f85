package api

import "time"

// ReadinessOf is not ready for each condition that fails, in this order: no
// header verified; the newest verified header older than maxLag at now;
// not registered; designated a gatekeeper and not live; retired. The host
// clock only decides what the operator is told: nothing signed depends on
// it.
func ReadinessOf(info Info, headerTime, now time.Time, maxLag time.Duration) Readiness {
	var reasons []string
	switch {
	case !info.Initialized:
		reasons = append(reasons, NotReadyUninitialized)
	case now.Sub(headerTime) > maxLag:
		reasons = append(reasons, NotReadyLagging)
	}
	if !info.Registered {
		reasons = append(reasons, NotReadyUnregistered)
	}
	if info.Role == RoleDummy {
		reasons = append(reasons, NotReadyGatekeeperNotLive)
	}
	if info.Retired {
		reasons = append(reasons, NotReadyRetired)
	}
	return Readiness{Ready: len(reasons) == 0, Reasons: reasons}
}
