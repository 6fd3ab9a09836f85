package pruntime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// These tests perform issue 12's stall (point 2) against the real RPC and
// app API handlers of a real Runtime: a header verification held in
// progress through verifyHook stands for an expensive forged header.

// liveness bounds how long a call that must not wait on sync work may take.
// It is generous on purpose: it tells "answers" from "waits until the
// verification ends", not fast from slow.
const liveness = 30 * time.Second

// testGenesis returns a chain's first header, signed by its 4 validators,
// as the relayer sends it, with the genesis validator set hash.
func testGenesis(t testing.TB, chainID string) (api.HeaderUpdate, []byte) {
	t.Helper()
	return testHeader(t, chainID, 1)
}

// testHeader returns the chain's header at height (5 s apart), signed by
// the same 4 validators, and their set's hash.
func testHeader(t testing.TB, chainID string, height int64) (api.HeaderUpdate, []byte) {
	t.Helper()
	var vals []*cmttypes.Validator
	var keys []cmted25519.PrivKey
	for i := range 4 {
		k := cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "synclock/%d", i))
		keys = append(keys, k)
		vals = append(vals, cmttypes.NewValidator(k.PubKey(), 10))
	}
	set := cmttypes.NewValidatorSet(vals)
	h32 := func(s string) []byte { x := sha256.Sum256([]byte(s)); return x[:] }
	tm := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(height-1) * 5 * time.Second)
	header := &cmttypes.Header{
		Version: cmtversion.Consensus{Block: version.BlockProtocol, App: 1}, ChainID: chainID, Height: height, Time: tm,
		LastCommitHash: h32("lc"), DataHash: h32("d"), ValidatorsHash: set.Hash(), NextValidatorsHash: set.Hash(),
		ConsensusHash: h32("c"), AppHash: h32("a"), LastResultsHash: h32("r"), EvidenceHash: h32("e"),
		ProposerAddress: set.Validators[0].Address,
	}
	if height > 1 {
		header.LastBlockID = cmttypes.BlockID{Hash: h32(fmt.Sprint("block ", height-1)), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: h32("p")}}
	}
	commit := &cmttypes.Commit{Height: height, BlockID: cmttypes.BlockID{Hash: header.Hash(), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: h32("p")}}}
	for i, v := range set.Validators {
		commit.Signatures = append(commit.Signatures, cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: v.Address, Timestamp: tm})
		var key cmted25519.PrivKey
		for _, k := range keys {
			if bytes.Equal(k.PubKey().Address(), v.Address) {
				key = k
			}
		}
		sig, err := key.Sign(commit.VoteSignBytes(chainID, int32(i)))
		if err != nil {
			t.Fatal(err)
		}
		commit.Signatures[i].Signature = sig
	}
	sh, err := (&cmttypes.SignedHeader{Header: header, Commit: commit}).ToProto().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	vp, err := set.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	vb, err := vp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return api.HeaderUpdate{SignedHeader: sh, Validators: vb}, set.Hash()
}

// syncEnv is an initialized Runtime holding a cluster key, its RPC and its
// app API, over HTTP.
type syncEnv struct {
	r        *Runtime
	rpc, app *httptest.Server
	genesis  api.HeaderUpdate
	client   *http.Client
}

func newSyncEnv(t *testing.T) *syncEnv {
	t.Helper()
	dir := t.TempDir()
	genesis, valsHash := testGenesis(t, "test-chain")
	cfg := validConfig(dir)
	cfg.TrustRoot = protocol.TrustRoot{Hash: valsHash}
	tee, err := OpenSimTEE(dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRuntime(cfg, tee, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.InitChain(genesis); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	// The worker holds version 1 of cluster 7's key, as after a grant.
	r.mu.Lock()
	next := r.st.Clone()
	next.Cluster = &state.MemberCluster{ID: 7, Keys: []state.ClusterKey{{Version: 1, PublicKey: bytes.Repeat([]byte{2}, 32), Key: bytes.Repeat([]byte{3}, 32)}}}
	err = r.commit(next, r.trusted, true)
	r.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	store, err := statestore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &syncEnv{r: r, genesis: genesis, client: &http.Client{Timeout: liveness},
		rpc: httptest.NewServer(r.Handler()), app: httptest.NewServer(appapi.New(r.ClusterKeys(), store, nil).Handler())}
	t.Cleanup(e.rpc.Close)
	t.Cleanup(e.app.Close)
	return e
}

// holdVerification makes every header verification wait, outside the lock,
// until the returned release is called (also at cleanup); each one entering
// the hold sends on entered.
func (e *syncEnv) holdVerification(t *testing.T) (entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 16)
	hold := make(chan struct{})
	e.r.verifyHook = func() {
		in <- struct{}{}
		<-hold
	}
	release = sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	return in, release
}

func (e *syncEnv) post(t *testing.T, base, path string, body any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Post(base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, out
}

// sendHeader posts the genesis header again (any decodable header reaches
// the verification) in the background; its status arrives on the channel.
func (e *syncEnv) sendHeader(t *testing.T) <-chan int {
	done := make(chan int, 1)
	b, err := json.Marshal(e.genesis)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		res, err := e.client.Post(e.rpc.URL+api.PathSyncHeader, "application/json", bytes.NewReader(b))
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	return done
}

func waitEntered(t *testing.T, entered <-chan struct{}) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(liveness):
		t.Fatal("no header verification started")
	}
}

