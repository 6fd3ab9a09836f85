package pruntime

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/tee"
)

// countingTEE counts the quotes it makes; fail makes the next quote fail.
type countingTEE struct {
	tee.TEE
	quotes atomic.Int64
	fail   atomic.Bool
}

func (c *countingTEE) Quote(rd [64]byte) ([]byte, error) {
	if c.fail.Swap(false) {
		return nil, errors.New("quote device busy")
	}
	c.quotes.Add(1)
	return c.TEE.Quote(rd)
}

func newCountingRuntime(t *testing.T) (*Runtime, *countingTEE) {
	t.Helper()
	dir := t.TempDir()
	sim, err := OpenSimTEE(dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ct := &countingTEE{TEE: sim}
	r, err := newRuntime(validConfig(dir), ct, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r, ct
}

func getRegistration(t *testing.T, h http.Handler) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.PathRegistration, nil))
	return rec.Code, rec.Body.Bytes()
}

// GET /registration is unauthenticated, on the public RPC: a flood of calls,
// sequential and concurrent, makes one TEE quote, and every answer is the
// same attestation, which verifies and binds the registration info.
func TestRegistrationQuoteCached(t *testing.T) {
	t.Parallel()
	r, ct := newCountingRuntime(t)
	h := r.Handler()
	const n = 50
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, body := getRegistration(t, h)
			if code != http.StatusOK {
				t.Errorf("call %d: %d %s", i, code, body)
			}
			bodies[i] = body
		})
	}
	wg.Wait()
	for range n {
		if code, body := getRegistration(t, h); code != http.StatusOK || !bytes.Equal(body, bodies[0]) {
			t.Fatalf("a later call answered %d with another registration", code)
		}
	}
	if got := ct.quotes.Load(); got != 1 {
		t.Fatalf("%d calls made %d quotes, want 1", 2*n, got)
	}
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("concurrent answers differ (%d)", i)
		}
	}
	var reg api.Registration
	if err := json.Unmarshal(bodies[0], &reg); err != nil {
		t.Fatal(err)
	}
	rep, err := attest.SimVerifier{}.Verify(reg.Quote, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ReportData != protocol.ReportData(r.id.ChainID, reg.Info) {
		t.Fatal("the cached quote does not bind the registration info")
	}
}

// The cache holds one quote per registration info: other info (here, a
// successor's predecessor key, the one part not fixed by the identity)
// gets its own quote; a failed quote is not cached; and a quote older than
// registrationQuoteTTL is made again, so that what the RPC serves stays
// well inside the chain's attestation max age.
func TestRegistrationQuoteCacheInvalidation(t *testing.T) {
	t.Parallel()
	r, ct := newCountingRuntime(t)
	now := time.Unix(1_800_000_000, 0)
	r.reg.now = func() time.Time { return now }
	first := mustRegistration(t, r)
	if ct.quotes.Load() != 1 {
		t.Fatalf("quotes %d", ct.quotes.Load())
	}

	r.cfg.Predecessor = bytes.Repeat([]byte{3}, 32)
	succ := mustRegistration(t, r)
	if ct.quotes.Load() != 2 || bytes.Equal(succ.Info, first.Info) || bytes.Equal(succ.Quote, first.Quote) {
		t.Fatalf("changed info: quotes %d, same info %t", ct.quotes.Load(), bytes.Equal(succ.Info, first.Info))
	}
	if again := mustRegistration(t, r); ct.quotes.Load() != 2 || !bytes.Equal(again.Quote, succ.Quote) {
		t.Fatalf("same info again: quotes %d", ct.quotes.Load())
	}

	ct.fail.Store(true)
	now = now.Add(registrationQuoteTTL)
	if _, err := r.Registration(); err == nil {
		t.Fatal("a failing quote device gave a registration")
	}
	fresh := mustRegistration(t, r)
	if ct.quotes.Load() != 3 || !bytes.Equal(fresh.Info, succ.Info) {
		t.Fatalf("after the TTL and a failed quote: quotes %d", ct.quotes.Load())
	}
	now = now.Add(registrationQuoteTTL - time.Second)
	if mustRegistration(t, r); ct.quotes.Load() != 3 {
		t.Fatalf("inside the TTL: quotes %d", ct.quotes.Load())
	}
}

func mustRegistration(t *testing.T, r *Runtime) api.Registration {
	t.Helper()
	reg, err := r.Registration()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
