package pruntime

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	"github.com/gatekeeper-net/gatekeeper/internal/strictjson"
)

// rpcServer holds the RPC's plumbing: sync slots and error replies.
type rpcServer struct {
	r *Runtime
}

// Handler returns the pRuntime's HTTP API (see package api).
func (r *Runtime) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.PathInfo, func(w http.ResponseWriter, _ *http.Request) { api.WriteJSON(w, http.StatusOK, r.Info()) })
	mux.HandleFunc("GET "+api.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET "+api.PathReady, func(w http.ResponseWriter, _ *http.Request) {
		rd := r.Ready()
		status := http.StatusOK
		if !rd.Ready {
			status = http.StatusServiceUnavailable
		}
		api.WriteJSON(w, status, rd)
	})
	mux.Handle("GET "+api.PathMetrics, promhttp.HandlerFor(r.metrics.reg, promhttp.HandlerOpts{}))
	// The sync calls take a slot each (see syncSlot); the header calls also
	// bound their body to what MaxValidators needs.
	mux.HandleFunc("POST "+api.PathSyncInit, r.rpcs.syncSlot(api.MaxHeaderUpdateBody, func(w http.ResponseWriter, req *http.Request) {
		var u api.HeaderUpdate
		if decode(w, req, &u) {
			r.rpcs.reply(w, r.InitChain(u))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncHeader, r.rpcs.syncSlot(api.MaxHeaderUpdateBody, func(w http.ResponseWriter, req *http.Request) {
		var u api.HeaderUpdate
		if decode(w, req, &u) {
			r.rpcs.reply(w, r.SyncHeader(u))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncIngress, r.rpcs.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.IngressRequest
		if !decode(w, req, &in) {
			return
		}
		resp, err := r.SyncIngress(in)
		if err != nil {
			writeError(w, err)
			return
		}
		api.WriteJSON(w, http.StatusOK, resp)
	}))
	mux.HandleFunc("POST "+api.PathSyncEgressAck, r.rpcs.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.EgressAckRequest
		if decode(w, req, &in) {
			r.rpcs.reply(w, r.SyncEgressAck(in))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncBootstrap, r.rpcs.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.BootstrapRequest
		if decode(w, req, &in) {
			r.rpcs.reply(w, r.Bootstrap(in))
		}
	}))
	mux.HandleFunc("GET "+api.PathEgress, func(w http.ResponseWriter, _ *http.Request) {
		var resp api.EgressResponse
		for _, sm := range r.PendingEgress() {
			resp.Messages = append(resp.Messages, api.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature})
		}
		api.WriteJSON(w, http.StatusOK, resp)
	})
	mux.HandleFunc("GET "+api.PathRegistration, func(w http.ResponseWriter, _ *http.Request) {
		reg, err := r.Registration()
		if err != nil {
			writeError(w, err)
			return
		}
		api.WriteJSON(w, http.StatusOK, reg)
	})
	return mux
}

// ErrSyncElsewhere (HTTP 404) answers a sync endpoint on the main listener
// when Config.SyncListen serves them.
var ErrSyncElsewhere = errors.New("pruntime: the sync endpoints are served on the sync listener only (--sync-listen)")

// PublicHandler is Handler without the relayer's sync endpoints (/sync/*),
// which it refuses (404, ErrSyncElsewhere): what the main listener serves
// when Config.SyncListen is set.
func (r *Runtime) PublicHandler() http.Handler {
	h := r.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(path.Clean("/"+req.URL.Path), "/sync/") {
			api.WriteJSON(w, http.StatusNotFound, api.Error{Error: ErrSyncElsewhere.Error()})
			return
		}
		h.ServeHTTP(w, req)
	})
}

