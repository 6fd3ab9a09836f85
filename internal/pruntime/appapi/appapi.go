// Package appapi is the worker's local app API (DESIGN §6.4): apps beside
// the worker derive keys from its cluster key and keep state sealed under
// it. It reads the cluster keys through ClusterKeys, which the runtime
// implements; API documents its trust boundary.
package appapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/strictjson"
)

// App API paths and bounds.
const (
	PathKey   = "/app/v1/key"
	PathState = "/app/v1/state/"

	// MaxKeyRequestBody bounds a POST /app/v1/key body.
	MaxKeyRequestBody = 64 << 10
	// MaxAppIDLen bounds an app id (and the {app} of a state path).
	MaxAppIDLen = 128
	// MaxKeyPathParts bounds the parts of a key derivation path.
	MaxKeyPathParts = 32
	// MaxKeyPathPartLen bounds each part of a key derivation path, in bytes.
	MaxKeyPathPartLen = 256
	// MaxStateSize bounds a state blob's plaintext (a PUT body): 16 MiB.
	// A PUT holds the body and its sealed blob in memory at once, so this
	// bounds each request to about twice that; larger state is the app's
	// to split into several names. Beyond it PUT answers 413.
	MaxStateSize = 16 << 20
)

// KeyRequest is the body of POST /app/v1/key.
type KeyRequest struct {
	// AppID is 1..MaxAppIDLen bytes of [A-Za-z0-9._-], not "." or "..".
	AppID string `json:"app_id"`
	// Path has at most MaxKeyPathParts parts of at most
	// MaxKeyPathPartLen bytes each; it may be empty.
	Path []string `json:"path"`
}

// KeyResponse is the answer of POST /app/v1/key: the key
// crypto.AppKey(cluster key, AppID, Path...) under the cluster key version
// the worker currently uses.
type KeyResponse struct {
	Cluster uint64 `json:"cluster"`
	Version uint32 `json:"version"`
	Key     string `json:"key"` // hex
}

// ClusterKeys is what the app API needs from the runtime.
type ClusterKeys interface {
	// CurrentClusterKey returns the cluster this worker belongs to and its
	// newest key; ok is false when the worker holds no cluster key.
	CurrentClusterKey() (cluster uint64, version uint32, key [crypto.KeySize]byte, ok bool)
	// ClusterKeyVersion returns an older (or the current) version of the
	// worker's cluster key, for blobs written before a rotation.
	ClusterKeyVersion(cluster uint64, version uint32) (key [crypto.KeySize]byte, ok bool)
}

// pendingClusterKeys is implemented by ClusterKeys that know when a newer
// key version of the cluster was granted to this worker and has not
// arrived yet (the Runtime does). The app API then refuses writes (409)
// rather than save under a version that a running rotation is retiring:
// such a blob, saved after the gatekeepers verified their ranges, would be
// unreadable once the old version is erased. Reads go on.
type pendingClusterKeys interface {
	NewerClusterKeyPending(cluster uint64, version uint32) bool
}

