package reencrypt_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// testKeys is a master key history of versions 0..maxTestVersion, the same
// in every process (the crash test's child derives it too).
const maxTestVersion = 255

var (
	testKeysOnce sync.Once
	testKeysVal  reencrypt.MasterKeys
)

func testKeys(t testing.TB) reencrypt.MasterKeys {
	t.Helper()
	testKeysOnce.Do(func() {
		r := rand.NewChaCha8([32]byte{'r', 'e', 'e', 'n', 'c'})
		for v := range uint32(maxTestVersion + 1) {
			k, err := gkcrypto.GenerateMasterKey(r, v)
			if err != nil {
				panic(err)
			}
			testKeysVal = append(testKeysVal, k)
		}
	})
	return testKeysVal
}

// clusterKey is the test history's key, or fails the test.
func clusterKey(t testing.TB, cluster uint64, version uint32) [gkcrypto.KeySize]byte {
	t.Helper()
	k, ok := testKeys(t).ClusterKey(cluster, version)
	if !ok {
		t.Fatalf("no test key for version %d", version)
	}
	return k
}

// fixture is a store's expected content: object name → SHA-256 of its
// plaintext.
type fixture map[string][sha256.Size]byte

func (f fixture) names() []string {
	out := make([]string, 0, len(f))
	for n := range f {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// shape is a fixture's size mix.
type shape struct {
	blobs    int
	maxLarge int // the largest plaintext, bytes
}

// plaintext returns object i's deterministic content: mostly small, some
// tens to hundreds of KiB, a few up to maxLarge.
func plaintext(i int, maxLarge int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	var n int
	switch i % 10 {
	case 0:
		n = r.IntN(16) // bytes, including empty
	case 1, 2, 3, 4:
		n = 16 + r.IntN(4096)
	case 5, 6, 7, 8:
		n = 4096 + r.IntN(256<<10)
	default:
		n = maxLarge/4 + r.IntN(maxLarge-maxLarge/4+1)
	}
	b := make([]byte, n)
	c := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 7})
	_, _ = c.Read(b)
	return b
}

// objectName spreads objects over two clusters, three apps and nested names.
func objectName(i int) string {
	cluster := []uint64{1, 7}[i%2]
	app := []string{"app-a", "app.b", "app_c"}[i%3]
	name := fmt.Sprintf("obj-%04d", i)
	if i%4 == 0 {
		name = fmt.Sprintf("dir-%d/sub/obj-%04d", i%5, i)
	}
	return reencrypt.ObjectName(cluster, app, name)
}

// populate writes s.blobs blobs at key version v and returns their checksums.
func populate(t testing.TB, store statestore.Store, s shape, v uint32) fixture {
	t.Helper()
	f := fixture{}
	rnd := rand.NewChaCha8([32]byte{9})
	for i := range s.blobs {
		name := objectName(i)
		pt := plaintext(i, s.maxLarge)
		putBlob(t, store, name, v, pt, rnd)
		f[name] = sha256.Sum256(pt)
	}
	return f
}

// isEnvelope: about one object in three is written under the rewrap
// policy (an envelope blob), so that every test runs a mixed store.
func isEnvelope(name string) bool {
	h := sha256.Sum256([]byte(name))
	return h[0]%3 == 0
}

func putBlob(t testing.TB, store statestore.Store, name string, v uint32, pt []byte, rnd io.Reader) {
	t.Helper()
	id, err := reencrypt.ParseObjectName(name)
	if err != nil {
		t.Fatal(err)
	}
	id.Version = v
	seal := gkcrypto.SealBlob
	if isEnvelope(name) {
		seal = gkcrypto.SealEnvelopeBlob
	}
	blob, err := seal(rnd, clusterKey(t, id.Cluster, v), id, pt)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), name, blob); err != nil {
		t.Fatal(err)
	}
}

