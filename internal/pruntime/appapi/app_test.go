package appapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// The runtime is what the app API is served over.
var _ appapi.ClusterKeys = pruntime.ClusterKeys{}

// fakeKeys is a worker's cluster key history: versions held, the newest
// current. Empty: no cluster key yet.
type fakeKeys struct {
	mu       sync.Mutex
	cluster  uint64
	versions map[uint32][crypto.KeySize]byte
	current  uint32
}

func newFakeKeys(cluster uint64) *fakeKeys {
	return &fakeKeys{cluster: cluster, versions: map[uint32][crypto.KeySize]byte{}}
}

// add makes version v (with a key derived from cluster and v) the current one.
func (f *fakeKeys) add(v uint32) [crypto.KeySize]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	var k [crypto.KeySize]byte
	for i := range k {
		k[i] = byte(f.cluster)*31 + byte(v)*7 + byte(i)
	}
	f.versions[v] = k
	f.current = v
	return k
}

func (f *fakeKeys) retire(v uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.versions, v)
}

func (f *fakeKeys) CurrentClusterKey() (uint64, uint32, [crypto.KeySize]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.versions[f.current]
	return f.cluster, f.current, k, ok
}

func (f *fakeKeys) ClusterKeyVersion(cluster uint64, v uint32) ([crypto.KeySize]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cluster != f.cluster {
		return [crypto.KeySize]byte{}, false
	}
	k, ok := f.versions[v]
	return k, ok
}

// appEnv is an app API over a temp-dir state store, with its log captured.
type appEnv struct {
	keys   *fakeKeys
	dir    string
	h      http.Handler
	logs   *syncBuffer
	rewrap bool // the rewrap policy; false is the default, reencrypt
}

type syncBuffer = e2etest.SyncBuffer

func newAppEnv(t *testing.T) *appEnv {
	t.Helper()
	keys := newFakeKeys(7)
	keys.add(1)
	e := &appEnv{keys: keys, dir: filepath.Join(t.TempDir(), "state"), logs: &syncBuffer{}}
	e.restart(t)
	return e
}

// restart builds a new AppAPI over a freshly opened store in the same
// directory, as a restarted worker does.
func (e *appEnv) restart(t *testing.T) {
	t.Helper()
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.h = appapi.New(e.keys, store, log).WithRewrap(e.rewrap).Handler()
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) errMsg(t *testing.T) string {
	t.Helper()
	var e api.Error
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		t.Fatalf("status %d: body %q is not an api.Error", r.status, r.body)
	}
	return e.Error
}

// do sends a request as an app beside the worker does: to a loopback Host,
// with a JSON body declared as such.
func (e *appEnv) do(t *testing.T, method, target string, body io.Reader) reply {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	req.Host = "127.0.0.1:8103"
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, body: b, header: res.Header}
}

func (e *appEnv) key(t *testing.T, body string) reply {
	t.Helper()
	return e.do(t, http.MethodPost, appapi.PathKey, strings.NewReader(body))
}

