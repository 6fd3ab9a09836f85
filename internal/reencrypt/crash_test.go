package reencrypt_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3/s3test"
)

// Environment of the crash test. The default is 20 trials over 60 blobs up
// to 1 MiB (about 7 s on 2 cores); GK_SLOW=1 runs the long variant, 100
// trials over 300 blobs up to 4 MiB (about 3.5 min):
//
//	GK_SLOW=1 go test ./internal/reencrypt -run TestCrashResume -v -timeout 10m
const (
	slowEnv       = "GK_SLOW"
	crashChildEnv = "GK_REENCRYPT_CRASH_CHILD" // the directory of the child's run
	crashFromEnv  = "GK_REENCRYPT_CRASH_FROM"  // the job's From; To is From+1
	crashBatchEnv = "GK_REENCRYPT_CRASH_BATCH" // the child's MaxBatchObjects
	crashS3Env    = "GK_REENCRYPT_CRASH_S3"    // endpoint,bucket,access,secret of an S3 store, if not the directory
	childReady    = "running"
)

// TestCrashChild is the process the crash test kills: it runs one job on
// the directory store and journal under $GK_REENCRYPT_CRASH_CHILD. It does
// nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the crash test's child process; runs only under TestCrashResume")
	}
	from, err := strconv.ParseUint(os.Getenv(crashFromEnv), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	var store statestore.Store
	if spec := os.Getenv(crashS3Env); spec != "" {
		store = openS3Spec(t, spec)
	} else {
		store = openDir(t, filepath.Join(dir, "state"))
	}
	j := newJournal(t, dir)
	keys := testKeys(t)
	batch, err := strconv.Atoi(os.Getenv(crashBatchEnv))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(os.Stderr)
	cfg.CheckpointInterval = 2 * time.Millisecond
	cfg.CheckpointEvery = 4
	cfg.MaxBatchObjects = batch
	job := reencrypt.Job{From: uint32(from), To: uint32(from) + 1, Range: reencrypt.All}
	fmt.Println(childReady)
	if _, err := reencrypt.Run(context.Background(), store, keys, job, j, cfg); err != nil {
		t.Fatal(err)
	}
}

// readyWriter closes ready when the child prints its ready line.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), childReady+"\n") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// runChild runs job from→from+1 in a child process with MaxBatchObjects
// batch and kills it (SIGKILL) kill after it starts running, or lets it
// finish if kill < 0. It returns how long the child ran and whether it was
// killed.
func runChild(t *testing.T, b crashBackend, from uint32, batch int, kill time.Duration) (ran time.Duration, killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+b.dir, crashFromEnv+"="+strconv.FormatUint(uint64(from), 10),
		crashBatchEnv+"="+strconv.Itoa(batch))
	if b.s3spec != "" {
		cmd.Env = append(cmd.Env, crashS3Env+"="+b.s3spec)
	}
	out := &readyWriter{ready: make(chan struct{})}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-out.ready:
	case err := <-exited:
		t.Fatalf("child exited before running: %v\n%s\n%s", err, out.buf.String(), stderr.String())
	}
	start := time.Now()
	if kill < 0 {
		if err := <-exited; err != nil {
			t.Fatalf("child: %v\n%s\n%s", err, out.buf.String(), stderr.String())
		}
		return time.Since(start), false
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("child: %v\n%s\n%s", err, out.buf.String(), stderr.String())
		}
		return time.Since(start), false
	case <-time.After(kill):
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	if cmd.ProcessState.Success() {
		return time.Since(start), false // it finished just before the kill
	}
	if ws := cmd.ProcessState.String(); !strings.Contains(ws, "killed") {
		t.Fatalf("child ended with %s (%v), not by the kill\n%s", ws, err, stderr.String())
	}
	return time.Since(start), true
}

// countAt counts the objects of f whose header is at version v, and checks
// that every object is at v or v-1 and that every object the journal cp
// counts as handled (named ≤ cp.After) is at v: the journal never runs
// ahead of the store.
func countAt(t *testing.T, b crashBackend, f fixture, v uint32, cp reencrypt.Checkpoint) int {
	t.Helper()
	store := b.open(t) // a directory store also removes temp files
	n := 0
	for _, name := range f.names() {
		blob, err := store.Get(context.Background(), name)
		if err != nil {
			t.Fatalf("%s after the kill: %v", name, err)
		}
		_, got, err := gkcrypto.BlobKeyVersion(blob)
		if err != nil || (got != v && got != v-1) {
			t.Fatalf("%s after the kill: key version %d (%v), want %d or %d", name, got, err, v-1, v)
		}
		if got == v {
			n++
		} else if name <= cp.After {
			t.Fatalf("%s is at version %d, but the journal counts every name up to %s as done", name, got, cp.After)
		}
	}
	return n
}

func countTemps(t *testing.T, root string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".tmp") {
			n++
		}
		return nil
	})
	return n
}

// Kill -9 at random points of a re-encryption, then resume in this process:
// every trial ends with every blob at the new version, opening to its
// original content (checksums taken before), and the journal complete. Each
// trial is one more rotation (job k → k+1) of the same store, so the child
// also starts each time from a journal of the previous job. After each kill,
// every object is at the old or the new version and the journal counts none
// still at the old one. The child writes one object at a time (Put, one
// durability barrier each).
func TestCrashResume(t *testing.T) {
	crashResume(t, 1, dirBackend(t))
}