// TestReadersDoNotWaitOnHeaderVerification: while a header is being
// verified, /get_info, an app key call and an ingress sync answer. Before
// the fix the verification ran under the runtime's lock, which all three
// took, and they waited until it ended.
func TestReadersDoNotWaitOnHeaderVerification(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	entered, release := e.holdVerification(t)
	done := e.sendHeader(t)
	waitEntered(t, entered)

	res, err := e.client.Get(e.rpc.URL + api.PathInfo)
	if err != nil {
		t.Fatalf("/get_info while a header is verified: %v", err)
	}
	var info api.Info
	err = json.NewDecoder(res.Body).Decode(&info)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || info.SyncedHeight != 1 {
		t.Fatalf("/get_info: status %d, synced height %d, %v", res.StatusCode, info.SyncedHeight, err)
	}
	status, body := e.post(t, e.app.URL, appapi.PathKey, appapi.KeyRequest{AppID: "app-1", Path: []string{"db"}})
	if status != http.StatusOK || !strings.Contains(string(body), `"version":1`) {
		t.Fatalf("app key while a header is verified: %d %s", status, body)
	}
	status, body = e.post(t, e.rpc.URL, api.PathSyncIngress, api.IngressRequest{})
	if status != http.StatusOK {
		t.Fatalf("ingress sync while a header is verified: %d %s", status, body)
	}

	release()
	// The header was the trusted one: not newer, a client error.
	if got := <-done; got != http.StatusBadRequest {
		t.Fatalf("header after release: status %d, want 400 (not newer)", got)
	}
}

// TestSyncRequestsOverCapRefused: with SyncConcurrency (2) sync requests in
// progress, one more — a header or an ingress sync — is refused at once
// with 429 and ErrSyncBusy; when they end, sync requests are served again.
func TestSyncRequestsOverCapRefused(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	if e.r.cfg.SyncConcurrency != 2 {
		t.Fatalf("default SyncConcurrency %d, want 2", e.r.cfg.SyncConcurrency)
	}
	// The held headers end refused (400); this test is about the cap, not
	// the penalty those refusals pay (TestSyncPenaltyHoldsSlot).
	e.r.cfg.SyncPenalty = 0
	entered, release := e.holdVerification(t)
	first, second := e.sendHeader(t), e.sendHeader(t)
	waitEntered(t, entered)
	waitEntered(t, entered)

	for _, tc := range []struct {
		path string
		body any
	}{
		{api.PathSyncHeader, e.genesis},
		{api.PathSyncIngress, api.IngressRequest{}},
	} {
		status, body := e.post(t, e.rpc.URL, tc.path, tc.body)
		var msg api.Error
		if err := json.Unmarshal(body, &msg); err != nil || status != http.StatusTooManyRequests || msg.Error != ErrSyncBusy.Error() {
			t.Fatalf("%s over the cap: %d %s, want 429 %q", tc.path, status, body, ErrSyncBusy)
		}
	}
	// Reads are not sync requests.
	if res, err := e.client.Get(e.rpc.URL + api.PathInfo); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/get_info at the cap: %v", err)
	} else {
		res.Body.Close()
	}

	release()
	for _, done := range []<-chan int{first, second} {
		if got := <-done; got != http.StatusBadRequest {
			t.Fatalf("held header: status %d, want 400 (not newer)", got)
		}
	}
	if status, body := e.post(t, e.rpc.URL, api.PathSyncIngress, api.IngressRequest{}); status != http.StatusOK {
		t.Fatalf("ingress sync after the slots were freed: %d %s", status, body)
	}
}

// TestStaleVerificationNeverCommits: two headers verified at once against
// the same trusted state; the newer one commits first. The older one,
// verified against a state that is no longer trusted, must not be
// committed over it: it is verified again against the new state (and
// refused as not newer), and the trusted height stays the newer one's.
func TestStaleVerificationNeverCommits(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	var calls atomic.Int32
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	close(gates[2]) // the older header's second verification runs through
	entered := make(chan int32, 3)
	e.r.verifyHook = func() {
		i := calls.Add(1) - 1
		entered <- i
		<-gates[i]
	}
	send := func(h int64) <-chan int {
		u, _ := testHeader(t, "test-chain", h)
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		go func() {
			res, err := e.client.Post(e.rpc.URL+api.PathSyncHeader, "application/json", bytes.NewReader(b))
			if err != nil {
				done <- 0
				return
			}
			res.Body.Close()
			done <- res.StatusCode
		}()
		return done
	}
	wait := func(want int32) {
		t.Helper()
		select {
		case i := <-entered:
			if i != want {
				t.Fatalf("verification %d entered, want %d", i, want)
			}
		case <-time.After(liveness):
			t.Fatalf("verification %d did not start", want)
		}
	}
	newer := send(3)
	wait(0)
	older := send(2)
	wait(1)
	close(gates[0])
	if got := <-newer; got != http.StatusOK {
		t.Fatalf("newer header: status %d, want 200", got)
	}
	close(gates[1])
	wait(2) // verified again, against header 3
	if got := <-older; got != http.StatusBadRequest {
		t.Fatalf("older header verified against a stale state: status %d, want 400 (not newer)", got)
	}
	if h := e.r.Info().SyncedHeight; h != 3 {
		t.Fatalf("synced height %d, want 3", h)
	}
}