func (e *appEnv) mustKey(t *testing.T, app string, path ...string) appapi.KeyResponse {
	t.Helper()
	b, err := json.Marshal(appapi.KeyRequest{AppID: app, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	r := e.key(t, string(b))
	if r.status != http.StatusOK {
		t.Fatalf("key %s %q: status %d: %s", app, path, r.status, r.body)
	}
	var out appapi.KeyResponse
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *appEnv) put(t *testing.T, app, name string, data []byte) reply {
	t.Helper()
	return e.do(t, http.MethodPut, appapi.PathState+app+"/"+name, bytes.NewReader(data))
}

func (e *appEnv) get(t *testing.T, app, name string) reply {
	t.Helper()
	return e.do(t, http.MethodGet, appapi.PathState+app+"/"+name, nil)
}

func (e *appEnv) del(t *testing.T, app, name string) reply {
	t.Helper()
	return e.do(t, http.MethodDelete, appapi.PathState+app+"/"+name, nil)
}

func (e *appEnv) mustPut(t *testing.T, app, name string, data []byte) {
	t.Helper()
	if r := e.put(t, app, name, data); r.status != http.StatusNoContent {
		t.Fatalf("put %s/%s: status %d: %s", app, name, r.status, r.body)
	}
}

func (e *appEnv) mustGet(t *testing.T, app, name string, want []byte) {
	t.Helper()
	r := e.get(t, app, name)
	if r.status != http.StatusOK {
		t.Fatalf("get %s/%s: status %d: %s", app, name, r.status, r.body)
	}
	if !bytes.Equal(r.body, want) {
		t.Fatalf("get %s/%s: %d bytes, want %d", app, name, len(r.body), len(want))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func wantStatus(t *testing.T, r reply, status int, msg string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if got := r.errMsg(t); !strings.Contains(got, msg) {
		t.Fatalf("error %q, want it to contain %q", got, msg)
	}
}

func TestAppKeyMatchesAppKey(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	ck := e.keys.add(4)
	for _, path := range [][]string{nil, {}, {"a"}, {"a", "b"}, {"", ""}, {strings.Repeat("p", appapi.MaxKeyPathPartLen)}} {
		got := e.mustKey(t, "app-1", path...)
		want, err := crypto.AppKey(ck, "app-1", path...)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cluster != 7 || got.Version != 4 || got.Key != hex.EncodeToString(want[:]) {
			t.Fatalf("path %q: got %+v, want cluster 7 version 4 key %x", path, got, want)
		}
	}
}

func TestAppKeysDiffer(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	reqs := []struct {
		app  string
		path []string
	}{
		{"app-1", nil},
		{"app-2", nil},
		{"app-1", []string{"a"}},
		{"app-1", []string{"a", "b"}},
		{"app-1", []string{"ab"}},
		{"app-1", []string{"ab", "c"}},
		{"app-1", []string{"a", "bc"}},
		{"app-1", []string{""}},
		{"app-1a", nil},
		{"app", []string{"-1"}},
	}
	seen := map[string]int{}
	for i, r := range reqs {
		k := e.mustKey(t, r.app, r.path...).Key
		if j, dup := seen[k]; dup {
			t.Fatalf("%+v and %+v derive the same key", reqs[j], r)
		}
		seen[k] = i
	}
	// A rotation changes every key.
	before := e.mustKey(t, "app-1").Key
	e.keys.add(2)
	if after := e.mustKey(t, "app-1"); after.Key == before || after.Version != 2 {
		t.Fatalf("key after rotation: %+v (before %s)", after, before)
	}
}

func TestAppKeyBadRequests(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	tooManyParts, _ := json.Marshal(appapi.KeyRequest{AppID: "a", Path: make([]string, appapi.MaxKeyPathParts+1)})
	longPart, _ := json.Marshal(appapi.KeyRequest{AppID: "a", Path: []string{strings.Repeat("p", appapi.MaxKeyPathPartLen+1)}})
	longApp, _ := json.Marshal(appapi.KeyRequest{AppID: strings.Repeat("a", appapi.MaxAppIDLen+1)})
	huge := `{"app_id": "a", "path": ["` + strings.Repeat("x", appapi.MaxKeyRequestBody) + `"]}`
	tests := []struct {
		name   string
		body   string
		status int
		msg    string
	}{
		{"not json", "app_id=a", http.StatusBadRequest, "request body"},
		{"empty body", "", http.StatusBadRequest, "request body"},
		{"unknown field", `{"app_id": "a", "cluster": 1}`, http.StatusBadRequest, "unknown field"},
		{"trailing data", `{"app_id": "a"} {}`, http.StatusBadRequest, "trailing data"},
		{"wrong type", `{"app_id": "a", "path": "x"}`, http.StatusBadRequest, "request body"},
		{"missing app id", `{"path": ["x"]}`, http.StatusBadRequest, "app id is 0 bytes"},
		{"app id with slash", `{"app_id": "a/b"}`, http.StatusBadRequest, "byte 0x2f"},
		{"app id dot dot", `{"app_id": ".."}`, http.StatusBadRequest, "reserved"},
		{"app id non-ascii", `{"app_id": "é"}`, http.StatusBadRequest, "app id"},
		{"app id too long", string(longApp), http.StatusBadRequest, "app id is 129 bytes"},
		{"too many parts", string(tooManyParts), http.StatusBadRequest, "33 parts"},
		{"part too long", string(longPart), http.StatusBadRequest, "257 bytes"},
		{"oversized body", huge, http.StatusRequestEntityTooLarge, "over 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, e.key(t, tc.body), tc.status, tc.msg)
		})
	}
}

func TestAppStateRoundTrip(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	data := make([]byte, 100_000)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	e.mustPut(t, "app-1", "db/snapshot.v1", data)
	e.mustGet(t, "app-1", "db/snapshot.v1", data)
	e.mustPut(t, "app-1", "db/snapshot.v1", []byte("replaced"))
	e.mustGet(t, "app-1", "db/snapshot.v1", []byte("replaced"))
	e.mustPut(t, "app-1", "empty", nil)
	e.mustGet(t, "app-1", "empty", []byte{})
	// Same name, other app: independent.
	wantStatus(t, e.get(t, "app-2", "db/snapshot.v1"), http.StatusNotFound, "no state app-2/db/snapshot.v1")
	if r := e.del(t, "app-1", "db/snapshot.v1"); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantStatus(t, e.get(t, "app-1", "db/snapshot.v1"), http.StatusNotFound, "no state")
	wantStatus(t, e.del(t, "app-1", "db/snapshot.v1"), http.StatusNotFound, "no state")
	e.mustGet(t, "app-1", "empty", []byte{})
}

// What the store holds is ciphertext, under cluster-<N>/<app>/<name>.
func TestAppStateAtRest(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	secret := bytes.Repeat([]byte("plaintext state "), 64)
	e.mustPut(t, "app-1", "s", secret)
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List(context.Background(), "")
	if err != nil || !slices.Equal(names, []string{"cluster-7/app-1/s"}) {
		t.Fatalf("store holds %q, %v", names, err)
	}
	blob, err := store.Get(context.Background(), names[0])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("plaintext state")) || len(blob) != len(secret)+crypto.BlobOverhead {
		t.Fatalf("stored object is not a blob of the state (%d bytes)", len(blob))
	}
	if c, v, err := crypto.BlobKeyVersion(blob); err != nil || c != 7 || v != 1 {
		t.Fatalf("blob header %d/%d, %v", c, v, err)
	}
}

// Under the rewrap policy the API writes envelope blobs; it reads both
// formats, so a deployment may switch policy without rewriting its state.
func TestAppStateRewrapPolicy(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "before", []byte("written under reencrypt"))
	e.rewrap = true
	e.restart(t)
	secret := bytes.Repeat([]byte("plaintext state "), 64)
	e.mustPut(t, "app-1", "s", secret)
	e.mustGet(t, "app-1", "s", secret)
	e.mustGet(t, "app-1", "before", []byte("written under reencrypt"))
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := store.Get(context.Background(), "cluster-7/app-1/s")
	if err != nil {
		t.Fatal(err)
	}
	if !crypto.BlobIsEnvelope(blob) || bytes.Contains(blob, []byte("plaintext state")) || len(blob) != len(secret)+crypto.EnvelopeOverhead {
		t.Fatalf("stored object is not an envelope blob of the state (%d bytes)", len(blob))
	}
}

func TestAppStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "s", []byte("before restart"))
	e.restart(t)
	e.mustGet(t, "app-1", "s", []byte("before restart"))
}