// syncSlot wraps a sync handler: it takes one of cfg.SyncConcurrency slots
// or refuses the request at once (429, ErrSyncBusy), before reading its
// body, so that a flood of sync requests — which anyone who reaches the RPC
// can send — costs at most that many concurrent requests' work, and bounds
// the body to limit bytes (413 beyond).
func (rp *rpcServer) syncSlot(limit int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if !rp.takeSyncSlot(req) {
			rp.r.metrics.rejected.WithLabelValues("busy").Inc()
			// Closing the connection spares reading the refused body:
			// otherwise a flood costs a copy of every byte it sends.
			w.Header().Set("Connection", "close")
			writeError(w, ErrSyncBusy)
			return
		}
		if req.ContentLength > limit {
			<-rp.r.syncSlots
			w.Header().Set("Connection", "close")
			api.WriteJSON(w, http.StatusRequestEntityTooLarge, api.Error{Error: fmt.Sprintf("pruntime: request body over %d bytes", limit)})
			return
		}
		req.Body = http.MaxBytesReader(w, req.Body, limit)
		start := rp.r.syncClock.now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, req)
		// A request refused as the client's fault keeps its slot for
		// SyncPenalty times the time it took: the work an unauthenticated
		// sender can make the runtime do for nothing is then at most
		// 1/(1+SyncPenalty) of SyncConcurrency cores, leaving the app API
		// and the readers idle cores. A relayer's own refusals (a header
		// too far ahead: 422) are a few per catch-up and cost it milliseconds.
		if hold := time.Duration(rp.r.cfg.SyncPenalty) * rp.r.syncClock.now().Sub(start); sw.status >= 400 && sw.status < 500 && sw.status != http.StatusConflict && hold > 0 {
			rp.r.metrics.rejected.WithLabelValues("penalty").Inc()
			rp.r.syncClock.after(hold, func() { <-rp.r.syncSlots })
			return
		}
		<-rp.r.syncSlots
	}
}

// A sync request that finds every slot taken waits up to syncWait for one,
// if fewer than maxSyncWaiters already wait; otherwise, or after the wait,
// it is refused busy. The wait serves the relayer in turn instead of
// refusing it while a slot is held, and it keeps a sender that was refused
// from coming straight back: a flood over a few connections then costs a
// refusal per connection per syncWait, not as many as it can send.
const (
	syncWait       = 250 * time.Millisecond
	maxSyncWaiters = 128
)

// takeSyncSlot takes a sync slot, waiting as the comment above says, and
// reports whether it got one.
func (rp *rpcServer) takeSyncSlot(req *http.Request) bool {
	select {
	case rp.r.syncSlots <- struct{}{}:
		return true
	default:
	}
	if rp.r.syncWaiters.Add(1) > maxSyncWaiters {
		rp.r.syncWaiters.Add(-1)
		return false
	}
	defer rp.r.syncWaiters.Add(-1)
	timer := time.NewTimer(syncWait)
	defer timer.Stop()
	select {
	case rp.r.syncSlots <- struct{}{}:
		return true
	case <-timer.C:
		return false
	case <-req.Context().Done():
		return false
	}
}

// syncClock times sync requests for SyncPenalty; tests replace it.
type syncClock struct {
	now   func() time.Time
	after func(time.Duration, func())
}

var realSyncClock = syncClock{now: time.Now, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}

// statusWriter records the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// reply answers a sync call with the new info, or the error.
func (rp *rpcServer) reply(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rp.r.Info())
}

// decode reads a bounded JSON body with strictjson (exact field names, no
// duplicate keys, valid UTF-8, one value and nothing after it, no unknown
// fields); on failure it answers 400 (413 over the bound).
func decode(w http.ResponseWriter, req *http.Request, v any) bool {
	err := strictjson.Decode(http.MaxBytesReader(w, req.Body, api.MaxRequestBody), v)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.WriteJSON(w, http.StatusRequestEntityTooLarge, api.Error{Error: fmt.Sprintf("pruntime: request body over %d bytes", api.MaxRequestBody)})
			return false
		}
		api.WriteJSON(w, http.StatusBadRequest, api.Error{Error: "pruntime: request body: " + err.Error()})
		return false
	}
	return true
}

// writeError maps runtime errors to HTTP statuses. Verification failures
// are the client's fault (400); state conflicts are 409.
func writeError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrNotInitialized), errors.Is(err, ErrInitialized), errors.Is(err, ErrOutOfOrder), errors.Is(err, ErrNotBehind),
		errors.Is(err, ErrSyncConflict):
		status = http.StatusConflict
	case errors.Is(err, ErrSyncBusy):
		status = http.StatusTooManyRequests
	case errors.Is(err, chainsync.ErrNeedIntermediate):
		// The relayer must bisect: supply a header between trusted and this one.
		status = http.StatusUnprocessableEntity
	case isInternal(err):
		status = http.StatusInternalServerError
	}
	api.WriteJSON(w, status, api.Error{Error: err.Error()})
}
