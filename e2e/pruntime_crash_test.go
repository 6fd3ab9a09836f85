package e2e

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// TestPruntimeSurvivesKillDuringSync kills a syncing pRuntime with SIGKILL
// at random moments, over and over, restarting it on the same data dir each
// time. Every restart must resume from its newest checkpoint — no resync
// from zero, no damaged checkpoint, the same identity — and in the end it
// must reach the same state as a reference pRuntime that synced the same
// chain without interruption.
func TestPruntimeSurvivesKillDuringSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and pruntime and runs a devnet")
	}
	const (
		minKills = 22
		backlog  = 300 // ingress entries waiting before the first kill
		// maxKillLoop bounds the kill loop; it outlasts the 50 blocks
		// (about 17 s) after which the pRuntime checkpoints a newer header.
		maxKillLoop = 60 * time.Second
	)
	c := startChain(t)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("relayer log:\n%s", e2etest.Tail(logs.String(), 40))
		}
	})
	subject := newPruntimeProc(t, c, "operator")
	reference := newPruntimeProc(t, c, "faucet")
	first := subject.start(t)
	reference.start(t)
	subjectLoop := startRelayLoop(t, c.relayer(t, "operator", subject.url, logs), logs)
	referenceLoop := startRelayLoop(t, c.relayer(t, "faucet", reference.url, logs), logs)

	// Both register on chain, announce their endpoint and performance score
	// (egress seq 0 and 1) and have them acknowledged, before anything is
	// killed.
	settled := func(p *pruntimeProc) bool {
		info := p.info(t)
		return info.Registered && info.NextEgressSeq == registrationEgress && info.PendingEgress == 0
	}
	eventually(t, 90*time.Second, "both pRuntimes to register and announce their endpoint", func() bool {
		return settled(subject) && settled(reference)
	})
	subjectLoop.pause()
	referenceLoop.pause()
	registered := subject.info(t)
	if registered.IdentityKey != first.IdentityKey {
		t.Fatalf("identity changed while running: %s, then %s", first.IdentityKey, registered.IdentityKey)
	}

	// A backlog of ingress, then the reference catches up on it without
	// interruption: that is how long a sync takes.
	traffic := c.sender(t, "validator")
	c.registerSimWorkers(t, traffic, backlog)
	target := c.ingressNext(t, 0)
	began := time.Now()
	referenceLoop.resume()
	for reference.info(t).NextIngress < target {
		if time.Since(began) > 90*time.Second {
			t.Fatal("the reference did not catch up within 90s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	syncTime := time.Since(began)
	t.Logf("reference synced %d entries in %v", backlog, syncTime)

	// More ingress keeps arriving while the subject is killed, so that it
	// is always behind and kills land in the middle of sync.
	stopTraffic := startTraffic(t, c, traffic)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	t.Logf("kill timing seed %d", seed)
	startCkpt, _, _ := latestCheckpoint(t, subject.dataDir)
	loopStart := time.Now()
	subjectLoop.resume()
	var (
		kills, midSync int
		lastHeight     int64
	)
	// At least minKills of them while the pRuntime is behind (killed in the
	// middle of sync), and on until a restart has resumed from a checkpoint
	// written between kills (one per checkpointEvery blocks).
	for midSync < minKills || lastHeight <= startCkpt.CheckpointHeight {
		if time.Since(loopStart) > maxKillLoop {
			t.Fatalf("after %d kills (%d mid-sync) in %v: want %d mid-sync and a restart from a checkpoint newer than height %d",
				kills, midSync, maxKillLoop, minKills, startCkpt.CheckpointHeight)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(syncTime))))
		if pre, err := api.NewClient(subject.url).Info(t.Context()); err == nil && pre.NextIngress < c.ingressNext(t, pre.ProofHeight) {
			midSync++
		}
		subject.kill(t)
		kills++
		subjectLoop.pause()

		// What the restart must resume from: the newest checkpoint, intact.
		ckpt, cp, skipped := latestCheckpoint(t, subject.dataDir)
		if len(skipped) > 0 {
			t.Fatalf("kill %d left an unusable checkpoint: %v", kills, skipped)
		}
		info := subject.start(t)
		switch {
		case info.SyncedHeight != ckpt.CheckpointHeight || info.NextIngress != ckpt.NextIngress:
			t.Fatalf("restart %d: synced_height %d, next_ingress %d; newest checkpoint %s holds height %d, next_ingress %d",
				kills, info.SyncedHeight, info.NextIngress, filepath.Base(cp.File), ckpt.CheckpointHeight, ckpt.NextIngress)
		case info.SyncedHeight < lastHeight:
			t.Fatalf("restart %d: synced_height %d went back below the %d of an earlier restart", kills, info.SyncedHeight, lastHeight)
		case info.IdentityKey != first.IdentityKey:
			t.Fatalf("restart %d: identity %s, first start had %s", kills, info.IdentityKey, first.IdentityKey)
		case !info.Registered || info.NextEgressSeq != registered.NextEgressSeq || info.PendingEgress != 0:
			t.Fatalf("restart %d: registered %v, next_egress_seq %d, pending %d; before the kills true, %d, 0",
				kills, info.Registered, info.NextEgressSeq, info.PendingEgress, registered.NextEgressSeq)
		}
		lastHeight = info.SyncedHeight
		subjectLoop.resume()
	}
	t.Logf("%d kills in %v, %d of them in the middle of sync; restarts resumed from heights %d to %d",
		kills, time.Since(loopStart).Round(time.Millisecond), midSync, startCkpt.CheckpointHeight, lastHeight)

	// Left alone, the subject catches up and ends where the reference does.
	stopTraffic()
	c.waitHeight(t, c.height(t)+2) // the last registrations sent are in a block
	got := waitSynced(t, c, subject.url, 120*time.Second)
	want := waitSynced(t, c, reference.url, 60*time.Second)
	if got.NextIngress != want.NextIngress || got.Registered != want.Registered || got.NextEgressSeq != want.NextEgressSeq {
		t.Fatalf("after %d kills: next_ingress %d, registered %v, next_egress_seq %d; reference: %d, %v, %d",
			kills, got.NextIngress, got.Registered, got.NextEgressSeq, want.NextIngress, want.Registered, want.NextEgressSeq)
	}
	if got.IdentityKey != first.IdentityKey {
		t.Fatalf("identity %s at the end, %s at first start", got.IdentityKey, first.IdentityKey)
	}
	if strings.Contains(subject.log.String(), "skipping unusable checkpoint") {
		t.Fatal("a restart skipped a checkpoint")
	}
	t.Logf("both at next_ingress %d (chain's next index at the subject's proof height %d)", got.NextIngress, got.ProofHeight)
}

