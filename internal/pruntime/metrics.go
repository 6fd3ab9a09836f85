package pruntime

import (
	"encoding/hex"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// roles are the values of pruntime_gatekeeper_role's role label.
var roles = []api.Role{api.RoleNone, api.RoleDummy, api.RoleActive}

type metrics struct {
	reg                *prometheus.Registry
	height             prometheus.Gauge
	headerTime         prometheus.Gauge
	nextIngress        prometheus.Gauge
	pendingEgress      prometheus.Gauge
	headers            prometheus.Counter
	ingress            prometheus.Counter
	checkpoints        prometheus.Counter
	checkpointsSkipped prometheus.Counter
	rejected           *prometheus.CounterVec
	ingressUnhandled   *prometheus.CounterVec
	keyFaults          *prometheus.CounterVec
	beaconMismatches   prometheus.Counter
	heartbeats         prometheus.Counter
	masterVersion      prometheus.Gauge
	reencryptObjects   *prometheus.GaugeVec
	reencryptRate      prometheus.Gauge
	reencryptETA       prometheus.Gauge
	initialized        prometheus.Gauge
	registered         prometheus.Gauge
	role               *prometheus.GaugeVec
	live               prometheus.Gauge
	retired            prometheus.Gauge
	// all are the registered collectors (docs/monitoring.md lists them).
	all []prometheus.Collector
}

// newMetrics registers the runtime's metrics, the build of t, and the Go
// and process collectors. ready is evaluated at each scrape.
func newMetrics(t tee.TEE, ready func() api.Readiness) *metrics {
	m := &metrics{
		reg:    prometheus.NewRegistry(),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_synced_height", Help: "Height of the latest verified header."}),
		headerTime: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_synced_header_timestamp_seconds",
			Help: "Time (Unix seconds) in the latest verified header; time() minus it is the lag behind the chain."}),
		nextIngress:        prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_next_ingress", Help: "Index of the next ingress entry to apply."}),
		pendingEgress:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_pending_egress", Help: "Signed egress messages not yet acknowledged."}),
		headers:            prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_headers_verified_total", Help: "Headers verified."}),
		ingress:            prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_ingress_applied_total", Help: "Proven ingress entries applied."}),
		checkpoints:        prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_checkpoints_written_total", Help: "Checkpoints written."}),
		checkpointsSkipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_checkpoints_skipped_total", Help: "Unusable checkpoints skipped at start."}),
		rejected:           prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pruntime_rejected_total", Help: "Sync requests rejected by verification."}, []string{"kind"}),
		ingressUnhandled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pruntime_ingress_unhandled_total",
			Help: "Proven ingress entries skipped without effect, by reason (unknown_topic: the chain is newer than this pRuntime; invalid_transition: a state machine could not take it in its phase)."}, []string{"reason"}),
		keyFaults: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pruntime_key_copy_faults_total",
			Help: "Key copies received that failed verification and were reported on chain."}, []string{"key"}),
		beaconMismatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_beacon_mismatches_total",
			Help: "Accepted beacons that differ from this gatekeeper's own computation."}),
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "pruntime_heartbeats_sent_total",
			Help: "Heartbeats sent in answer to this worker's challenges."}),
		masterVersion: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_master_key_version",
			Help: "Newest master key version recorded on chain."}),
		reencryptObjects: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pruntime_reencrypt_objects",
			Help: "Objects of this gatekeeper's re-encryption range: total, done (at the new key version), failed."}, []string{"state"}),
		reencryptRate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_reencrypt_bytes_per_second",
			Help: "Re-encryption rate of the running job."}),
		reencryptETA: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_reencrypt_eta_seconds",
			Help: "Estimated time left of the running re-encryption job."}),
		initialized: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_initialized", Help: "1 once a header of the trust root was verified."}),
		registered:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_registered", Help: "1 once the chain registered this worker."}),
		role: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pruntime_gatekeeper_role",
			Help: "1 for this pRuntime's role, 0 for the others: none (a worker), dummy (designated gatekeeper, not live), active (live gatekeeper)."}, []string{"role"}),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_gatekeeper_live",
			Help: "1 when this pRuntime is a gatekeeper holding every master key version on chain."}),
		retired: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_retired", Help: "1 once a migration retired this pRuntime's version."}),
	}
	m.ingressUnhandled.WithLabelValues("unknown_topic")
	m.ingressUnhandled.WithLabelValues("invalid_transition")
	m.all = []prometheus.Collector{m.height, m.headerTime, m.nextIngress, m.pendingEgress, m.headers, m.ingress, m.checkpoints, m.checkpointsSkipped, m.rejected, m.ingressUnhandled,
		m.keyFaults, m.beaconMismatches, m.heartbeats, m.masterVersion, m.reencryptObjects, m.reencryptRate, m.reencryptETA,
		m.initialized, m.registered, m.role, m.live, m.retired,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pruntime_ready", Help: "1 when GET /ready answers 200 (docs/monitoring.md lists the conditions)."},
			func() float64 { return boolValue(ready().Ready) }),
		buildinfo.Gauge("pruntime_build_info", buildinfo.Labels(prometheus.Labels{"tee_kind": t.Kind(), "measurement": hex.EncodeToString(t.Measurement())})),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	m.reg.MustRegister(m.all...)
	return m
}

// setStatus sets the status gauges from what /get_info reports.
func (m *metrics) setStatus(info api.Info) {
	m.initialized.Set(boolValue(info.Initialized))
	m.registered.Set(boolValue(info.Registered))
	for _, r := range roles {
		m.role.WithLabelValues(string(r)).Set(boolValue(info.Role == r))
	}
	m.live.Set(boolValue(info.Role == api.RoleActive))
	m.retired.Set(boolValue(info.Retired))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
