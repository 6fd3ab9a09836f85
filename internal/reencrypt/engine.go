package reencrypt

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// ConditionalStore is a Store that can replace an object only while it still
// holds the bytes the caller read: S3's conditional PUT (If-Match on the
// ETag), or a directory store whose every writer takes one per-name lock.
// When the store implements it, Run uses it so that an app writing the same
// object during the job is never overwritten with older content; on
// ErrChanged Run reads the object again. See the package documentation.
type ConditionalStore interface {
	statestore.Store
	// PutIfUnchanged replaces name with data if it currently holds exactly
	// old, atomically; otherwise it returns an error matching ErrChanged.
	PutIfUnchanged(ctx context.Context, name string, old, data []byte) error
}

// Run re-encrypts the job's share of store from key version From to To and
// returns the final progress. It lists the store once (ObjectPrefix), takes
// the names in job.Range, skips those journal (nil: no resume) records as
// handled, and processes the rest on cfg.Workers goroutines: Get, and if the
// blob is at version From, OpenBlob under the old key, SealBlob under the
// new one under the same name, Put. A blob already at To counts as done; any
// other version, a blob that does not open, a name that is not an app state
// object or a store error on that object is a Failure, and the run goes on.
//
// Run returns an error only when it cannot go on: ctx ends, the store cannot
// be listed, or the journal cannot be written. Progress is valid either way,
// and calling Run again with the same job resumes. The caller retires the
// old version only on Progress.Retirable (see also Verify).
func Run(ctx context.Context, store statestore.Store, keys Keys, job Job, journal *Journal, cfg Config) (Progress, error) {
	if err := cfg.Validate(); err != nil {
		return Progress{}, err
	}
	if err := job.Validate(); err != nil {
		return Progress{}, err
	}
	if store == nil || keys == nil {
		return Progress{}, fmt.Errorf("%w: nil store or keys", ErrInvalidJob)
	}
	r := newRunner(store, keys, job, journal, cfg, false)
	defer r.keys.clear()
	start := Checkpoint{Job: job}
	if journal != nil {
		start = r.loadJournal()
	}
	return r.run(ctx, start)
}

// Verify lists the job's range and reports every object not at key version
// To as a Failure, reading only blob headers (no decryption, no writes, no
// journal). It is the check to make before retiring version From: Run's
// journal lets it skip names it handled, so an object an app wrote under
// From after that (a worker that had not switched to To yet) is caught only
// here. keys is not needed.
func Verify(ctx context.Context, store statestore.Store, job Job, cfg Config) (Progress, error) {
	if err := cfg.Validate(); err != nil {
		return Progress{}, err
	}
	if err := job.Validate(); err != nil {
		return Progress{}, err
	}
	if store == nil {
		return Progress{}, fmt.Errorf("%w: nil store", ErrInvalidJob)
	}
	r := newRunner(store, nil, job, nil, cfg, true)
	return r.run(ctx, Checkpoint{Job: job})
}

type runner struct {
	store   statestore.Store
	cond    ConditionalStore      // nil unless store implements it
	batch   statestore.BatchStore // nil unless Run batches its writes (see useBatch)
	keys    *keyCache
	job     Job
	journal *Journal
	cfg     Config
	log     *slog.Logger
	rand    io.Reader
	verify  bool
	mem     *budget
	worst   int64       // reservation before a Get: 3 × the largest object
	queue   *budget     // bytes of new blobs waiting for the committer
	bufs    chan []byte // free new-blob buffers, when Put is batched

	resumed bool
	start   time.Time

	mu      sync.Mutex
	tr      tracker
	logged  int // failure lines logged
	saveNow chan struct{}
}

