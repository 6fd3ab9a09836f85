package pherry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

func TestServeMetrics(t *testing.T) {
	t.Parallel()
	r := &Relayer{metrics: newMetrics(), pr: api.NewClient(fakePRuntime(t)), nodeProbe: func(context.Context) error { return nil }}
	addr := freeAddr(t)
	r.metrics.ingress.Add(3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.ServeMetrics(ctx, addr) }()

	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://%s/metrics", addr))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"pherry_ingress_relayed_total 3", "pherry_build_info{", "go_goroutines", "process_start_time_seconds", "pherry_chain_height", "pherry_pruntime_synced_height", "pherry_egress_submitted_total", "pherry_round_errors_total", "pherry_registration_state"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeMetrics after cancel: %v", err)
	}
}
