package pherry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/gatekeeper-net/gatekeeper/internal/metricsdoc"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// This package's tests listen in 30100-30199: servers in 30100-30179
// (listenInRange); 30180-30199 stay closed (closedAddr), so that a peer
// meant to be down is never another test's server.
const (
	testPortFirst   = 30100
	testPortsClosed = 30180
	testPortEnd     = 30200
)

// listenInRange listens on the first free port of 30100-30179.
func listenInRange(t *testing.T) net.Listener {
	t.Helper()
	for port := testPortFirst; port < testPortsClosed; port++ {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			return ln
		}
	}
	t.Fatal("no free port in 30100-30179")
	return nil
}

// freeAddr is a free address of 30100-30179 for a server the test starts
// itself (it may race with another test's listenInRange, which then takes
// the next port).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln := listenInRange(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// closedAddr is an address of 30180-30199 nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	for port := testPortsClosed; port < testPortEnd; port++ {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no closed port in 30180-30199")
	return ""
}

// fakePRuntime serves GET /get_info.
func fakePRuntime(t *testing.T) string {
	t.Helper()
	srv := &httptest.Server{Listener: listenInRange(t), Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != api.PathInfo {
			http.NotFound(w, req)
			return
		}
		api.WriteJSON(w, http.StatusOK, api.Info{ChainID: "test-chain", Initialized: true})
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestReady(t *testing.T) {
	t.Parallel()
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	pr := fakePRuntime(t)
	deadPR := "http://" + closedAddr(t)
	tests := []struct {
		name      string
		nodeProbe func(context.Context) error
		pruntime  string
		want      []string
	}{
		{"both answer", up, pr, nil},
		{"node down", down, pr, []string{NotReadyNodeUnreachable}},
		{"pruntime down", up, deadPR, []string{NotReadyPRuntimeUnreachable}},
		{"both down", down, deadPR, []string{NotReadyNodeUnreachable, NotReadyPRuntimeUnreachable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Relayer{metrics: newMetrics(), pr: api.NewClient(tc.pruntime), nodeProbe: tc.nodeProbe}
			rec := httptest.NewRecorder()
			r.metricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ready", nil))
			var rd Readiness
			if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
				t.Fatalf("/ready body %q: %v", rec.Body, err)
			}
			wantCode := http.StatusOK
			if len(tc.want) > 0 {
				wantCode = http.StatusServiceUnavailable
			}
			if rec.Code != wantCode || rd.Ready != (len(tc.want) == 0) || !slices.Equal(rd.Reasons, tc.want) {
				t.Fatalf("/ready = %d %+v, want %d %v", rec.Code, rd, wantCode, tc.want)
			}
			rec = httptest.NewRecorder()
			r.metricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("/health = %d: liveness must not follow readiness", rec.Code)
			}
			rec = httptest.NewRecorder()
			r.metricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			for peer, reason := range map[string]string{peerNode: NotReadyNodeUnreachable, peerPRuntime: NotReadyPRuntimeUnreachable} {
				want := fmt.Sprintf("pherry_peer_up{peer=%q} %d", peer, map[bool]int{true: 0, false: 1}[slices.Contains(tc.want, reason)])
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("metrics lack %q", want)
				}
			}
		})
	}
}

// TestReadyRealNodeDown probes a CometBFT RPC client pointed where no node
// listens: the relayer's own client, not a seam.
func TestReadyRealNodeDown(t *testing.T) {
	t.Parallel()
	node, err := rpchttp.New("tcp://"+closedAddr(t), "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relayer{metrics: newMetrics(), node: node, pr: api.NewClient(fakePRuntime(t))}
	if rd := r.Ready(context.Background()); rd.Ready || !slices.Equal(rd.Reasons, []string{NotReadyNodeUnreachable}) {
		t.Fatalf("Ready with the node down = %+v", rd)
	}
}

// TestMonitoringDocListsEveryMetric: docs/monitoring.md names every metric
// the relayer registers.
func TestMonitoringDocListsEveryMetric(t *testing.T) {
	t.Parallel()
	names, err := metricsdoc.Names(newMetrics().all...)
	if err != nil || len(names) < 7 {
		t.Fatalf("names %v: %v", names, err)
	}
	missing, err := metricsdoc.Missing("../../docs/monitoring.md", names)
	if err != nil || len(missing) > 0 {
		t.Fatalf("docs/monitoring.md does not list %v (%v)", missing, err)
	}
}