// API is the worker's local app API (DESIGN §6.4): an app beside the
// worker asks for a key derived from its cluster key by path, and saves or
// loads state blobs encrypted under that cluster key into the state store.
//
//	POST   /app/v1/key                  {"app_id", "path"} → {"cluster", "version", "key"}
//	PUT    /app/v1/state/{app}/{name…}  raw body → 204
//	GET    /app/v1/state/{app}/{name…}  → raw body (application/octet-stream)
//	DELETE /app/v1/state/{app}/{name…}  → 204
//
// Errors are api.Error JSON bodies: 400 bad input (including a JSON body
// that strictjson refuses), 403 a Host that is not a loopback name, 404 no
// such state, 415 a JSON body not declared application/json, 409 the
// worker holds no cluster key yet (or not the key version a blob was written
// under: retired, or not received yet; or, for a PUT, a newer version is
// granted and on its way), 413 a body over its bound, 500 the
// state store failed or a stored blob does not open.
//
// A blob that does not open is 500, not 4xx: the request was fine, the
// object in the store is not what this cluster wrote under that name
// (tampered with, corrupted, or copied from another name, app or cluster).
// The message says so and the event is logged; retrying will not help.
//
// Trust boundary: the API hands out key material and has no authentication
// of its own, so any client that can reach it can obtain any app's key and
// read any app's state. It must be served on its own listener, reachable
// only by the apps beside the worker (loopback, or a unix socket inside the
// TEE guest), never on the public RPC address a worker announces on chain.
// A browser on the same machine reaches loopback too, on behalf of any web
// page: every request must therefore name a loopback Host (checkLoopbackHost:
// this defeats DNS rebinding, the only way a page reads the answers), and a
// JSON body must be declared application/json (checkJSONContentType: a page
// then cannot post it without a CORS preflight, which the API never
// answers).
//
// The state store is untrusted (see package statestore): it holds only blobs
// sealed by crypto.SealBlob under Derive(cluster key, "state") and bound to
// (cluster, key version, app, name), so the host can drop or roll back state
// but cannot forge it, read it, or move it between names. Keys and state
// never appear in logs.
//
// API keeps no state of its own; it is safe for concurrent use as long
// as its ClusterKeys and Store are.
type API struct {
	keys  ClusterKeys
	store statestore.Store
	log   *slog.Logger
	rand  io.Reader
	// envelope writes blobs under the rewrap policy (WithRewrap).
	envelope bool
}

// WithRewrap sets how the API writes state blobs (reads take both
// formats): under the rewrap policy (pruntime.StatePolicyRewrap: per-blob
// data keys wrapped under the cluster key) or, by default, the reencrypt
// policy (each blob under the cluster key). It returns a, for chaining, and
// must be called before Serve.
func (a *API) WithRewrap(rewrap bool) *API {
	a.envelope = rewrap
	return a
}

// New returns the app API over the runtime's cluster keys and a state
// store. log (nil: discard) receives one line per failure and debug lines
// per request, never key material or state.
func New(keys ClusterKeys, store statestore.Store, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{keys: keys, store: store, log: log, rand: rand.Reader}
}

// Serve serves the app API on ln until ctx ends, then shuts down
// gracefully. ln must be reachable only by the apps beside the worker (see
// API); the RPC's listener must never be used.
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	a.log.Info("serving app API", "addr", ln.Addr().String())
	return api.Serve(ctx, ln, a.Handler(), "app API")
}

// Handler returns the app API's routes.
//
// A request whose Host is not a loopback name is refused (403) before
// anything else; see checkLoopbackHost.
//
// A request path with "." or ".." segments or an empty segment is refused
// (400) before routing. http.ServeMux would instead redirect it, with 307 so
// that a PUT is replayed, to the cleaned path: "app-2/../app-1/s" or
// "app-1/a//b" would silently write another name than the one asked for.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathKey, a.handleKey)
	const state = PathState + "{app}/{name...}"
	mux.HandleFunc("PUT "+state, a.handlePut)
	mux.HandleFunc("GET "+state, a.handleGet)
	mux.HandleFunc("DELETE "+state, a.handleDelete)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if e := checkLoopbackHost(req.Host); e != nil {
			a.fail(w, e)
			return
		}
		if p := req.URL.Path; strings.HasPrefix(p, "/") && path.Clean(p) != p {
			a.fail(w, appErrorf(http.StatusBadRequest, "request path %q is not clean (\".\", \"..\" or empty segment)", p))
			return
		}
		mux.ServeHTTP(w, req)
	})
}

// appError is a failed request: the status and the message the client sees.
type appError struct {
	status int
	msg    string
}

func (e *appError) Error() string { return e.msg }

func appErrorf(status int, format string, args ...any) *appError {
	return &appError{status: status, msg: fmt.Sprintf("pruntime: app api: "+format, args...)}
}

var errNoClusterKey = appErrorf(http.StatusConflict, "worker holds no cluster key yet")