func newRunner(store statestore.Store, keys Keys, job Job, journal *Journal, cfg Config, verify bool) *runner {
	r := &runner{
		store:   store,
		job:     job,
		journal: journal,
		cfg:     cfg,
		log:     cfg.Log,
		rand:    rand.Reader,
		verify:  verify,
		mem:     newBudget(cfg.MaxInFlightBytes),
		saveNow: make(chan struct{}, 1),
	}
	r.cond, _ = store.(ConditionalStore)
	if b, ok := store.(statestore.BatchStore); ok && useBatch(r.cond, cfg, verify) {
		r.batch = b
		r.queue = newBudget(queueBatches * cfg.MaxBatchBytes)
		r.bufs = make(chan []byte, cfg.MaxBatchObjects+cfg.Workers)
	}
	if keys != nil {
		r.keys = &keyCache{keys: keys, m: map[keyID][crypto.KeySize]byte{}}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand != nil {
		r.rand = &lockedReader{r: cfg.Rand}
	}
	r.worst = 3 * statestore.MaxObjectSize
	if verify {
		r.worst = statestore.MaxObjectSize
	}
	return r
}

// loadJournal returns the checkpoint to resume from: the journal's if it
// holds this job, else a fresh one. An unreadable journal is logged and
// ignored: starting over is correct, because handling an object twice is a
// no-op the second time.
func (r *runner) loadJournal() Checkpoint {
	fresh := Checkpoint{Job: r.job}
	if err := r.journal.removeTemps(); err != nil {
		r.log.Warn("reencrypt: removing stale journal temp files", "err", err)
	}
	c, err := r.journal.Load()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fresh
	case err != nil:
		r.log.Warn("reencrypt: journal unreadable, starting the job over with a full scan", "path", r.journal.Path(), "err", err)
		return fresh
	case c.Job != r.job:
		r.log.Info("reencrypt: journal belongs to another job, starting over", "journal_job", c.Job.String(), "job", r.job.String())
		return fresh
	}
	r.resumed = true
	return c
}

func (r *runner) run(ctx context.Context, cp Checkpoint) (Progress, error) {
	r.start = time.Now()
	names, err := r.store.List(ctx, ObjectPrefix)
	if err != nil {
		return Progress{}, fmt.Errorf("reencrypt: listing the store: %w", err)
	}
	r.tr.init(cp, names, r.job.Range)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Workers hand objects whose Put is batched to the committer, which
	// completes them once their batch is durable.
	var commits chan pendingPut
	committed := make(chan struct{})
	if r.batch != nil {
		commits = make(chan pendingPut, r.cfg.MaxBatchObjects)
		go func() {
			defer close(committed)
			r.commitLoop(ctx, commits)
		}()
	} else {
		close(committed)
	}
	work := make(chan item)
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() {
			w := newWorker()
			defer w.clear()
			for it := range work {
				if ctx.Err() != nil {
					r.complete(it, outcome{kind: aborted})
					continue
				}
				o, p := r.process(ctx, w, it)
				if p != nil {
					commits <- *p
					continue
				}
				r.complete(it, o)
			}
		})
	}
	stop := make(chan struct{})
	monitorDone := make(chan struct{})
	go func() {
		defer close(monitorDone)
		r.monitor(stop, cancel)
	}()

feed:
	for _, it := range r.tr.items {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if commits != nil {
		close(commits)
	}
	<-committed
	close(stop)
	<-monitorDone

	var errs []error
	if cause := context.Cause(ctx); cause != nil {
		errs = append(errs, fmt.Errorf("reencrypt: stopped: %w", cause))
	}
	if r.journal != nil {
		if err := r.save(); err != nil {
			errs = append(errs, err)
		}
	}
	p := r.progress()
	if r.cfg.OnProgress != nil {
		r.cfg.OnProgress(p)
	}
	return p, errors.Join(errs...)
}