// startTraffic sends a transaction registering trafficBatch simulated
// workers from sender every second, until the returned function is called;
// that function reports a failed send as a test error.
func startTraffic(t *testing.T, c *testChain, sender *pherry.Relayer) func() {
	t.Helper()
	const trafficBatch = 25
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-time.After(time.Second):
			}
			if err := c.sendSimRegistrations(ctx, sender, trafficBatch); err != nil && ctx.Err() == nil {
				done <- err
				return
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("background traffic: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestPruntimeSkipsCorruptCheckpoint damages a stopped pRuntime's newest
// checkpoint. The next start must report it, resume from the checkpoint
// before it, and catch up from there.
// registrationEgress is how many messages a pRuntime sends once registered:
// its endpoint and its performance score.
const registrationEgress = 2

func TestPruntimeSkipsCorruptCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and pruntime and runs a devnet")
	}
	c := startChain(t)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("relayer log:\n%s", e2etest.Tail(logs.String(), 40))
		}
	})
	p := newPruntimeProc(t, c, "operator")
	first := p.start(t)
	loop := startRelayLoop(t, c.relayer(t, "operator", p.url, logs), logs)
	eventually(t, 90*time.Second, "the pRuntime to register and announce its endpoint", func() bool {
		info := p.info(t)
		return info.Registered && info.NextEgressSeq == registrationEgress && info.PendingEgress == 0
	})
	c.registerSimWorkers(t, c.sender(t, "faucet"), 40)
	waitSynced(t, c, p.url, 60*time.Second)
	loop.pause()
	atStop := p.info(t)
	p.stop(t)

	// The clean stop wrote a checkpoint of the final state; remember the
	// one before it, which the restart must fall back to.
	newest, cp, _ := latestCheckpoint(t, p.dataDir)
	if newest.CheckpointHeight != atStop.SyncedHeight || newest.NextIngress != atStop.NextIngress {
		t.Fatalf("checkpoint written at stop holds height %d, next_ingress %d; the pRuntime was at %d, %d",
			newest.CheckpointHeight, newest.NextIngress, atStop.SyncedHeight, atStop.NextIngress)
	}
	previous := previousCheckpoint(t, p.dataDir, cp.File)
	if previous.CheckpointHeight <= 0 {
		t.Fatalf("the checkpoint before the newest is at height %d", previous.CheckpointHeight)
	}

	sealed, err := os.ReadFile(cp.File)
	if err != nil {
		t.Fatal(err)
	}
	sealed[len(sealed)/2] ^= 0x01
	if err := os.WriteFile(cp.File, sealed, 0o600); err != nil {
		t.Fatal(err)
	}

	info := p.start(t)
	if log := p.log.String(); !strings.Contains(log, "skipping unusable checkpoint") || !strings.Contains(log, filepath.Base(cp.File)) {
		t.Fatalf("the restart did not report skipping %s:\n%s", filepath.Base(cp.File), e2etest.Tail(log, 20))
	}
	if _, err := os.Stat(cp.File + ".corrupt"); err != nil {
		t.Fatalf("the corrupt checkpoint was not kept aside: %v", err)
	}
	if info.SyncedHeight != previous.CheckpointHeight || info.NextIngress != previous.NextIngress {
		t.Fatalf("restart resumed at height %d, next_ingress %d; the previous checkpoint holds %d, %d",
			info.SyncedHeight, info.NextIngress, previous.CheckpointHeight, previous.NextIngress)
	}
	if info.IdentityKey != first.IdentityKey || !info.Registered {
		t.Fatalf("restart: identity %s registered %v; first start had %s", info.IdentityKey, info.Registered, first.IdentityKey)
	}
	if !metricIs(t, p.url, "pruntime_checkpoints_skipped_total", "1") {
		t.Error("pruntime_checkpoints_skipped_total is not 1")
	}
	t.Logf("stopped at height %d (next_ingress %d); after corrupting %s resumed at height %d (next_ingress %d)",
		atStop.SyncedHeight, atStop.NextIngress, filepath.Base(cp.File), info.SyncedHeight, info.NextIngress)

	loop.resume()
	final := waitSynced(t, c, p.url, 60*time.Second)
	if final.SyncedHeight < atStop.SyncedHeight || final.NextIngress < atStop.NextIngress {
		t.Fatalf("caught up to height %d, next_ingress %d; before the stop it had %d, %d",
			final.SyncedHeight, final.NextIngress, atStop.SyncedHeight, atStop.NextIngress)
	}
}

// previousCheckpoint returns the newest checkpoint older than newestFile, by
// reading a copy of the checkpoint directory without it.
func previousCheckpoint(t *testing.T, dataDir, newestFile string) checkpointState {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "checkpoints")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(newestFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == filepath.Base(newestFile) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(newestFile), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, _, skipped := latestCheckpointIn(t, dataDir, dir)
	if len(skipped) > 0 {
		t.Fatalf("older checkpoints unusable: %v", skipped)
	}
	return st
}

// metricIs reports whether the pRuntime's /metrics has the sample name value.
func metricIs(t *testing.T, base, name, value string) bool {
	t.Helper()
	resp, err := http.Get(base + api.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line == name+" "+value {
			return true
		}
	}
	return false
}
