package pherry

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatekeeper-net/gatekeeper/internal/buildinfo"
)

// metrics are the relayer's Prometheus metrics.
type metrics struct {
	reg          *prometheus.Registry
	syncedHeight prometheus.Gauge
	chainHeight  prometheus.Gauge
	ingress      prometheus.Counter
	egress       prometheus.Counter
	roundErrors  prometheus.Counter
	registration prometheus.Gauge
	up           *prometheus.GaugeVec
	// all are the registered collectors (docs/monitoring.md lists them).
	all []prometheus.Collector
}

func newMetrics() *metrics {
	m := &metrics{
		reg:          prometheus.NewRegistry(),
		syncedHeight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pherry_pruntime_synced_height", Help: "The pRuntime's verified height."}),
		chainHeight:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "pherry_chain_height", Help: "The node's latest height."}),
		ingress:      prometheus.NewCounter(prometheus.CounterOpts{Name: "pherry_ingress_relayed_total", Help: "Proven ingress entries the pRuntime applied."}),
		egress:       prometheus.NewCounter(prometheus.CounterOpts{Name: "pherry_egress_submitted_total", Help: "Egress messages submitted to the chain."}),
		roundErrors:  prometheus.NewCounter(prometheus.CounterOpts{Name: "pherry_round_errors_total", Help: "Relay rounds that failed and were retried."}),
		registration: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pherry_registration_state",
			Help: "The worker's registration: 0 pending, 1 submitted, 2 refused and retrying, 3 refused for good (not resent until restart), 4 registered."}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "pherry_peer_up",
			Help: "1 when the peer (node or pruntime) answered its last readiness probe (GET /ready or a scrape), 0 when it did not."}, []string{"peer"}),
	}
	m.up.WithLabelValues(peerNode)
	m.up.WithLabelValues(peerPRuntime)
	m.all = []prometheus.Collector{m.syncedHeight, m.chainHeight, m.ingress, m.egress, m.roundErrors, m.registration, m.up,
		buildinfo.Gauge("pherry_build_info", buildinfo.Labels(nil)),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	m.reg.MustRegister(m.all...)
	return m
}

// ServeMetrics serves /metrics, /health (liveness: the process answers) and
// /ready (readiness, see Ready) on addr until ctx ends. A scrape of /metrics
// probes the node and the pRuntime first, so that pherry_peer_up is
// current.
func (r *Relayer) ServeMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r.metricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (r *Relayer) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(r.metrics.reg, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, req *http.Request) {
		r.Ready(req.Context())
		metrics.ServeHTTP(w, req)
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, req *http.Request) {
		rd := r.Ready(req.Context())
		w.Header().Set("Content-Type", "application/json")
		if !rd.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rd)
	})
	return mux
}
