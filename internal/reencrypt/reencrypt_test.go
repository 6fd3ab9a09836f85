package reencrypt_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// A few hundred blobs of mixed sizes (bytes to 3 MiB) over two clusters and
// three apps, on a directory store: after Run every object of the range
// opens under the new version to its original content, objects outside the
// range are byte-for-byte untouched, and a second Run is a no-op that
// resumes from the journal.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store := openDir(t, filepath.Join(dir, "state"))
	f := populate(t, store, shape{blobs: 300, maxLarge: 3 << 20}, 4)
	var err error
	// Something outside the app API's namespace is not touched.
	if err := store.Put(context.Background(), "other/thing", []byte("x")); err != nil {
		t.Fatal(err)
	}
	before := checkAt(t, store, f, reencrypt.Range{Index: 1, Count: 2}, 4)
	olds := map[string][]byte{}
	for _, name := range f.names() {
		if olds[name], err = store.Get(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}

	job := reencrypt.Job{From: 4, To: 5, Range: reencrypt.Range{Index: 1, Count: 2}}
	j := newJournal(t, dir)
	var snapshots atomic.Int64
	cfg := testConfig(nil)
	cfg.OnProgress = func(reencrypt.Progress) { snapshots.Add(1) }
	p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, cfg)
	if err != nil {
		t.Fatal(err)
	}
	inRange := uint64(300 - len(before))
	if p.Total != inRange || p.Done != inRange || p.Reencrypted != inRange || p.Failed != 0 || !p.Retirable() || p.Resumed {
		t.Fatalf("progress %+v, want %d done and re-encrypted", p, inRange)
	}
	if p.Bytes == 0 || snapshots.Load() == 0 {
		t.Fatalf("bytes %d, %d snapshots", p.Bytes, snapshots.Load())
	}
	after := checkAt(t, store, f, job.Range, 5)
	for name, blob := range before {
		if !bytes.Equal(after[name], blob) {
			t.Fatalf("%s outside the range changed", name)
		}
	}
	// Envelope blobs were rewrapped: same data bytes, new wrap; the others
	// were re-encrypted through and through.
	envelopes := 0
	for _, name := range f.names() {
		if !job.Range.Contains(name) {
			continue
		}
		now, err := store.Get(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		old := olds[name]
		const dataAt = gkcrypto.EnvelopeOverhead - 16
		switch {
		case isEnvelope(name):
			envelopes++
			if !gkcrypto.BlobIsEnvelope(now) || !bytes.Equal(now[dataAt:], old[dataAt:]) || bytes.Equal(now[:dataAt], old[:dataAt]) {
				t.Fatalf("%s: an envelope blob was not rewrapped in place", name)
			}
		case len(old) > 64 && bytes.Equal(now[len(now)-64:], old[len(old)-64:]):
			t.Fatalf("%s: a version 1 blob kept its ciphertext", name)
		}
	}
	if envelopes == 0 {
		t.Fatal("no envelope blob in the range")
	}
	if b, err := store.Get(context.Background(), "other/thing"); err != nil || string(b) != "x" {
		t.Fatalf("other/thing = %q, %v", b, err)
	}

	cp, err := j.Load()
	if err != nil || cp.Job != job || cp.Done != inRange || cp.Reencrypted != inRange || len(cp.Failures) != 0 {
		t.Fatalf("journal %+v, %v", cp, err)
	}
	p2, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(nil))
	if err != nil || !p2.Resumed || p2.Processed != 0 || p2.Done != inRange || !p2.Retirable() {
		t.Fatalf("second run: %+v, %v", p2, err)
	}
	v, err := reencrypt.Verify(context.Background(), store, job, testConfig(nil))
	if err != nil || !v.Retirable() || v.Done != inRange {
		t.Fatalf("Verify: %+v, %v", v, err)
	}
}

// A budget smaller than one object still finishes: each large object runs
// alone.
func TestTinyMemoryBudget(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	f := populate(t, store, shape{blobs: 30, maxLarge: 2 << 20}, 0)
	cfg := testConfig(nil)
	cfg.Workers = 4
	cfg.MaxInFlightBytes = 1 << 20
	p, err := reencrypt.Run(context.Background(), store, testKeys(t), reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}, nil, cfg)
	if err != nil || !p.Retirable() || p.Done != 30 {
		t.Fatalf("%+v, %v", p, err)
	}
	checkAt(t, store, f, reencrypt.All, 1)
}

