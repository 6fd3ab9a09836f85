package pruntime

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gatekeeper-net/gatekeeper/internal/metricsdoc"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// TestReadyEndpoint walks one pRuntime through each readiness condition
// over HTTP, and checks that /health stays liveness and that pruntime_ready
// and the status gauges follow.
func TestReadyEndpoint(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	h := n.r.Handler()
	t0 := time.Unix(1_800_000_000, 0)
	now := t0
	n.r.now = func() time.Time { return now }
	check := func(step string, want ...string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.PathReady, nil))
		var rd api.Readiness
		if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
			t.Fatalf("%s: /ready body %q: %v", step, rec.Body, err)
		}
		wantStatus := http.StatusOK
		if len(want) > 0 {
			wantStatus = http.StatusServiceUnavailable
		}
		if rec.Code != wantStatus || rd.Ready != (len(want) == 0) || !slices.Equal(rd.Reasons, want) {
			t.Fatalf("%s: /ready %d %+v, want %d %v", step, rec.Code, rd, wantStatus, want)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.PathHealth, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: /health %d, want 200 whatever readiness says", step, rec.Code)
		}
		if got := gaugeValue(t, n.r, "pruntime_ready", nil); got != boolValue(len(want) == 0) {
			t.Fatalf("%s: pruntime_ready %v", step, got)
		}
	}
	check("fresh", api.NotReadyUninitialized, api.NotReadyUnregistered)

	// A verified header (skipping the proof, as these tests do) and a
	// registration.
	n.r.mu.Lock()
	n.r.trusted = &chainsync.TrustedState{ChainID: "test-chain", Header: &chainsync.SignedHeader{Header: &chainsync.Header{Height: 5, Time: t0}}}
	n.r.st.Registered = true
	n.r.publisher.publish()
	n.r.mu.Unlock()
	now = t0.Add(10 * time.Second)
	check("synced and registered")
	if got := gaugeValue(t, n.r, "pruntime_synced_header_timestamp_seconds", nil); got != float64(t0.Unix()) {
		t.Fatalf("pruntime_synced_header_timestamp_seconds = %v, want %d", got, t0.Unix())
	}

	now = t0.Add(n.r.cfg.ReadyMaxLag + time.Second)
	check("lagging", api.NotReadyLagging)
	now = t0

	n.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, n.id()))
	check("designated", api.NotReadyGatekeeperNotLive)
	if gaugeValue(t, n.r, "pruntime_gatekeeper_role", map[string]string{"role": "dummy"}) != 1 || gaugeValue(t, n.r, "pruntime_gatekeeper_live", nil) != 0 {
		t.Fatal("designated gatekeeper: role gauges wrong")
	}

	n.mustApply(ingressMsg(protocol.TopicGatekeeperLaunch, n.id()))
	ann := n.takeOne(protocol.TopicMasterKey)
	n.mustApply(ingressMsg(protocol.TopicMasterKey, ann.Payload))
	check("live")
	if gaugeValue(t, n.r, "pruntime_gatekeeper_role", map[string]string{"role": "active"}) != 1 ||
		gaugeValue(t, n.r, "pruntime_gatekeeper_role", map[string]string{"role": "dummy"}) != 0 ||
		gaugeValue(t, n.r, "pruntime_gatekeeper_live", nil) != 1 || gaugeValue(t, n.r, "pruntime_registered", nil) != 1 {
		t.Fatal("live gatekeeper: role gauges wrong")
	}
}

// gaugeValue gathers r's registry and returns the gauge name with labels
// (a subset match), failing when there is none.
func gaugeValue(t *testing.T, r *Runtime, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := r.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !slices.ContainsFunc(m.GetLabel(), func(lp *dto.LabelPair) bool { return lp.GetName() == k && lp.GetValue() == v }) {
					continue next
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s%v", name, labels)
	return 0
}

// TestMonitoringDocListsEveryMetric: docs/monitoring.md names every metric
// the pRuntime registers.
func TestMonitoringDocListsEveryMetric(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	names, err := metricsdoc.Names(n.r.metrics.all...)
	if err != nil || len(names) < 20 {
		t.Fatalf("names %v: %v", names, err)
	}
	missing, err := metricsdoc.Missing("../../docs/monitoring.md", names)
	if err != nil || len(missing) > 0 {
		t.Fatalf("docs/monitoring.md does not list %v (%v)", missing, err)
	}
}