// A blob written before a rotation opens with the old version as long as
// the worker holds it; after retirement it is 409, not a crypto failure.
func TestAppStateAcrossRotation(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "old", []byte("v1 state"))
	e.keys.add(2)
	e.mustGet(t, "app-1", "old", []byte("v1 state"))
	e.mustPut(t, "app-1", "new", []byte("v2 state"))
	e.mustGet(t, "app-1", "new", []byte("v2 state"))
	e.keys.retire(1)
	wantStatus(t, e.get(t, "app-1", "old"), http.StatusConflict, "cluster key version 1, which this worker does not hold")
	e.mustGet(t, "app-1", "new", []byte("v2 state"))
}

// A blob moved to another name, app or cluster does not open: 500 with the
// reason, and the failure is logged.
func TestAppStateMovedBlob(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "a", []byte("state of a"))
	root := e.dir
	src := filepath.Join(root, "cluster-7", "app-1", "a~obj")
	blob, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// Written through the store, so only the content is foreign.
	store, err := statestore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"cluster-7/app-1/b", "cluster-7/app-2/a"} {
		if err := store.Put(context.Background(), dst, blob); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, e.get(t, "app-1", "b"), http.StatusInternalServerError, "authentication failed")
	wantStatus(t, e.get(t, "app-2", "a"), http.StatusInternalServerError, "authentication failed")
	// The same blob moved into another cluster's namespace.
	other := newFakeKeys(8)
	other.versions[1] = e.keys.versions[1] // even with the same key bytes
	other.current = 1
	if err := store.Put(context.Background(), "cluster-8/app-1/a", blob); err != nil {
		t.Fatal(err)
	}
	h := appapi.New(other, store, nil).Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, appapi.PathState+"app-1/a", nil)
	req.Host = "localhost"
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "written by cluster 7") {
		t.Fatalf("blob of cluster 7 read in cluster 8: %d %s", rec.Code, rec.Body)
	}
	// Tampered in place.
	blob[len(blob)-1] ^= 1
	if err := store.Put(context.Background(), "cluster-7/app-1/a", blob); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.get(t, "app-1", "a"), http.StatusInternalServerError, "does not open")
	if !strings.Contains(e.logs.String(), "stored app state does not open") {
		t.Fatal("integrity failure not logged")
	}
	// Garbage.
	if err := store.Put(context.Background(), "cluster-7/app-1/junk", []byte("not a blob")); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.get(t, "app-1", "junk"), http.StatusInternalServerError, "truncated")
}