// Three gatekeepers with Count=3 cover every object exactly once.
func TestRangeSplit(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	f := populate(t, store, shape{blobs: 200, maxLarge: 64 << 10}, 2)
	var total uint64
	for i := range uint32(3) {
		job := reencrypt.Job{From: 2, To: 3, Range: reencrypt.Range{Index: i, Count: 3}}
		p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, nil, testConfig(nil))
		if err != nil || !p.Retirable() || p.Reencrypted != p.Total {
			t.Fatalf("range %d: %+v, %v", i, p, err)
		}
		if p.Total == 0 || p.Total > 120 {
			t.Fatalf("range %d holds %d of 200 objects: a poor split", i, p.Total)
		}
		total += p.Total
	}
	if total != 200 {
		t.Fatalf("ranges hold %d objects in all, want 200", total)
	}
	checkAt(t, store, f, reencrypt.All, 3)

	for _, name := range f.names() {
		n := 0
		for i := range uint32(3) {
			if (reencrypt.Range{Index: i, Count: 3}).Contains(name) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s is in %d ranges", name, n)
		}
	}
}

// refusingKeys holds no key for one cluster.
type refusingKeys struct {
	reencrypt.Keys
	cluster uint64
}

func (k refusingKeys) ClusterKey(cluster uint64, version uint32) ([gkcrypto.KeySize]byte, bool) {
	if cluster == k.cluster {
		return [gkcrypto.KeySize]byte{}, false
	}
	return k.Keys.ClusterKey(cluster, version)
}

// Every kind of bad object is reported by name, the rest is re-encrypted,
// and the failures block retirement. Once the corrupted blob is restored,
// running the job again retries exactly the failures and completes.
func TestFailuresReportedByName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	store := openDir(t, filepath.Join(dir, "state"))
	f := populate(t, store, shape{blobs: 60, maxLarge: 256 << 10}, 0)
	rnd := rand.NewChaCha8([32]byte{1})

	corrupted := objectName(3)
	blob, _ := store.Get(ctx, corrupted)
	good := bytes.Clone(blob)
	blob[len(blob)/2] ^= 0x01
	mustPut(t, store, corrupted, blob)

	unknown := reencrypt.ObjectName(1, "app-a", "unknown-version")
	putBlob(t, store, unknown, 9, []byte("sealed under a version no job knows"), rnd)

	moved := reencrypt.ObjectName(7, "app-a", "moved-from-cluster-1")
	other, _ := store.Get(ctx, objectName(0)) // a cluster 1 blob
	mustPut(t, store, moved, other)

	truncated := reencrypt.ObjectName(1, "app-a", "truncated")
	mustPut(t, store, truncated, []byte{1, 2, 3})

	badName := "cluster-01/app-a/x"
	mustPut(t, store, badName, good)
	noApp := "cluster-5/only-one-segment"
	mustPut(t, store, noApp, good)

	noKey := reencrypt.ObjectName(99, "app-a", "no-key")
	putBlob(t, store, noKey, 0, []byte("cluster 99"), rnd)

	want := map[string]string{
		corrupted: "authentication failed",
		unknown:   "key version 9",
		moved:     "header names cluster 1",
		truncated: "truncated",
		badName:   "canonical decimal",
		noApp:     "want cluster-<N>/<app>/<name>",
		noKey:     "no cluster key for cluster 99",
	}
	j := newJournal(t, dir)
	var log syncBuffer
	keys := refusingKeys{Keys: testKeys(t), cluster: 99}
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	p, err := reencrypt.Run(ctx, store, keys, job, j, testConfig(&log))
	if err != nil {
		t.Fatal(err)
	}
	if p.Failed != uint64(len(want)) || len(p.Failures) != len(want) || p.Retirable() || !p.Complete() {
		t.Fatalf("progress %+v, want %d failures", p, len(want))
	}
	// The corrupted blob is one of the 60 of the fixture.
	if p.Done != 59 || p.Total != 59+uint64(len(want)) {
		t.Fatalf("done %d of %d", p.Done, p.Total)
	}
	for _, fl := range p.Failures {
		if !strings.Contains(fl.Reason, want[fl.Name]) || want[fl.Name] == "" {
			t.Errorf("failure %s: %q, want it to mention %q", fl.Name, fl.Reason, want[fl.Name])
		}
		if !strings.Contains(log.String(), fl.Name) {
			t.Errorf("failure %s not logged", fl.Name)
		}
	}
	// Everything else is done; the failed objects are untouched.
	delete(f, corrupted)
	checkAt(t, store, f, reencrypt.All, 1)
	if b, _ := store.Get(ctx, corrupted); !bytes.Equal(b, blob) {
		t.Fatal("the corrupted blob was modified")
	}
	cp, err := j.Load()
	if err != nil || len(cp.Failures) != len(want) {
		t.Fatalf("journal holds %d failures (%v), want %d", len(cp.Failures), err, len(want))
	}

	// Restore the corrupted blob and delete the unknown one: a rerun retries
	// the journal's failures, and only those.
	mustPut(t, store, corrupted, good)
	if err := store.Delete(ctx, unknown); err != nil {
		t.Fatal(err)
	}
	p, err = reencrypt.Run(ctx, store, keys, job, j, testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Resumed || p.Failed != uint64(len(want))-2 || p.Processed != uint64(len(want))-1 || p.Reencrypted != 60 {
		t.Fatalf("rerun: %+v", p)
	}
	for _, fl := range p.Failures {
		if fl.Name == corrupted || fl.Name == unknown {
			t.Fatalf("%s still reported: %s", fl.Name, fl.Reason)
		}
	}
}

