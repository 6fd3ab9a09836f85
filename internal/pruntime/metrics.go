package pruntime

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	reg                *prometheus.Registry
	height             prometheus.Gauge
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
}

func newMetrics() *metrics {
	m := &metrics{
		reg:                prometheus.NewRegistry(),
		height:             prometheus.NewGauge(prometheus.GaugeOpts{Name: "pruntime_synced_height", Help: "Height of the latest verified header."}),
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
	}
	m.ingressUnhandled.WithLabelValues("unknown_topic")
	m.ingressUnhandled.WithLabelValues("invalid_transition")
	m.reg.MustRegister(m.height, m.nextIngress, m.pendingEgress, m.headers, m.ingress, m.checkpoints, m.checkpointsSkipped, m.rejected, m.ingressUnhandled,
		m.keyFaults, m.beaconMismatches, m.heartbeats, m.masterVersion, m.reencryptObjects, m.reencryptRate, m.reencryptETA)
	return m
}