// monitor writes the journal and reports progress on their intervals until
// stop closes. A journal write that fails cancels the run.
func (r *runner) monitor(stop <-chan struct{}, cancel context.CancelCauseFunc) {
	save := time.NewTicker(r.cfg.CheckpointInterval)
	defer save.Stop()
	report := time.NewTicker(r.cfg.ProgressInterval)
	defer report.Stop()
	for {
		select {
		case <-stop:
			return
		case <-save.C:
		case <-r.saveNow:
		case <-report.C:
			if r.cfg.OnProgress != nil {
				r.cfg.OnProgress(r.progress())
			}
			continue
		}
		if r.journal != nil {
			if err := r.save(); err != nil {
				cancel(err)
				return
			}
		}
	}
}

// save writes the committed checkpoint if it changed since the last save.
func (r *runner) save() error {
	r.mu.Lock()
	if r.tr.savedGen == r.tr.gen && r.tr.savedOnce {
		r.mu.Unlock()
		return nil
	}
	cp, gen := r.tr.checkpoint(r.job), r.tr.gen
	r.mu.Unlock()
	if err := r.journal.Save(cp); err != nil {
		return err
	}
	r.mu.Lock()
	r.tr.savedGen, r.tr.savedOnce = gen, true
	r.tr.sinceSave = 0
	r.mu.Unlock()
	return nil
}

func (r *runner) complete(it item, o outcome) {
	r.mu.Lock()
	r.tr.complete(it, o)
	due := r.tr.sinceSave >= r.cfg.CheckpointEvery
	logIt := o.kind == failed && r.logged < MaxReportedFailures
	if logIt {
		r.logged++
	}
	r.mu.Unlock()
	if logIt {
		r.log.Warn("reencrypt: object not re-encrypted", "name", it.name, "reason", o.reason)
	}
	if due {
		select {
		case r.saveNow <- struct{}{}:
		default:
		}
	}
}

func (r *runner) progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.tr.progress()
	p.Elapsed = time.Since(r.start)
	p.Resumed = r.resumed
	return p
}

// item is one object to handle, in name order.
type item struct {
	seq   int
	name  string
	retry bool // a failure of the journal, tried again
}

type outcomeKind uint8

const (
	aborted outcomeKind = iota // ctx ended: not handled, blocks the checkpoint
	done
	failed
)

type outcome struct {
	kind        outcomeKind
	reencrypted bool
	bytes       uint64
	reason      string
}

func fail(format string, args ...any) outcome {
	return outcome{kind: failed, reason: fmt.Sprintf(format, args...)}
}

// tracker keeps two views of the job. The live one counts every completion
// at once, for progress. The committed one (what the journal saves) moves a
// watermark over items in name order and only past contiguous completions,
// so that "every name ≤ After was handled" stays true however the workers
// interleave. It stops for good rather than record more than
// MaxReportedFailures failures, so the journal's failure list is always
// complete up to After.
type tracker struct {
	items []item

	// committed
	wm        int // items[:wm] are committed
	pending   map[int]outcome
	halted    bool
	after     string
	done      uint64
	reenc     uint64
	failures  map[string]string
	gen       uint64 // bumped on every committed change
	savedGen  uint64
	savedOnce bool
	sinceSave int

	// live
	total, liveDone, liveReenc, liveFailed uint64
	liveFailures                           map[string]string // at most MaxReportedFailures
	bytes, processed                       uint64
}

func (t *tracker) init(cp Checkpoint, names []string, rg Range) {
	t.pending = map[int]outcome{}
	t.after, t.done, t.reenc = cp.After, cp.Done, cp.Reencrypted
	t.failures = make(map[string]string, len(cp.Failures))
	for _, f := range cp.Failures {
		t.failures[f.Name] = f.Reason
	}
	listed := map[string]bool{}
	for _, n := range names {
		if !rg.Contains(n) {
			continue
		}
		_, retry := t.failures[n]
		if n > cp.After || retry {
			listed[n] = true
			t.items = append(t.items, item{seq: len(t.items), name: n, retry: retry})
		}
	}
	// A failure whose object is gone since: nothing left to re-encrypt.
	for n := range t.failures {
		if !listed[n] {
			delete(t.failures, n)
			t.done++
		}
	}
	t.liveDone, t.liveReenc = t.done, t.reenc
	t.liveFailed = uint64(len(t.failures))
	t.liveFailures = maps.Clone(t.failures)
	// Retried failures are items, and not in done.
	t.total = t.done + uint64(len(t.items))
}