func (a *API) fail(w http.ResponseWriter, e *appError) {
	api.WriteJSON(w, e.status, api.Error{Error: e.msg})
}

func validateAppID(id string) error {
	if len(id) == 0 || len(id) > MaxAppIDLen {
		return fmt.Errorf("app id is %d bytes, want 1..%d", len(id), MaxAppIDLen)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("app id %q is reserved", id)
	}
	for i := range len(id) {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("app id: byte %#02x at offset %d (allowed: A-Z a-z 0-9 . _ -)", c, i)
		}
	}
	return nil
}

func (a *API) handleKey(w http.ResponseWriter, req *http.Request) {
	var in KeyRequest
	if e := decodeStrict(w, req, MaxKeyRequestBody, &in); e != nil {
		a.fail(w, e)
		return
	}
	if err := validateAppID(in.AppID); err != nil {
		a.fail(w, appErrorf(http.StatusBadRequest, "%v", err))
		return
	}
	if len(in.Path) > MaxKeyPathParts {
		a.fail(w, appErrorf(http.StatusBadRequest, "path has %d parts, limit %d", len(in.Path), MaxKeyPathParts))
		return
	}
	for i, p := range in.Path {
		if len(p) > MaxKeyPathPartLen {
			a.fail(w, appErrorf(http.StatusBadRequest, "path part %d is %d bytes, limit %d", i, len(p), MaxKeyPathPartLen))
			return
		}
	}
	cluster, version, ck, ok := a.keys.CurrentClusterKey()
	defer clear(ck[:])
	if !ok {
		a.fail(w, errNoClusterKey)
		return
	}
	key, err := crypto.AppKey(ck, in.AppID, in.Path...)
	defer clear(key[:])
	if err != nil { // unreachable: the bounds above are inside AppKey's
		a.fail(w, appErrorf(http.StatusBadRequest, "%v", err))
		return
	}
	a.log.Debug("app key derived", "app", in.AppID, "path_parts", len(in.Path), "cluster", cluster, "version", version)
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, http.StatusOK, KeyResponse{Cluster: cluster, Version: version, Key: hex.EncodeToString(key[:])})
}

// decodeStrict reads a JSON body of at most limit bytes into v: declared
// application/json (415 otherwise, before the body is read), and decoded by
// strictjson (exact field names, no duplicate keys, valid UTF-8, one value).
func decodeStrict(w http.ResponseWriter, req *http.Request, limit int64, v any) *appError {
	if e := checkJSONContentType(req.Header.Get("Content-Type")); e != nil {
		return e
	}
	if err := strictjson.Decode(http.MaxBytesReader(w, req.Body, limit), v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return appErrorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", limit)
		}
		return appErrorf(http.StatusBadRequest, "request body: %v", err)
	}
	return nil
}