// checkAt checks that every object of f in rg opens at version v to its
// original content. It returns the raw blobs of the objects outside rg.
func checkAt(t testing.TB, store statestore.Store, f fixture, rg reencrypt.Range, v uint32) (outside map[string][]byte) {
	t.Helper()
	outside = map[string][]byte{}
	ctx := context.Background()
	for _, name := range f.names() {
		blob, err := store.Get(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !rg.Contains(name) {
			outside[name] = blob
			continue
		}
		_, got, err := gkcrypto.BlobKeyVersion(blob)
		if err != nil || got != v {
			t.Fatalf("%s: key version %d (%v), want %d", name, got, err, v)
		}
		id, _ := reencrypt.ParseObjectName(name)
		id.Version = v
		pt, err := gkcrypto.OpenBlob(clusterKey(t, id.Cluster, v), id, blob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sha256.Sum256(pt) != f[name] {
			t.Fatalf("%s: content differs from the original", name)
		}
	}
	return outside
}

func openDir(t testing.TB, path string) *statestore.Dir {
	t.Helper()
	d, err := statestore.OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testMeasurement pins the sim TEE's measurement, so that the crash test's
// child (the same binary) and parent share a sealing key without hashing
// the executable each time.
var testMeasurement = bytes.Repeat([]byte{0x5e}, 32)

func openTEE(t testing.TB, dir string) *sim.TEE {
	t.Helper()
	tt, err := sim.Open(sim.Config{Dir: dir, Measurement: testMeasurement, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tt
}

func newJournal(t testing.TB, dir string) *reencrypt.Journal {
	t.Helper()
	j, err := reencrypt.NewJournal(filepath.Join(dir, "reencrypt.journal"), openTEE(t, filepath.Join(dir, "tee")))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// testConfig is DefaultConfig with fast checkpoints and a log into buf.
func testConfig(buf io.Writer) reencrypt.Config {
	cfg := reencrypt.DefaultConfig()
	cfg.Workers = 2
	cfg.CheckpointInterval = 10 * time.Millisecond
	cfg.ProgressInterval = 50 * time.Millisecond
	if buf != nil {
		cfg.Log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// syncBuffer is a log sink safe for the engine's concurrent logging.
type syncBuffer = e2etest.SyncBuffer

// memStore is an in-memory Store, for tests that need hooks.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
	// beforePut, if set, runs (without the lock) before each Put or
	// PutIfUnchanged of the engine.
	beforePut func(name string)
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) Put(ctx context.Context, name string, data []byte) error {
	if s.beforePut != nil {
		s.beforePut(name)
	}
	return s.put(ctx, name, data)
}

func (s *memStore) put(ctx context.Context, name string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := statestore.ValidateName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = bytes.Clone(data)
	return nil
}

func (s *memStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", statestore.ErrNotFound, name)
	}
	return bytes.Clone(b), nil
}

func (s *memStore) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; !ok {
		return fmt.Errorf("%w: %s", statestore.ErrNotFound, name)
	}
	delete(s.m, name)
	return nil
}

func (s *memStore) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.m {
		if len(n) >= len(prefix) && n[:len(prefix)] == prefix {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// rawStore writes to a memStore without its hook.
type rawStore struct{ *memStore }

func (s rawStore) Put(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data)
}

// casStore adds PutIfUnchanged to memStore.
type casStore struct{ *memStore }

func (s casStore) PutIfUnchanged(ctx context.Context, name string, old, data []byte) error {
	if s.beforePut != nil {
		s.beforePut(name)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[name]; !ok || !bytes.Equal(cur, old) {
		return fmt.Errorf("%w: %s", reencrypt.ErrChanged, name)
	}
	s.m[name] = bytes.Clone(data)
	return nil
}

func testRand() io.Reader { return rand.NewChaCha8([32]byte{3}) }

// batchStore adds PutBatch to memStore, with hooks and counters.
type batchStore struct {
	*memStore
	// beforeBatch, if set, runs before each PutBatch, without the lock.
	beforeBatch func(objs []statestore.Object)
	// failBatches makes PutBatch fail without writing anything.
	failBatches atomic.Bool
	// failPut, if set, can fail a Put by name.
	failPut func(name string) error

	batches, objects atomic.Int64
	maxBatch         atomic.Int64
}

func newBatchStore() *batchStore { return &batchStore{memStore: newMemStore()} }

func (s *batchStore) Put(ctx context.Context, name string, data []byte) error {
	if s.failPut != nil {
		if err := s.failPut(name); err != nil {
			return err
		}
	}
	return s.memStore.Put(ctx, name, data)
}

func (s *batchStore) PutBatch(ctx context.Context, objs []statestore.Object) error {
	if s.beforeBatch != nil {
		s.beforeBatch(objs)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.failBatches.Load() {
		return errors.New("batchStore: injected batch failure")
	}
	for _, o := range objs {
		if err := statestore.ValidateName(o.Name); err != nil {
			return err
		}
	}
	s.mu.Lock()
	for _, o := range objs {
		s.m[o.Name] = bytes.Clone(o.Data)
	}
	s.mu.Unlock()
	s.batches.Add(1)
	s.objects.Add(int64(len(objs)))
	for n := int64(len(objs)); ; {
		m := s.maxBatch.Load()
		if n <= m || s.maxBatch.CompareAndSwap(m, n) {
			break
		}
	}
	return nil
}

// casBatchStore is a ConditionalStore that is also a BatchStore.
type casBatchStore struct{ *batchStore }

func (s casBatchStore) PutIfUnchanged(ctx context.Context, name string, old, data []byte) error {
	return casStore{s.memStore}.PutIfUnchanged(ctx, name, old, data)
}
