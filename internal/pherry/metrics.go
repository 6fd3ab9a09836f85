package pherry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	}
	m.reg.MustRegister(m.syncedHeight, m.chainHeight, m.ingress, m.egress, m.roundErrors, m.registration)
	return m
}

// ServeMetrics serves /metrics and /health on addr until ctx ends.
func (r *Relayer) ServeMetrics(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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