// TestSyncListenerSplit: with a sync listener (Config.SyncListen), the main
// listener refuses every sync endpoint, however its path is spelled, and
// still serves the reads; the sync listener serves the sync endpoints. A
// flood sent to the public address then never takes the relayer's slots.
func TestSyncListenerSplit(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	syncLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.r.SetSyncListener(syncLn)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- e.r.Serve(ctx, ln) }()
	public, private := "http://"+ln.Addr().String(), "http://"+syncLn.Addr().String()

	for _, p := range []string{api.PathSyncIngress, api.PathSyncHeader, api.PathSyncEgressAck, api.PathSyncBootstrap, "/sync/./ingress", "//sync/ingress"} {
		status, body := e.post(t, public, p, api.IngressRequest{})
		var msg api.Error
		if err := json.Unmarshal(body, &msg); err != nil || status != http.StatusNotFound || msg.Error != ErrSyncElsewhere.Error() {
			t.Errorf("POST %s on the public listener: %d %s, want 404 %q", p, status, body, ErrSyncElsewhere)
		}
	}
	for _, base := range []string{public, private} {
		res, err := e.client.Get(base + api.PathInfo)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("/get_info on %s: %v", base, err)
		}
		res.Body.Close()
	}
	if status, body := e.post(t, private, api.PathSyncIngress, api.IngressRequest{}); status != http.StatusOK {
		t.Fatalf("ingress sync on the sync listener: %d %s", status, body)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestSyncPenaltyHoldsSlot: a sync request refused as the sender's fault
// keeps its slot for SyncPenalty times its own handling time, so a flood of
// forged requests cannot keep the sync slots' cores busy; a request that
// succeeds gives its slot back at once. The clock is the test's: each
// reading advances it 10 ms, and released slots wait for the test.
func TestSyncPenaltyHoldsSlot(t *testing.T) {
	t.Parallel()
	e := newSyncEnv(t)
	if e.r.cfg.SyncPenalty != 9 {
		t.Fatalf("default SyncPenalty %d, want 9", e.r.cfg.SyncPenalty)
	}
	var mu sync.Mutex
	clock := time.Unix(0, 0)
	var holds []time.Duration
	var releases []func()
	e.r.syncClock = syncClock{
		now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(10 * time.Millisecond)
			return clock
		},
		after: func(d time.Duration, f func()) {
			mu.Lock()
			defer mu.Unlock()
			holds, releases = append(holds, d), append(releases, f)
		},
	}
	held := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(releases)
	}

	// A request that succeeds holds nothing.
	if status, body := e.post(t, e.rpc.URL, api.PathSyncIngress, api.IngressRequest{}); status != http.StatusOK {
		t.Fatalf("ingress sync: %d %s", status, body)
	}
	if held() != 0 {
		t.Fatal("a successful sync request kept its slot")
	}
	// Two forged headers (here: not newer than the trusted one) are refused
	// and keep both slots.
	for range 2 {
		if status, body := e.post(t, e.rpc.URL, api.PathSyncHeader, e.genesis); status != http.StatusBadRequest {
			t.Fatalf("forged header: %d %s, want 400", status, body)
		}
	}
	if held() != 2 || holds[0] != 90*time.Millisecond {
		t.Fatalf("holds %v, want two of 9 x 10 ms", holds)
	}
	status, body := e.post(t, e.rpc.URL, api.PathSyncIngress, api.IngressRequest{})
	var msg api.Error
	if err := json.Unmarshal(body, &msg); err != nil || status != http.StatusTooManyRequests || msg.Error != ErrSyncBusy.Error() {
		t.Fatalf("sync request while the refused ones hold the slots: %d %s, want 429", status, body)
	}
	// Reads never wait on sync slots.
	if res, err := e.client.Get(e.rpc.URL + api.PathInfo); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/get_info while the slots are held: %v", err)
	} else {
		res.Body.Close()
	}
	mu.Lock()
	for _, release := range releases {
		release()
	}
	releases = nil
	mu.Unlock()
	if status, body := e.post(t, e.rpc.URL, api.PathSyncIngress, api.IngressRequest{}); status != http.StatusOK {
		t.Fatalf("ingress sync after the holds ended: %d %s", status, body)
	}

	// SyncPenalty 0 holds nothing.
	e.r.cfg.SyncPenalty = 0
	if status, body := e.post(t, e.rpc.URL, api.PathSyncHeader, e.genesis); status != http.StatusBadRequest {
		t.Fatalf("forged header: %d %s, want 400", status, body)
	}
	if held() != 0 {
		t.Fatal("SyncPenalty 0 kept a slot")
	}
}