// checkJSONContentType accepts application/json, with at most a UTF-8
// charset. A page in a browser can send any other body cross-origin without
// a CORS preflight only as text/plain, a form or multipart; requiring
// application/json makes the browser ask first, and the API answers no
// preflight (no OPTIONS route, no Access-Control-* header).
func checkJSONContentType(ct string) *appError {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		cs, ok := params["charset"]
		delete(params, "charset")
		if len(params) == 0 && (!ok || strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	return appErrorf(http.StatusUnsupportedMediaType, "Content-Type %q: the body must be application/json (UTF-8)", ct)
}

// checkLoopbackHost accepts a Host of localhost, an IPv4 loopback address
// (127.0.0.0/8) or [::1], with or without a port: the names a client beside
// the worker uses for the loopback listener the API must be served on
// (Config.Validate refuses any other AppListen). A browser sends the page's
// own host name: after DNS rebinding (the attacker's name now resolving to
// 127.0.0.1), or for 0.0.0.0, which browsers have routed to the local
// machine, Host is that name, not a loopback one, and the request is refused
// before any work. Trailing-dot and other spellings that name the same
// address ("localhost.", "127.1") are refused too: no client needs them.
func checkLoopbackHost(host string) *appError {
	name := host
	if h, port, err := net.SplitHostPort(host); err == nil {
		name = h // "[::1]:8103" → "::1"
		if strings.Trim(port, "0123456789") != "" {
			name = ""
		}
	} else if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		name = host[1 : len(host)-1] // "[::1]"
	} else if strings.Contains(host, ":") {
		name = "" // a bare IPv6 address is not a Host
	}
	if strings.EqualFold(name, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(name); err == nil && ((ip.Is4() && ip.IsLoopback()) || ip == netip.IPv6Loopback()) {
		return nil
	}
	return appErrorf(http.StatusForbidden, "Host %q is not a loopback name (localhost, 127.0.0.0/8 or [::1]): the app API serves only the apps beside the worker", host)
}

// stateRef is a validated state path with the cluster key version in use.
type stateRef struct {
	app, name string
	cluster   uint64
	version   uint32
	key       [crypto.KeySize]byte
	object    string // the state store's name: cluster-<N>/<app>/<name>
}

func (s *stateRef) clear() { clear(s.key[:]) }

func (s *stateRef) String() string { return s.app + "/" + s.name }

// resolve validates the {app} and {name} of a state path and takes the
// current cluster key.
func (a *API) resolve(req *http.Request) (*stateRef, *appError) {
	ref := &stateRef{app: req.PathValue("app"), name: req.PathValue("name")}
	if err := validateAppID(ref.app); err != nil {
		return nil, appErrorf(http.StatusBadRequest, "%v", err)
	}
	if err := statestore.ValidateName(ref.name); err != nil {
		return nil, appErrorf(http.StatusBadRequest, "state name: %v", err)
	}
	var ok bool
	ref.cluster, ref.version, ref.key, ok = a.keys.CurrentClusterKey()
	if !ok {
		return nil, errNoClusterKey
	}
	ref.object = "cluster-" + strconv.FormatUint(ref.cluster, 10) + "/" + ref.app + "/" + ref.name
	if err := statestore.ValidateName(ref.object); err != nil {
		ref.clear()
		return nil, appErrorf(http.StatusBadRequest, "state name too long: %v", err)
	}
	return ref, nil
}

// storeError maps a state store failure; the caller has checked names, so
// anything but not-found and too-large is the store's fault.
func (a *API) storeError(op string, ref *stateRef, err error) *appError {
	switch {
	case errors.Is(err, statestore.ErrNotFound):
		return appErrorf(http.StatusNotFound, "no state %s", ref)
	case errors.Is(err, statestore.ErrTooLarge) && op == "put":
		return appErrorf(http.StatusRequestEntityTooLarge, "state %s: %v", ref, err)
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		return appErrorf(http.StatusServiceUnavailable, "state %s: %v", ref, err)
	}
	a.log.Error("app state store failed", "op", op, "app", ref.app, "name", ref.name, "err", err)
	return appErrorf(http.StatusInternalServerError, "state %s: state store: %v", ref, err)
}

func (a *API) handlePut(w http.ResponseWriter, req *http.Request) {
	ref, e := a.resolve(req)
	if e != nil {
		a.fail(w, e)
		return
	}
	defer ref.clear()
	if p, ok := a.keys.(pendingClusterKeys); ok && p.NewerClusterKeyPending(ref.cluster, ref.version) {
		a.fail(w, appErrorf(http.StatusConflict, "state %s: a newer cluster key version than %d is granted and not received yet (a rotation); retry shortly", ref, ref.version))
		return
	}
	if req.ContentLength > MaxStateSize {
		a.fail(w, appErrorf(http.StatusRequestEntityTooLarge, "state %s: body is %d bytes, limit %d", ref, req.ContentLength, MaxStateSize))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxStateSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.fail(w, appErrorf(http.StatusRequestEntityTooLarge, "state %s: body over %d bytes", ref, MaxStateSize))
			return
		}
		a.fail(w, appErrorf(http.StatusBadRequest, "state %s: reading body: %v", ref, err))
		return
	}
	defer clear(body)
	seal := crypto.SealBlob
	if a.envelope {
		seal = crypto.SealEnvelopeBlob
	}
	for {
		blob, err := seal(a.rand, ref.key, crypto.BlobID{Cluster: ref.cluster, Version: ref.version, App: ref.app, Name: ref.name}, body)
		if err != nil {
			a.log.Error("sealing app state failed", "app", ref.app, "name", ref.name, "err", err)
			a.fail(w, appErrorf(http.StatusInternalServerError, "state %s: %v", ref, err))
			return
		}
		if err := a.store.Put(req.Context(), ref.object, blob); err != nil {
			a.fail(w, a.storeError("put", ref, err))
			return
		}
		// A newer key version that arrived while this blob was being
		// written may already be acknowledged on chain, and the rotation
		// may have swept the store before the write landed: save it again
		// under the newer version, or the erasure of the old one would
		// lose it. If the key is still the one used, its acknowledgement
		// comes after this write, and so does the sweep (issue 12 point 4).
		cluster, version, key, ok := a.keys.CurrentClusterKey()
		if !ok || cluster != ref.cluster || version <= ref.version {
			clear(key[:])
			break
		}
		ref.clear()
		ref.version, ref.key = version, key
	}
	a.log.Debug("app state saved", "app", ref.app, "name", ref.name, "bytes", len(body), "cluster", ref.cluster, "version", ref.version)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) handleGet(w http.ResponseWriter, req *http.Request) {
	ref, e := a.resolve(req)
	if e != nil {
		a.fail(w, e)
		return
	}
	defer ref.clear()
	blob, err := a.store.Get(req.Context(), ref.object)
	if err != nil {
		a.fail(w, a.storeError("get", ref, err))
		return
	}
	pt, e := a.open(ref, blob)
	if e != nil {
		a.fail(w, e)
		return
	}
	defer clear(pt)
	a.log.Debug("app state loaded", "app", ref.app, "name", ref.name, "bytes", len(pt))
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(pt)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pt)
}

