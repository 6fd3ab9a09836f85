package appapi_test

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// Flags feed config; see bench/README.md. Only the report test and the
// benchmarks read them.
var (
	flagClients  = flag.Int("appapi.clients", 8, "concurrent HTTP clients")
	flagRequests = flag.Int("appapi.requests", 50, "requests per client per workload per round")
	flagRounds   = flag.Int("appapi.rounds", 10, "interleaved rounds of the HTTP workloads")
	flagKDFRound = flag.Int("appapi.kdfround", 2000, "derivations per timed round of the KDF measurement")
	flagKDFRuns  = flag.Int("appapi.kdfrounds", 30, "interleaved rounds of the KDF measurement")
)

// reportEnv gates TestAppAPIReport so that `go test ./...` stays fast.
const reportEnv = "GK_BENCH"

// Goal from the issue: app-key derivations per second on one core.
const goalAppKeysPerSec = 50_000

// The derivation measured: a typical app key request.
var (
	benchApp  = "app-1"
	benchPath = []string{"db", "snapshot", "v1"}
)

func benchClusterKey() [crypto.KeySize]byte {
	var k [crypto.KeySize]byte
	for i := range k {
		k[i] = byte(0x40 + i)
	}
	return k
}

// refHKDF is the reference of an app key derivation: hkdf.Key over exactly
// the salt, secret and info AppKey uses, with no validation or path
// encoding. AppKey ÷ refHKDF is therefore ≤ 1 and says what the wrapper costs.
type refHKDF struct {
	secret, salt []byte
	info         string
}

func newRefHKDF(tb testing.TB) refHKDF {
	tb.Helper()
	parts := [][]byte{[]byte("app"), []byte(benchApp)}
	for _, p := range benchPath {
		parts = append(parts, []byte(p))
	}
	info, err := protocol.AppendLengthPrefixed(nil, parts...)
	if err != nil {
		tb.Fatal(err)
	}
	ck := benchClusterKey()
	r := refHKDF{secret: ck[:], salt: []byte(protocol.ContextKDF), info: string(info)}
	// Same bytes as AppKey, or the comparison is meaningless.
	want, err := crypto.AppKey(ck, benchApp, benchPath...)
	if err != nil {
		tb.Fatal(err)
	}
	if got := r.derive(tb); !bytes.Equal(got, want[:]) {
		tb.Fatalf("reference HKDF %x differs from AppKey %x", got, want)
	}
	return r
}

func (r refHKDF) derive(tb testing.TB) []byte {
	k, err := hkdf.Key(sha256.New, r.secret, r.salt, r.info, crypto.KeySize)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// kdfResult is the single-goroutine derivation rates.
type kdfResult struct {
	appKey, ref           []float64 // per-round rates, derivations/s
	appKeyTotal, refTotal time.Duration
	appKeyCalls, refCalls int
}

func (r kdfResult) AppKeyRate() float64 { return float64(r.appKeyCalls) / r.appKeyTotal.Seconds() }
func (r kdfResult) RefRate() float64    { return float64(r.refCalls) / r.refTotal.Seconds() }

// measureKDF alternates rounds of AppKey and of the reference on this one
// goroutine, so both see the same machine load.
func measureKDF(tb testing.TB, rounds, perRound int) kdfResult {
	tb.Helper()
	ck := benchClusterKey()
	ref := newRefHKDF(tb)
	var res kdfResult
	for r := range rounds + 1 { // round 0 warms up
		start := time.Now()
		for range perRound {
			if _, err := crypto.AppKey(ck, benchApp, benchPath...); err != nil {
				tb.Fatal(err)
			}
		}
		dApp := time.Since(start)
		start = time.Now()
		for range perRound {
			ref.derive(tb)
		}
		dRef := time.Since(start)
		if r == 0 {
			continue
		}
		res.appKey = append(res.appKey, float64(perRound)/dApp.Seconds())
		res.ref = append(res.ref, float64(perRound)/dRef.Seconds())
		res.appKeyTotal += dApp
		res.refTotal += dRef
		res.appKeyCalls += perRound
		res.refCalls += perRound
	}
	return res
}

// fixedKeys is a worker holding version 1 of cluster 7's key.
type fixedKeys struct{}

func (fixedKeys) CurrentClusterKey() (uint64, uint32, [crypto.KeySize]byte, bool) {
	return 7, 1, benchClusterKey(), true
}

func (fixedKeys) ClusterKeyVersion(cluster uint64, v uint32) ([crypto.KeySize]byte, bool) {
	return benchClusterKey(), cluster == 7 && v == 1
}

// memStore is an in-memory statestore.Store: PUT+GET against it is the app
// API (HTTP, JSON, sealing) without the disk's fsyncs.
type memStore struct {
	mu   sync.RWMutex
	objs map[string][]byte
}

func (m *memStore) Put(_ context.Context, name string, data []byte) error {
	if err := statestore.ValidateName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[name] = bytes.Clone(data)
	return nil
}

func (m *memStore) Get(_ context.Context, name string) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.objs[name]
	if !ok {
		return nil, statestore.ErrNotFound
	}
	return bytes.Clone(b), nil
}