func (t *tracker) complete(it item, o outcome) {
	if o.kind == aborted {
		return
	}
	t.processed++
	t.bytes += o.bytes
	if it.retry {
		t.liveFailed--
		delete(t.liveFailures, it.name)
	}
	switch o.kind {
	case done:
		t.liveDone++
		if o.reencrypted {
			t.liveReenc++
		}
	case failed:
		t.liveFailed++
		if len(t.liveFailures) < MaxReportedFailures {
			t.liveFailures[it.name] = o.reason
		}
	}
	if t.halted {
		return
	}
	t.pending[it.seq] = o
	for {
		o, ok := t.pending[t.wm]
		if !ok {
			return
		}
		c := t.items[t.wm]
		_, wasFailure := t.failures[c.name]
		if o.kind == failed && !wasFailure && len(t.failures) >= MaxReportedFailures {
			t.halted = true
			clear(t.pending)
			return
		}
		delete(t.pending, t.wm)
		delete(t.failures, c.name)
		switch o.kind {
		case done:
			t.done++
			if o.reencrypted {
				t.reenc++
			}
		case failed:
			t.failures[c.name] = cutReason(o.reason)
		}
		t.after = max(t.after, c.name)
		t.wm++
		t.gen++
		t.sinceSave++
	}
}

func (t *tracker) checkpoint(job Job) Checkpoint {
	return Checkpoint{Job: job, After: t.after, Done: t.done, Reencrypted: t.reenc, Failures: sortedFailures(t.failures)}
}

func (t *tracker) progress() Progress {
	return Progress{
		Total:       t.total,
		Done:        t.liveDone,
		Reencrypted: t.liveReenc,
		Failed:      t.liveFailed,
		Failures:    sortedFailures(t.liveFailures),
		Bytes:       t.bytes,
		Processed:   t.processed,
	}
}

func sortedFailures(m map[string]string) []Failure {
	out := make([]Failure, 0, len(m))
	for n, r := range m {
		out = append(out, Failure{Name: n, Reason: r})
	}
	slices.SortFunc(out, func(a, b Failure) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

type keyID struct {
	cluster uint64
	version uint32
}

// keyCache asks Keys once per (cluster, version) and clears its copies when
// the run ends.
type keyCache struct {
	keys Keys
	mu   sync.Mutex
	m    map[keyID][crypto.KeySize]byte
}

func (c *keyCache) get(cluster uint64, version uint32) ([crypto.KeySize]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := keyID{cluster, version}
	if k, ok := c.m[id]; ok {
		return k, true
	}
	k, ok := c.keys.ClusterKey(cluster, version)
	if ok {
		c.m[id] = k
	}
	return k, ok
}

func (c *keyCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, k := range c.m {
		clear(k[:])
		delete(c.m, id)
	}
}

// budget is a byte semaphore bounding the memory of objects in flight.
// Requests larger than the whole budget are cut to it, so such an object
// runs alone instead of never.
type budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	avail int64
	max   int64
}

func newBudget(n int64) *budget {
	b := &budget{avail: n, max: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire blocks until n bytes (at most the whole budget) are free and
// returns what it took.
func (b *budget) acquire(n int64) int64 {
	n = min(n, b.max)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.avail < n {
		b.cond.Wait()
	}
	b.avail -= n
	return n
}

// shrink gives back what a reservation of held exceeds want by, and returns
// the new holding.
func (b *budget) shrink(held, want int64) int64 {
	want = min(want, held)
	b.release(held - want)
	return want
}

func (b *budget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.avail += n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// lockedReader serializes a caller's reader, which need not be safe for
// concurrent use (crypto/rand.Reader is).
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