// open decrypts a stored blob under the key version its header names, which
// may be older than the current one (written before a rotation).
func (a *API) open(ref *stateRef, blob []byte) ([]byte, *appError) {
	integrity := func(err error) *appError {
		a.log.Error("stored app state does not open", "app", ref.app, "name", ref.name, "err", err)
		return appErrorf(http.StatusInternalServerError, "state %s: stored blob does not open (tampered with, corrupted, or moved from another name): %v", ref, err)
	}
	cluster, version, err := crypto.BlobKeyVersion(blob)
	if err != nil {
		return nil, integrity(err)
	}
	if cluster != ref.cluster {
		return nil, integrity(fmt.Errorf("%w: written by cluster %d, this worker is in cluster %d", crypto.ErrBlob, cluster, ref.cluster))
	}
	key := ref.key
	defer clear(key[:])
	if version != ref.version {
		var ok bool
		if key, ok = a.keys.ClusterKeyVersion(cluster, version); !ok {
			return nil, appErrorf(http.StatusConflict, "state %s: written under cluster key version %d, which this worker does not hold (current %d)", ref, version, ref.version)
		}
	}
	pt, err := crypto.OpenBlob(key, crypto.BlobID{Cluster: cluster, Version: version, App: ref.app, Name: ref.name}, blob)
	if err != nil {
		return nil, integrity(err)
	}
	return pt, nil
}

func (a *API) handleDelete(w http.ResponseWriter, req *http.Request) {
	ref, e := a.resolve(req)
	if e != nil {
		a.fail(w, e)
		return
	}
	ref.clear()
	if err := a.store.Delete(req.Context(), ref.object); err != nil {
		a.fail(w, a.storeError("delete", ref, err))
		return
	}
	a.log.Debug("app state deleted", "app", ref.app, "name", ref.name)
	w.WriteHeader(http.StatusNoContent)
}