func TestAppNoClusterKey(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.keys.retire(1)
	const msg = "worker holds no cluster key yet"
	wantStatus(t, e.key(t, `{"app_id": "a"}`), http.StatusConflict, msg)
	wantStatus(t, e.put(t, "a", "s", []byte("x")), http.StatusConflict, msg)
	wantStatus(t, e.get(t, "a", "s"), http.StatusConflict, msg)
	wantStatus(t, e.del(t, "a", "s"), http.StatusConflict, msg)
}

func TestAppStateBadNames(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "x", []byte("x"))
	targets := []struct {
		path string
		msg  string
	}{
		// Encoded traversal is caught on the decoded path, before routing.
		{"app-1/..%2Fx", "not clean"},
		{"app-1/a%2F..%2F..%2Fx", "not clean"},
		{"app-1/%2e%2e/x", "not clean"},
		{"%2e%2e/x", "not clean"},
		{"app-1/.", "not clean"},
		{"app-1/a//b", "not clean"},
		{"app-2/../app-1/x", "not clean"},
		{"app-1/../../x", "not clean"},
		{"app-1/a/", "not clean"},
		{"app-1/a%5Cb", "state name"},
		{"app-1/a~obj", "state name"},
		{"app-1/" + strings.Repeat("n", statestore.MaxSegmentLen+1), "state name"},
		{"app-1/" + strings.Repeat("n/", 250) + "n", "state name too long"},
		{"app-1/a%00b", "state name"},
		{"app-1/a%20b", "state name"},
		{"a%2Fb/x", "app id"},
		{"a~b/x", "app id"},
		{strings.Repeat("a", appapi.MaxAppIDLen+1) + "/x", "app id"},
	}
	for _, tc := range targets {
		for _, method := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
			r := e.do(t, method, appapi.PathState+tc.path, strings.NewReader("y"))
			if r.status != http.StatusBadRequest || !strings.Contains(r.errMsg(t), tc.msg) {
				t.Errorf("%s %s: status %d %s, want 400 %q", method, tc.path, r.status, r.body, tc.msg)
			}
		}
	}
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if names, err := store.List(context.Background(), ""); err != nil || !slices.Equal(names, []string{"cluster-7/app-1/x"}) {
		t.Fatalf("store holds %q, %v", names, err)
	}
	entries, err := os.ReadDir(filepath.Dir(e.dir))
	if err != nil || len(entries) != 1 {
		t.Fatalf("something was written beside the store: %v %v", entries, err)
	}
}

