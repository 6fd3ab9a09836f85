package reencrypt_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// On a BatchStore, Run writes through PutBatch, in batches no larger than
// the config allows, and the result is the same as one Put at a time.
func TestBatchedRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		maxObjects int
		maxBytes   int64
		wantMax    int64 // the largest batch PutBatch may see
	}{
		{"by objects", 16, 1 << 30, 16},
		{"by bytes", 512, 1, 1}, // every object alone reaches the bound
		{"default", reencrypt.DefaultConfig().MaxBatchObjects, reencrypt.DefaultConfig().MaxBatchBytes, 512},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newBatchStore()
			f := populate(t, store, shape{blobs: 200, maxLarge: 256 << 10}, 0)
			cfg := testConfig(nil)
			cfg.MaxBatchObjects, cfg.MaxBatchBytes = tc.maxObjects, tc.maxBytes
			p, err := reencrypt.Run(context.Background(), store, testKeys(t), reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}, nil, cfg)
			if err != nil || !p.Retirable() || p.Reencrypted != 200 {
				t.Fatalf("%+v, %v", p, err)
			}
			checkAt(t, store, f, reencrypt.All, 1)
			if got := store.objects.Load(); got != 200 {
				t.Fatalf("PutBatch wrote %d objects, want all 200", got)
			}
			if m := store.maxBatch.Load(); m > tc.wantMax {
				t.Fatalf("a batch of %d objects, limit %d", m, tc.wantMax)
			}
			t.Logf("%d batches, the largest %d objects", store.batches.Load(), store.maxBatch.Load())
		})
	}
}

// PutBatch is not used when batching is off, for a ConditionalStore (its
// per-object check is the point), or by Verify.
func TestBatchNotUsed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		store func(*batchStore) statestore.Store
		cfg   func(*reencrypt.Config)
	}{
		{"MaxBatchObjects 1", func(s *batchStore) statestore.Store { return s }, func(c *reencrypt.Config) { c.MaxBatchObjects = 1 }},
		{"conditional store", func(s *batchStore) statestore.Store { return casBatchStore{s} }, func(*reencrypt.Config) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newBatchStore()
			f := populate(t, s, shape{blobs: 30, maxLarge: 16 << 10}, 0)
			cfg := testConfig(nil)
			tc.cfg(&cfg)
			job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
			p, err := reencrypt.Run(context.Background(), tc.store(s), testKeys(t), job, nil, cfg)
			if err != nil || !p.Retirable() || p.Reencrypted != 30 {
				t.Fatalf("%+v, %v", p, err)
			}
			checkAt(t, s, f, reencrypt.All, 1)
			if v, err := reencrypt.Verify(context.Background(), tc.store(s), job, cfg); err != nil || !v.Retirable() {
				t.Fatalf("Verify: %+v, %v", v, err)
			}
			if n := s.batches.Load(); n != 0 {
				t.Fatalf("%d PutBatch calls", n)
			}
		})
	}
}

// A batch that fails is put one object at a time: an object whose Put
// fails too is a Failure by name, and every other object is re-encrypted.
func TestBatchFailureFallsBack(t *testing.T) {
	t.Parallel()
	store := newBatchStore()
	f := populate(t, store, shape{blobs: 50, maxLarge: 16 << 10}, 0)
	bad := objectName(17)
	store.failBatches.Store(true)
	store.failPut = func(name string) error {
		if name == bad {
			return errors.New("disk says no")
		}
		return nil
	}
	cfg := testConfig(nil)
	cfg.MaxBatchObjects = 8
	p, err := reencrypt.Run(context.Background(), store, testKeys(t), reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}, nil, cfg)
	if err != nil || !p.Complete() || p.Reencrypted != 49 || p.Failed != 1 || p.Failures[0].Name != bad ||
		!strings.Contains(p.Failures[0].Reason, "disk says no") {
		t.Fatalf("%+v, %v", p, err)
	}
	delete(f, bad)
	checkAt(t, store, f, reencrypt.All, 1)
}

// The journal counts an object only once its batch is durable: while the
// first PutBatch is held, checkpoints keep being written and none of them
// counts anything.
func TestJournalWaitsForBatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store := newBatchStore()
	f := populate(t, store, shape{blobs: 40, maxLarge: 16 << 10}, 0)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	store.beforeBatch = func([]statestore.Object) {
		once.Do(func() {
			close(held)
			<-release
		})
	}
	j := newJournal(t, dir)
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	type result struct {
		p   reencrypt.Progress
		err error
	}
	res := make(chan result, 1)
	go func() {
		p, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, testConfig(nil))
		res <- result{p, err}
	}()
	<-held
	// Many checkpoint intervals (10 ms) while the batch is held.
	for range 10 {
		time.Sleep(10 * time.Millisecond)
		cp, err := j.Load()
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			t.Fatal(err)
		case cp.Job == job && (cp.Done != 0 || cp.After != ""):
			t.Fatalf("journal counts %d objects (after %q) before any batch returned", cp.Done, cp.After)
		}
	}
	close(release)
	r := <-res
	if r.err != nil || !r.p.Retirable() || r.p.Reencrypted != 40 {
		t.Fatalf("%+v, %v", r.p, r.err)
	}
	if cp, err := j.Load(); err != nil || cp.Done != 40 {
		t.Fatalf("final journal %+v, %v", cp, err)
	}
	checkAt(t, store, f, reencrypt.All, 1)
}

// A run cancelled while batches are in flight returns the context's error;
// what its journal counts is at the new version, and the next run finishes.
func TestBatchedCancelAndResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store := newBatchStore()
	f := populate(t, store, shape{blobs: 100, maxLarge: 16 << 10}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var n int
	var mu sync.Mutex
	store.beforeBatch = func([]statestore.Object) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 4 {
			cancel()
		}
	}
	cfg := testConfig(nil)
	cfg.MaxBatchObjects = 8
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	j := newJournal(t, dir)
	p, err := reencrypt.Run(ctx, store, testKeys(t), job, j, cfg)
	if !errors.Is(err, context.Canceled) || p.Complete() {
		t.Fatalf("cancelled run: %+v, %v", p, err)
	}
	cp, err := j.Load()
	if err != nil || cp.Done == 0 || cp.Done > p.Done {
		t.Fatalf("journal %+v (%v) after %d done", cp, err, p.Done)
	}
	for _, name := range f.names() {
		if name > cp.After {
			break
		}
		checkAt(t, store, fixture{name: f[name]}, reencrypt.All, 1)
	}
	store.beforeBatch = nil
	p2, err := reencrypt.Run(context.Background(), store, testKeys(t), job, j, cfg)
	if err != nil || !p2.Resumed || !p2.Retirable() || p2.Done != 100 {
		t.Fatalf("resumed run: %+v, %v (journal had %d)", p2, err, cp.Done)
	}
	checkAt(t, store, f, reencrypt.All, 1)
}