// TestCrashResume with the child writing through statestore.Dir.PutBatch,
// at most 8 objects behind one barrier, so that kills land inside batches
// and between them.
func TestCrashResumeBatched(t *testing.T) {
	crashResume(t, 8, dirBackend(t))
}

// TestCrashResume on a real S3 server (versitygw, started by the test; the
// child is handed its address and a bucket): every write is a PUT of a
// whole object, so a kill leaves each object old or new. GK_S3=1 only.
func TestCrashResumeS3(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	crashResume(t, 1, s3Backend(t))
}

// TestCrashResumeS3 with the child writing through the S3 store's
// PutBatch (8 concurrent PUTs), so that kills land inside batches.
func TestCrashResumeS3Batched(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	crashResume(t, 8, s3Backend(t))
}

// crashBackend is the store of a crash test: a directory under dir, or an
// S3 bucket (s3spec); the journal and the TEE live under dir either way.
type crashBackend struct {
	dir    string
	s3spec string
}

func dirBackend(t *testing.T) crashBackend { return crashBackend{dir: t.TempDir()} }

func s3Backend(t *testing.T) crashBackend {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	return crashBackend{dir: t.TempDir(), s3spec: strings.Join([]string{srv.Endpoint, bucket, srv.AccessKey, srv.SecretKey}, ",")}
}

// open opens the store (again: each call is a fresh client or a fresh
// OpenDir).
func (b crashBackend) open(t testing.TB) statestore.Store {
	if b.s3spec != "" {
		return openS3Spec(t, b.s3spec)
	}
	return openDir(t, filepath.Join(b.dir, "state"))
}

func openS3Spec(t testing.TB, spec string) statestore.Store {
	t.Helper()
	f := strings.Split(spec, ",")
	if len(f) != 4 {
		t.Fatalf("bad %s", crashS3Env)
	}
	s, err := s3.Open(context.Background(), s3.Config{Endpoint: f[0], Bucket: f[1], AccessKey: f[2], SecretKey: f[3], Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func crashResume(t *testing.T, batch int, b crashBackend) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := b.dir
	trials, sh := 20, shape{blobs: 60, maxLarge: 1 << 20}
	if os.Getenv(slowEnv) == "1" {
		trials, sh = 100, shape{blobs: 300, maxLarge: 4 << 20}
	}
	store := b.open(t)
	f := populate(t, store, sh, 0)
	openTEE(t, filepath.Join(dir, "tee")) // create the sealing keys once, before any child

	// Calibrate: an uninterrupted run of job 0→1 gives the span to kill in.
	full, _ := runChild(t, b, 0, batch, -1)
	checkAt(t, store, f, reencrypt.All, 1)
	t.Logf("uninterrupted child run: %v for %d blobs", full.Round(time.Millisecond), sh.blobs)

	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	var killed, mid, before, after, temps int
	for k := uint32(1); k <= uint32(trials); k++ {
		delay := time.Duration(rnd.Int64N(int64(full)))
		ran, wasKilled := runChild(t, b, k, batch, delay)
		if !wasKilled {
			full = ran // the machine got faster (warm caches, less load): aim inside
		}
		tmp := countTemps(t, dir)
		j := newJournal(t, dir)
		job := reencrypt.Job{From: k, To: k + 1, Range: reencrypt.All}
		var atKill string
		var cp reencrypt.Checkpoint
		switch loaded, err := j.Load(); {
		case err != nil:
			atKill = fmt.Sprintf("journal: %v", err)
		case loaded.Job != job:
			atKill = "journal of the previous job"
		default:
			cp = loaded
			atKill = fmt.Sprintf("journal at %d", cp.Done)
		}
		doneByChild := countAt(t, b, f, k+1, cp)

		resumeStore := b.open(t)
		p, err := reencrypt.Run(context.Background(), resumeStore, testKeys(t), job, j, testConfig(nil))
		if err != nil {
			t.Fatalf("trial %d: resume: %v", k, err)
		}
		n := uint64(sh.blobs)
		if !p.Retirable() || p.Total != n || p.Done != n {
			t.Fatalf("trial %d: resume: %+v", k, p)
		}
		checkAt(t, resumeStore, f, reencrypt.All, k+1)
		if v, err := reencrypt.Verify(context.Background(), resumeStore, job, testConfig(nil)); err != nil || !v.Retirable() {
			t.Fatalf("trial %d: Verify: %+v, %v", k, v, err)
		}

		switch {
		case doneByChild == 0:
			before++
		case doneByChild == sh.blobs:
			after++
		default:
			mid++
		}
		if wasKilled {
			killed++
		}
		if tmp > 0 {
			temps++
		}
		t.Logf("trial %2d: kill after %-8v killed=%-5v child re-encrypted %3d/%d, %s, %d temp files; resume handled %d, resumed=%v",
			k, delay.Round(time.Microsecond), wasKilled, doneByChild, sh.blobs, atKill, tmp, p.Processed, p.Resumed)
	}
	t.Logf("%d trials: %d killed (%d before any write, %d mid-way, %d after the last write), %d left temp files; all resumed and verified",
		trials, killed, before, mid, after, temps)
	if mid == 0 {
		t.Errorf("no trial was killed mid-way; the kill window is miscalibrated")
	}
}

// TestMain stops the S3 server the S3 crash tests may have started.
func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}
