package appapi_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// send is a request with an explicit Host and Content-Type ("" sends none).
func (e *appEnv) send(t *testing.T, method, target, host, contentType, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Host = host
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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

const keyBody = `{"app_id":"app-1","path":["x"]}`

// A web page the worker's host browses can make the browser send requests
// to the app API (DNS rebinding: the attacker's name resolves to 127.0.0.1;
// or 0.0.0.0, which browsers have routed to localhost). The browser then
// sends the attacker's name as Host, so anything but a loopback Host is
// refused before any work: no key, no state read, nothing stored.
func TestAppRefusesForeignHost(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	const secret = "s3cr3t-app-state"
	e.mustPut(t, "app-1", "secret", []byte(secret))
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:8103", true},
		{"127.0.0.1", true},
		{"127.9.8.7:1", true},
		{"localhost:8103", true},
		{"localhost", true},
		{"LocalHost:8103", true},
		{"[::1]:8103", true},
		{"[::1]", true},

		{"evil.example", false},
		{"evil.example:8103", false},
		{"127.0.0.1.evil.example:8103", false},
		{"localhost.evil.example", false},
		{"localhost.:8103", false},
		{"0.0.0.0:8103", false},
		{"[::]:8103", false},
		{"10.0.0.1:8103", false},
		{"[::2]:8103", false},
		{"127.1:8103", false},
		{"::1", false},
		{"localhost:abc", false},
		{"", false},
	}
	planted := func(host string) string {
		return "planted-" + strings.NewReplacer(":", "_", "[", "_", "]", "_").Replace(host)
	}
	t.Run("hosts", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.host, func(t *testing.T) {
				t.Parallel()
				key := e.send(t, http.MethodPost, appapi.PathKey, tc.host, "application/json", keyBody)
				get := e.send(t, http.MethodGet, appapi.PathState+"app-1/secret", tc.host, "", "")
				put := e.send(t, http.MethodPut, appapi.PathState+"app-1/"+planted(tc.host), tc.host, "", "x")
				if tc.ok {
					if key.status != http.StatusOK || get.status != http.StatusOK || put.status != http.StatusNoContent {
						t.Fatalf("loopback Host %q refused: key %d, get %d, put %d", tc.host, key.status, get.status, put.status)
					}
					return
				}
				for _, r := range []reply{key, get, put} {
					if strings.Contains(string(r.body), secret) {
						t.Fatalf("Host %q was served the state", tc.host)
					}
					wantStatus(t, r, http.StatusForbidden, "not a loopback name")
				}
			})
		}
	})
	store, err := statestore.OpenDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		_, err := store.Get(context.Background(), "cluster-7/app-1/"+planted(tc.host))
		if stored := err == nil; stored != tc.ok {
			t.Errorf("PUT from Host %q: stored %t (err %v)", tc.host, stored, err)
		}
	}
}

// The same over a real listener: a client that connects to 127.0.0.1 but
// names another host, as a browser does after DNS rebinding, is refused.
func TestAppRefusesRebindingOverHTTP(t *testing.T) {
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
	defer cancel()
	go func() { _ = appapi.New(e.keys, store, nil).Serve(ctx, ln) }()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, tc := range []struct {
		host string
		want int
	}{
		{"rebind.evil.example:" + port, http.StatusForbidden},
		{"127.0.0.1:" + port, http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+appapi.PathKey, strings.NewReader(keyBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Host %q: %d %s, want %d", tc.host, res.StatusCode, b, tc.want)
		}
	}
}

// A page can POST cross-origin without a CORS preflight only with a
// "simple" content type (text/plain, form or multipart); the key route takes
// only application/json, so such a request never reaches the decoder.
func TestAppKeyNeedsJSONContentType(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	tests := []struct {
		contentType string
		want        int
	}{
		{"application/json", http.StatusOK},
		{"application/json; charset=utf-8", http.StatusOK},
		{"Application/JSON; charset=UTF-8", http.StatusOK},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"text/plain; charset=utf-8", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"application/json; charset=latin1", http.StatusUnsupportedMediaType},
		{"application/jsonx", http.StatusUnsupportedMediaType},
		{"application/json;;", http.StatusUnsupportedMediaType},
		{"", http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.contentType, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, http.MethodPost, appapi.PathKey, "127.0.0.1:8103", tc.contentType, keyBody)
			if tc.want == http.StatusOK {
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			wantStatus(t, r, tc.want, "application/json")
		})
	}
}

// A browser preflights every other cross-origin request (a PUT, a DELETE,
// a POST with application/json); the API answers no preflight, so the
// browser sends none of them.
func TestAppAnswersNoPreflight(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	req := httptest.NewRequest(http.MethodOptions, appapi.PathKey, nil)
	req.Host = "127.0.0.1:8103"
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code/100 == 2 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight answered %d with Access-Control-Allow-Origin %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
}

// One document, one meaning: a key request whose JSON a lenient parser reads
// one way and encoding/json another (duplicate keys, a key that only matches
// case-insensitively, invalid UTF-8, an unpaired surrogate) is refused.
func TestAppKeyStrictJSON(t *testing.T) {
	t.Parallel()
	e := newAppEnv(t)
	tests := []struct {
		name, body, want string
	}{
		{"duplicate app_id", `{"app_id":"app-1","app_id":"app-2"}`, "duplicate key"},
		{"duplicate path", `{"app_id":"app-1","path":["a"],"path":["b"]}`, "duplicate key"},
		{"case variant", `{"App_ID":"app-1"}`, "case-sensitive"},
		{"case variant beside the field", `{"app_id":"app-1","APP_ID":"app-2"}`, "case-sensitive"},
		{"invalid UTF-8 in a path part", "{\"app_id\":\"app-1\",\"path\":[\"a\xffb\"]}", "invalid UTF-8"},
		{"lone surrogate in a path part", `{"app_id":"app-1","path":["\ud800"]}`, "surrogate"},
		{"trailing data", `{"app_id":"app-1"}{"app_id":"app-2"}`, "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.send(t, http.MethodPost, appapi.PathKey, "127.0.0.1:8103", "application/json", tc.body)
			wantStatus(t, r, http.StatusBadRequest, tc.want)
		})
	}
}
