package pherry

import (
	"context"
	"time"
)

// Peers pherry_peer_up and Ready report on.
const (
	peerNode     = "node"
	peerPRuntime = "pruntime"
)

// Reasons a relayer is not ready (docs/monitoring.md).
const (
	// NotReadyNodeUnreachable: the node did not answer a status request.
	NotReadyNodeUnreachable = "node_unreachable"
	// NotReadyPRuntimeUnreachable: the pRuntime did not answer GET /get_info.
	NotReadyPRuntimeUnreachable = "pruntime_unreachable"
)

// ProbeTimeout bounds each of Ready's probes.
const ProbeTimeout = 3 * time.Second

// Readiness is GET /ready: 200 when Ready, else 503 with the reasons.
type Readiness struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"`
}

// Ready probes the node (its status) and the pRuntime (its info), each
// within ProbeTimeout, and is not ready for each that does not answer. It
// records the outcome in pherry_peer_up.
func (r *Relayer) Ready(ctx context.Context) Readiness {
	var reasons []string
	for _, p := range []struct {
		peer, reason string
		probe        func(context.Context) error
	}{
		{peerNode, NotReadyNodeUnreachable, r.probeNode},
		{peerPRuntime, NotReadyPRuntimeUnreachable, r.probePRuntime},
	} {
		pctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
		err := p.probe(pctx)
		cancel()
		up := 1.0
		if err != nil {
			up = 0
			reasons = append(reasons, p.reason)
		}
		r.metrics.up.WithLabelValues(p.peer).Set(up)
	}
	return Readiness{Ready: len(reasons) == 0, Reasons: reasons}
}

func (r *Relayer) probeNode(ctx context.Context) error {
	if r.nodeProbe != nil {
		return r.nodeProbe(ctx)
	}
	_, err := r.node.Status(ctx)
	return err
}

func (r *Relayer) probePRuntime(ctx context.Context) error {
	_, err := r.pr.Info(ctx)
	return err
}