func TestAppStateTooLarge(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	big := make([]byte, appapi.MaxStateSize+1)
	wantStatus(t, e.put(t, "app-1", "big", big), http.StatusRequestEntityTooLarge, "limit 16777216")
	// Without a Content-Length (chunked), the bound applies while reading.
	wantStatus(t, e.do(t, http.MethodPut, appapi.PathState+"app-1/big", io.MultiReader(bytes.NewReader(big))), http.StatusRequestEntityTooLarge, "over 16777216 bytes")
	wantStatus(t, e.get(t, "app-1", "big"), http.StatusNotFound, "no state")
	e.mustPut(t, "app-1", "max", big[:appapi.MaxStateSize])
	e.mustGet(t, "app-1", "max", big[:appapi.MaxStateSize])
}

// Keys and state never reach the log, even at debug level.
func TestAppLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	ck, _ := e.keys.ClusterKeyVersion(7, 1)
	k := e.mustKey(t, "app-1", "p")
	state := []byte("very secret app state")
	e.mustPut(t, "app-1", "s", state)
	e.mustGet(t, "app-1", "s", state)
	e.keys.retire(1)
	e.keys.add(2)
	e.get(t, "app-1", "s")
	logs := e.logs.String()
	if !strings.Contains(logs, "app key derived") || !strings.Contains(logs, "app state saved") {
		t.Fatalf("debug lines missing from the log:\n%s", logs)
	}
	for _, s := range []string{k.Key, hex.EncodeToString(ck[:]), string(state), hex.EncodeToString(state)} {
		if strings.Contains(logs, s) {
			t.Fatalf("log carries secret %q:\n%s", s, logs)
		}
	}
}

// Over real HTTP: routes, methods and the JSON error body.
func TestAppAPIOverHTTP(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPut, srv.URL+appapi.PathState+"app-1/x", strings.NewReader("over http"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT: %d", res.StatusCode)
	}
	res, err = srv.Client().Get(srv.URL + appapi.PathState + "app-1/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(b) != "over http" {
		t.Fatalf("GET: %d %q", res.StatusCode, b)
	}
	res, err = srv.Client().Post(srv.URL+appapi.PathKey, "application/json", strings.NewReader(`{"app_id":"app-1","path":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("POST key: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	res, err = srv.Client().Get(srv.URL + appapi.PathKey)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET key: %d, want 405", res.StatusCode)
	}
}

func TestAppServe(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- appapi.New(e.keys, store, nil).Serve(ctx, ln) }()
	res, err := http.Post("http://"+ln.Addr().String()+appapi.PathKey, "application/json", strings.NewReader(`{"app_id":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}

// Concurrent writers and readers of one name always see a whole version.
func TestAppStateConcurrent(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	e.mustPut(t, "app-1", "shared", []byte("v0"))
	var wg sync.WaitGroup
	errc := make(chan string, 16)
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				v := []byte(strings.Repeat("w", w+1) + strings.Repeat("i", i))
				if r := e.put(t, "app-1", "shared", v); r.status != http.StatusNoContent {
					errc <- string(r.body)
					return
				}
				if r := e.get(t, "app-1", "shared"); r.status != http.StatusOK {
					errc <- string(r.body)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for msg := range errc {
		t.Error(msg)
	}
}