func mustPut(t *testing.T, s statestore.Store, name string, b []byte) {
	t.Helper()
	if err := s.Put(context.Background(), name, b); err != nil {
		t.Fatal(err)
	}
}

// An unreadable journal (garbage, truncated, empty, sealed under another
// label or by another TEE) is logged and ignored: the job starts over and
// finishes correctly. Every bad journal below claims, if it were believed,
// that the whole range is done.
func TestCorruptJournalRescans(t *testing.T) {
	t.Parallel()
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	claimAll := func(f fixture) reencrypt.Checkpoint {
		names := f.names()
		return reencrypt.Checkpoint{Job: job, After: names[len(names)-1], Done: uint64(len(names))}
	}
	tests := []struct {
		name    string
		corrupt func(t *testing.T, j *reencrypt.Journal, dir string, cp reencrypt.Checkpoint)
		warn    bool
	}{
		{"garbage", func(t *testing.T, j *reencrypt.Journal, _ string, _ reencrypt.Checkpoint) {
			writeFile(t, j.Path(), []byte("not a journal"))
		}, true},
		{"empty", func(t *testing.T, j *reencrypt.Journal, _ string, _ reencrypt.Checkpoint) {
			writeFile(t, j.Path(), nil)
		}, true},
		{"truncated", func(t *testing.T, j *reencrypt.Journal, _ string, cp reencrypt.Checkpoint) {
			if err := j.Save(cp); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(j.Path())
			writeFile(t, j.Path(), b[:len(b)-1])
		}, true},
		{"flipped", func(t *testing.T, j *reencrypt.Journal, _ string, cp reencrypt.Checkpoint) {
			if err := j.Save(cp); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(j.Path())
			b[len(b)/2] ^= 0x80
			writeFile(t, j.Path(), b)
		}, true},
		{"other label", func(t *testing.T, j *reencrypt.Journal, dir string, cp reencrypt.Checkpoint) {
			raw, _ := cp.MarshalBinary()
			sealed, err := openTEE(t, filepath.Join(dir, "tee")).Seal("gatekeeper/pruntime/checkpoint/v1", raw)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, j.Path(), sealed)
		}, true},
		{"other tee", func(t *testing.T, j *reencrypt.Journal, _ string, cp reencrypt.Checkpoint) {
			other := newJournal(t, t.TempDir())
			if err := other.Save(cp); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(other.Path())
			writeFile(t, j.Path(), b)
		}, true},
		{"other job", func(t *testing.T, j *reencrypt.Journal, _ string, cp reencrypt.Checkpoint) {
			cp.Job.From, cp.Job.To = 7, 8
			if err := j.Save(cp); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			store := newMemStore()
			f := populate(t, store, shape{blobs: 40, maxLarge: 64 << 10}, 0)
			j := newJournal(t, dir)
			tc.corrupt(t, j, dir, claimAll(f))
			var log syncBuffer
			p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(&log))
			if err != nil || !p.Retirable() || p.Resumed || p.Reencrypted != 40 {
				t.Fatalf("%+v, %v", p, err)
			}
			checkAt(t, store, f, reencrypt.All, 1)
			if got := strings.Contains(log.String(), "journal unreadable"); got != tc.warn {
				t.Fatalf("warning logged: %v, want %v; log:\n%s", got, tc.warn, log.String())
			}
			if cp, err := j.Load(); err != nil || cp.Job != job {
				t.Fatalf("journal not rewritten: %+v, %v", cp, err)
			}
		})
	}
}

