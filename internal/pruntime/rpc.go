package pruntime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	"github.com/gatekeeper-net/gatekeeper/internal/strictjson"
)

// Handler returns the pRuntime's HTTP API (see package api).
func (r *Runtime) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+api.PathInfo, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, r.Info()) })
	mux.HandleFunc("GET "+api.PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.Handle("GET "+api.PathMetrics, promhttp.HandlerFor(r.metrics.reg, promhttp.HandlerOpts{}))
	// The sync calls take a slot each (see syncSlot); the header calls also
	// bound their body to what MaxValidators needs.
	mux.HandleFunc("POST "+api.PathSyncInit, r.syncSlot(api.MaxHeaderUpdateBody, func(w http.ResponseWriter, req *http.Request) {
		var u api.HeaderUpdate
		if decode(w, req, &u) {
			r.reply(w, r.InitChain(u))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncHeader, r.syncSlot(api.MaxHeaderUpdateBody, func(w http.ResponseWriter, req *http.Request) {
		var u api.HeaderUpdate
		if decode(w, req, &u) {
			r.reply(w, r.SyncHeader(u))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncIngress, r.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.IngressRequest
		if !decode(w, req, &in) {
			return
		}
		resp, err := r.SyncIngress(in)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}))
	mux.HandleFunc("POST "+api.PathSyncEgressAck, r.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.EgressAckRequest
		if decode(w, req, &in) {
			r.reply(w, r.SyncEgressAck(in))
		}
	}))
	mux.HandleFunc("POST "+api.PathSyncBootstrap, r.syncSlot(api.MaxRequestBody, func(w http.ResponseWriter, req *http.Request) {
		var in api.BootstrapRequest
		if decode(w, req, &in) {
			r.reply(w, r.Bootstrap(in))
		}
	}))
	mux.HandleFunc("GET "+api.PathEgress, func(w http.ResponseWriter, _ *http.Request) {
		var resp api.EgressResponse
		for _, sm := range r.PendingEgress() {
			resp.Messages = append(resp.Messages, api.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature})
		}
		writeJSON(w, http.StatusOK, resp)
	})
	mux.HandleFunc("GET "+api.PathRegistration, func(w http.ResponseWriter, _ *http.Request) {
		reg, err := r.Registration()
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, reg)
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
			writeJSON(w, http.StatusNotFound, api.Error{Error: ErrSyncElsewhere.Error()})
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
func (r *Runtime) syncSlot(limit int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		select {
		case r.syncSlots <- struct{}{}:
			defer func() { <-r.syncSlots }()
		default:
			r.metrics.rejected.WithLabelValues("busy").Inc()
			writeError(w, ErrSyncBusy)
			return
		}
		if req.ContentLength > limit {
			writeJSON(w, http.StatusRequestEntityTooLarge, api.Error{Error: fmt.Sprintf("pruntime: request body over %d bytes", limit)})
			return
		}
		req.Body = http.MaxBytesReader(w, req.Body, limit)
		h(w, req)
	}
}

// reply answers a sync call with the new info, or the error.
func (r *Runtime) reply(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, r.Info())
}

// decode reads a bounded JSON body with strictjson (exact field names, no
// duplicate keys, valid UTF-8, one value and nothing after it, no unknown
// fields); on failure it answers 400 (413 over the bound).
func decode(w http.ResponseWriter, req *http.Request, v any) bool {
	err := strictjson.Decode(http.MaxBytesReader(w, req.Body, api.MaxRequestBody), v)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, api.Error{Error: fmt.Sprintf("pruntime: request body over %d bytes", api.MaxRequestBody)})
			return false
		}
		writeJSON(w, http.StatusBadRequest, api.Error{Error: "pruntime: request body: " + err.Error()})
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
	writeJSON(w, status, api.Error{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