func (m *memStore) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[name]; !ok {
		return statestore.ErrNotFound
	}
	delete(m.objs, name)
	return nil
}

func (m *memStore) List(_ context.Context, prefix string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for n := range maps.Keys(m.objs) {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// server is one HTTP server with both app APIs (the directory store under
// /dir, the memory store under /mem, prefixes stripped) and the reference
// route /ref, a trivial handler that reads the body and answers 204. One
// server and one client transport for all, so that the workloads and the
// reference share the setup.
type server struct {
	srv    *httptest.Server
	client *http.Client
}

const refPath = "/ref"

func newServer(tb testing.TB) *server {
	tb.Helper()
	dir, err := statestore.OpenDir(filepath.Join(tb.TempDir(), "state"))
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	mux.Handle("/dir/", http.StripPrefix("/dir", appapi.New(fixedKeys{}, dir, log).Handler()))
	mux.Handle("/mem/", http.StripPrefix("/mem", appapi.New(fixedKeys{}, &memStore{objs: map[string][]byte{}}, log).Handler()))
	mux.HandleFunc(refPath, func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	// Keep one connection per client alive; the default of 2 idle
	// connections per host would make most requests dial.
	tr.MaxIdleConnsPerHost = 64
	tb.Cleanup(tr.CloseIdleConnections)
	return &server{srv: srv, client: &http.Client{Transport: tr}}
}

// call sends one request and checks the status.
func (s *server) call(method, path string, body []byte, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		return err
	}
	if method == http.MethodPost {
		// The app API takes JSON bodies declared as such (415 otherwise).
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	return nil
}

// op is one timed request (or pair) a client makes; i numbers the client's
// requests so that state names can vary.
type op struct {
	name string
	do   func(s *server, client, i int) error
}

var (
	keyBody, _ = json.Marshal(appapi.KeyRequest{AppID: benchApp, Path: benchPath})
	blob4KiB   = bytes.Repeat([]byte("4KiB state blob."), 4096/16)
)

// stateName spreads each client over 16 names of its own.
func stateName(client, i int) string { return fmt.Sprintf("bench/c%d/obj%d", client, i%16) }

func putGet(prefix string) func(*server, int, int) error {
	return func(s *server, c, i int) error {
		p := prefix + appapi.PathState + benchApp + "/" + stateName(c, i)
		if err := s.call(http.MethodPut, p, blob4KiB, http.StatusNoContent); err != nil {
			return err
		}
		return s.call(http.MethodGet, p, nil, http.StatusOK)
	}
}

// The workloads, each next to its reference: the trivial 204 handler sent
// the same request bytes (the key request's JSON; for PUT+GET, a 4 KiB PUT
// and a bodiless GET).
var ops = []op{
	{"ref key (204)", func(s *server, _, _ int) error {
		return s.call(http.MethodPost, refPath, keyBody, http.StatusNoContent)
	}},
	{"POST key", func(s *server, _, _ int) error {
		return s.call(http.MethodPost, "/mem"+appapi.PathKey, keyBody, http.StatusOK)
	}},
	{"ref put+get (204)", func(s *server, _, _ int) error {
		if err := s.call(http.MethodPut, refPath, blob4KiB, http.StatusNoContent); err != nil {
			return err
		}
		return s.call(http.MethodGet, refPath, nil, http.StatusNoContent)
	}},
	{"PUT+GET 4KiB mem", putGet("/mem")},
	{"PUT+GET 4KiB dir", putGet("/dir")},
}

// latencies runs one op with `clients` concurrent clients, `requests` each,
// and returns every request's latency.
func runOp(s *server, o op, clients, requests int) ([]time.Duration, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		lats = make([]time.Duration, 0, clients*requests)
		errs []error
	)
	for c := range clients {
		wg.Go(func() {
			mine := make([]time.Duration, 0, requests)
			for i := range requests {
				start := time.Now()
				if err := o.do(s, c, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return lats, nil
}

// measureHTTP runs all ops in interleaved rounds (after one untimed warm-up
// round if warmUp) and returns each op's latencies.
func measureHTTP(tb testing.TB, s *server, rounds, clients, requests int, warmUp bool) map[string][]time.Duration {
	tb.Helper()
	out := map[string][]time.Duration{}
	first := 1
	if warmUp {
		first = 0
	}
	for r := first; r <= rounds; r++ {
		for _, o := range ops {
			lats, err := runOp(s, o, clients, requests)
			if err != nil {
				tb.Fatal(err)
			}
			if r > 0 {
				out[o.name] = append(out[o.name], lats...)
			}
		}
	}
	return out
}

func percentile(lats []time.Duration, q float64) time.Duration {
	s := slices.Clone(lats)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// TestAppAPIReport prints the figures bench/README.md quotes. It runs only
// with GK_BENCH=1:
//
//	GK_BENCH=1 go test ./bench/appapi -run TestAppAPIReport -v -count=1
func TestAppAPIReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the app API report", reportEnv)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "worker app API: app keys on one goroutine; HTTP with %d clients × %d requests × %d rounds per workload\n", *flagClients, *flagRequests, *flagRounds)
	fmt.Fprintf(&b, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())

	k := measureKDF(t, *flagKDFRuns, *flagKDFRound)
	fmt.Fprintf(&b, "app key derivation, one goroutine, %d rounds of %d (AppKey %q %q vs hkdf.Key over the same salt, secret and info)\n", *flagKDFRuns, *flagKDFRound, benchApp, benchPath)
	fmt.Fprintf(&b, "%-22s %14s %16s\n", "", "derivations/s", "median round/s")
	fmt.Fprintf(&b, "%-22s %14.0f %16.0f\n", "crypto.AppKey", k.AppKeyRate(), median(k.appKey))
	fmt.Fprintf(&b, "%-22s %14.0f %16.0f\n", "ref hkdf.Key", k.RefRate(), median(k.ref))
	fmt.Fprintf(&b, "AppKey/ref %.3f (ceiling 1.0); goal >= %d/s per core: %v\n\n", k.AppKeyRate()/k.RefRate(), goalAppKeysPerSec, k.AppKeyRate() >= goalAppKeysPerSec)

	s := newServer(t)
	lats := measureHTTP(t, s, *flagRounds, *flagClients, *flagRequests, true)
	fmt.Fprintf(&b, "app API latency over HTTP (loopback, keep-alive), %d concurrent clients; PUT+GET rows time the pair\n", *flagClients)
	fmt.Fprintf(&b, "%-20s %8s %10s %10s %12s %12s\n", "workload", "requests", "p50 µs", "p99 µs", "p50/ref", "p99/ref")
	refs := map[string]string{"POST key": "ref key (204)", "PUT+GET 4KiB mem": "ref put+get (204)", "PUT+GET 4KiB dir": "ref put+get (204)"}
	for _, o := range ops {
		l := lats[o.name]
		p50, p99 := percentile(l, 0.50), percentile(l, 0.99)
		r50, r99 := "", ""
		if ref, ok := refs[o.name]; ok {
			r50 = fmt.Sprintf("%.2f", float64(p50)/float64(percentile(lats[ref], 0.50)))
			r99 = fmt.Sprintf("%.2f", float64(p99)/float64(percentile(lats[ref], 0.99)))
		}
		fmt.Fprintf(&b, "%-20s %8d %10.0f %10.0f %12s %12s\n", o.name, len(l), us(p50), us(p99), r50, r99)
	}
	t.Log("\n" + b.String())
}

// kdfBenchRound is how many derivations one iteration of the KDF benchmarks
// runs, so that `-benchtime=1x` (as `make bench` runs) still averages.
const kdfBenchRound = 1000

// BenchmarkAppKey: crypto.AppKey derivations per second on one goroutine
// (goal ≥ 50,000/s per core). One iteration is kdfBenchRound derivations.
func BenchmarkAppKey(b *testing.B) {
	ck := benchClusterKey()
	b.ReportAllocs()
	for b.Loop() {
		for range kdfBenchRound {
			if _, err := crypto.AppKey(ck, benchApp, benchPath...); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*kdfBenchRound)/b.Elapsed().Seconds(), "derivations/s")
}

// BenchmarkHKDFReference is BenchmarkAppKey's reference: hkdf.Key over the
// same salt, secret and info.
func BenchmarkHKDFReference(b *testing.B) {
	ref := newRefHKDF(b)
	b.ReportAllocs()
	for b.Loop() {
		for range kdfBenchRound {
			ref.derive(b)
		}
	}
	b.ReportMetric(float64(b.N*kdfBenchRound)/b.Elapsed().Seconds(), "derivations/s")
}

// BenchmarkAppAPIHTTP runs one round of every HTTP workload per iteration
// (setup untimed) and reports each one's p99 in µs and its ratio to its
// reference's p99.
func BenchmarkAppAPIHTTP(b *testing.B) {
	s := newServer(b)
	measureHTTP(b, s, 0, *flagClients, *flagRequests, true)
	all := map[string][]time.Duration{}
	for b.Loop() {
		for name, l := range measureHTTP(b, s, 1, *flagClients, *flagRequests, false) {
			all[name] = append(all[name], l...)
		}
	}
	p99 := func(name string) time.Duration { return percentile(all[name], 0.99) }
	b.ReportMetric(us(p99("ref key (204)")), "ref-key-p99-µs")
	b.ReportMetric(us(p99("POST key")), "key-p99-µs")
	b.ReportMetric(float64(p99("POST key"))/float64(p99("ref key (204)")), "key-p99/ref")
	b.ReportMetric(us(p99("ref put+get (204)")), "ref-putget-p99-µs")
	b.ReportMetric(us(p99("PUT+GET 4KiB dir")), "putget-dir-p99-µs")
	b.ReportMetric(float64(p99("PUT+GET 4KiB dir"))/float64(p99("ref put+get (204)")), "putget-dir-p99/ref")
	b.ReportMetric(us(p99("PUT+GET 4KiB mem")), "putget-mem-p99-µs")
}