// A genuine journal is believed: that is why it is sealed. Verify, which
// reads the store and not the journal, catches what a journal skipped.
func TestVerifyCatchesWhatTheJournalSkips(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store := newMemStore()
	f := populate(t, store, shape{blobs: 20, maxLarge: 4 << 10}, 0)
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	names := f.names()
	j := newJournal(t, dir)
	if err := j.Save(reencrypt.Checkpoint{Job: job, After: names[9], Done: 10}); err != nil {
		t.Fatal(err)
	}
	p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(nil))
	if err != nil || !p.Resumed || p.Processed != 10 || !p.Retirable() {
		t.Fatalf("%+v, %v", p, err)
	}
	v, err := reencrypt.Verify(context.Background(), store, job, testConfig(nil))
	if err != nil || v.Retirable() || v.Failed != 10 || v.Failures[0].Name != names[0] ||
		!strings.Contains(v.Failures[0].Reason, "still at key version 0") {
		t.Fatalf("Verify: %+v, %v", v, err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// cancellingStore cancels the run after n Puts.
type cancellingStore struct {
	*memStore
	n      atomic.Int64
	cancel context.CancelFunc
}

func (s *cancellingStore) Put(ctx context.Context, name string, data []byte) error {
	err := s.memStore.Put(ctx, name, data)
	if s.n.Add(-1) == 0 {
		s.cancel()
	}
	return err
}

// A cancelled run returns the context's error with its journal saved, and
// the next run resumes from it and finishes.
func TestCancelAndResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mem := newMemStore()
	f := populate(t, mem, shape{blobs: 100, maxLarge: 16 << 10}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	store := &cancellingStore{memStore: mem, cancel: cancel}
	store.n.Store(40)
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	j := newJournal(t, dir)
	p, err := reencrypt.Run(ctx, store, testKeys(t), job, j, testConfig(nil))
	if !errors.Is(err, context.Canceled) || p.Complete() {
		t.Fatalf("cancelled run: %+v, %v", p, err)
	}
	cp, err := j.Load()
	if err != nil || cp.Done == 0 || cp.Done > p.Done {
		t.Fatalf("journal %+v (%v) after %d done", cp, err, p.Done)
	}
	p2, err := reencrypt.Run(context.Background(), mem, testKeys(t), job, j, testConfig(nil))
	if err != nil || !p2.Resumed || !p2.Retirable() || p2.Done != 100 || p2.Processed != 100-cp.Done {
		t.Fatalf("resumed run: %+v, %v (journal had %d)", p2, err, cp.Done)
	}
	checkAt(t, mem, f, reencrypt.All, 1)
}

// With a ConditionalStore, an app writing an object between the engine's
// Get and Put keeps its write: the engine reads the object again.
func TestConcurrentWriterKeepsItsWrite(t *testing.T) {
	t.Parallel()
	mem := newMemStore()
	f := populate(t, mem, shape{blobs: 30, maxLarge: 4 << 10}, 0)
	target := objectName(5)
	var once sync.Once
	rnd := rand.NewChaCha8([32]byte{2})
	// The app (already on version 1) saves new content under target just
	// before the engine's write.
	mem.beforePut = func(name string) {
		if name == target {
			once.Do(func() { putBlob(t, rawStore{mem}, target, 1, []byte("the app's newer write"), rnd) })
		}
	}
	p, err := reencrypt.Run(context.Background(), casStore{mem}, testKeys(t), reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}, nil, testConfig(nil))
	if err != nil || !p.Retirable() || p.Reencrypted != 29 {
		t.Fatalf("%+v, %v", p, err)
	}
	blob, _ := mem.Get(context.Background(), target)
	id, _ := reencrypt.ParseObjectName(target)
	id.Version = 1
	pt, err := gkcrypto.OpenBlob(clusterKey(t, id.Cluster, 1), id, blob)
	if err != nil || string(pt) != "the app's newer write" {
		t.Fatalf("target = %q, %v: the app's write was lost", pt, err)
	}
	delete(f, target)
	checkAt(t, mem, f, reencrypt.All, 1)
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	keys := testKeys(t)
	good := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	bad := func(mut func(*reencrypt.Config)) reencrypt.Config {
		c := reencrypt.DefaultConfig()
		mut(&c)
		return c
	}
	tests := []struct {
		name string
		job  reencrypt.Job
		cfg  reencrypt.Config
	}{
		{"same versions", reencrypt.Job{From: 1, To: 1, Range: reencrypt.All}, reencrypt.DefaultConfig()},
		{"count 0", reencrypt.Job{From: 0, To: 1}, reencrypt.DefaultConfig()},
		{"index out of range", reencrypt.Job{From: 0, To: 1, Range: reencrypt.Range{Index: 3, Count: 3}}, reencrypt.DefaultConfig()},
		{"no workers", good, bad(func(c *reencrypt.Config) { c.Workers = 0 })},
		{"no budget", good, bad(func(c *reencrypt.Config) { c.MaxInFlightBytes = 0 })},
		{"no interval", good, bad(func(c *reencrypt.Config) { c.CheckpointInterval = 0 })},
		{"no every", good, bad(func(c *reencrypt.Config) { c.CheckpointEvery = 0 })},
		{"no progress interval", good, bad(func(c *reencrypt.Config) { c.ProgressInterval = 0 })},
		{"negative retries", good, bad(func(c *reencrypt.Config) { c.MaxChangedRetries = -1 })},
		{"no batch objects", good, bad(func(c *reencrypt.Config) { c.MaxBatchObjects = 0 })},
		{"no batch bytes", good, bad(func(c *reencrypt.Config) { c.MaxBatchBytes = 0 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := reencrypt.Run(context.Background(), store, keys, tc.job, nil, tc.cfg); !errors.Is(err, reencrypt.ErrInvalidJob) {
				t.Fatalf("Run: %v, want ErrInvalidJob", err)
			}
		})
	}
}

func TestParseObjectName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want gkcrypto.BlobID
		ok   bool
	}{
		{"cluster-0/app/x", gkcrypto.BlobID{Cluster: 0, App: "app", Name: "x"}, true},
		{"cluster-18446744073709551615/a.b/c/d/e", gkcrypto.BlobID{Cluster: 1<<64 - 1, App: "a.b", Name: "c/d/e"}, true},
		{"cluster-18446744073709551616/a/b", gkcrypto.BlobID{}, false},
		{"cluster-01/a/b", gkcrypto.BlobID{}, false},
		{"cluster-+1/a/b", gkcrypto.BlobID{}, false},
		{"cluster-/a/b", gkcrypto.BlobID{}, false},
		{"cluster-1/a", gkcrypto.BlobID{}, false},
		{"cluster-1//b", gkcrypto.BlobID{}, false},
		{"cluster-1/a/", gkcrypto.BlobID{}, false},
		{"cluster-1/a/../b", gkcrypto.BlobID{}, false},
		{"clusters-1/a/b", gkcrypto.BlobID{}, false},
	}
	for _, tc := range tests {
		got, err := reencrypt.ParseObjectName(tc.name)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseObjectName(%q) = %+v, %v; want %+v ok=%v", tc.name, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, reencrypt.ErrObjectName) {
			t.Errorf("ParseObjectName(%q): %v, want ErrObjectName", tc.name, err)
		}
		if tc.ok && reencrypt.ObjectName(got.Cluster, got.App, got.Name) != tc.name {
			t.Errorf("ObjectName does not invert ParseObjectName(%q)", tc.name)
		}
	}
}

// More failures than the journal can hold: Progress still counts them all,
// the journal keeps exactly MaxReportedFailures and its checkpoint stops
// before the first one it could not hold, so a rerun revisits the rest and
// counts the same.
func TestFailureFloodKeepsCheckpointHonest(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	const bad = reencrypt.MaxReportedFailures + 5
	for i := range bad {
		mustPut(t, store, reencrypt.ObjectName(1, "app", "bad-"+strconv.Itoa(100000+i)), []byte{1, 2, 3})
	}
	populate(t, store, shape{blobs: 20, maxLarge: 4 << 10}, 0) // cluster-1/... and cluster-7/...
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	j := newJournal(t, t.TempDir())
	p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(nil))
	if err != nil || p.Failed != bad || len(p.Failures) != reencrypt.MaxReportedFailures || p.Done != 20 {
		t.Fatalf("%+v (%d failures listed), %v", p.Failed, len(p.Failures), err)
	}
	cp, err := j.Load()
	if err != nil || len(cp.Failures) != reencrypt.MaxReportedFailures {
		t.Fatalf("journal: %d failures, %v", len(cp.Failures), err)
	}
	// The checkpoint stops at the last failure the journal holds.
	if cp.After != cp.Failures[len(cp.Failures)-1].Name {
		t.Fatalf("checkpoint %q, last journaled failure %q", cp.After, cp.Failures[len(cp.Failures)-1].Name)
	}
	p2, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(nil))
	if err != nil || p2.Failed != bad || p2.Done != 20 || p2.Total != bad+20 {
		t.Fatalf("rerun: %+v, %v", p2, err)
	}
}
