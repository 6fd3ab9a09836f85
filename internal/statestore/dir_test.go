package statestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/statestoretest"
)

func openDir(t *testing.T) *statestore.Dir {
	t.Helper()
	d, err := statestore.OpenDir(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirConformance(t *testing.T) {
	t.Parallel()
	statestoretest.Run(t, func(t *testing.T) statestore.Store { return openDir(t) })
}

// putOnly hides Dir's PutBatch, so that statestore.PutBatch falls back to
// one Put at a time.
type putOnly struct{ statestore.Store }

// The suite again through the fallback every plain Store gets.
func TestPutBatchFallbackConformance(t *testing.T) {
	t.Parallel()
	statestoretest.Run(t, func(t *testing.T) statestore.Store {
		s := putOnly{openDir(t)}
		if _, ok := statestore.Store(s).(statestore.BatchStore); ok {
			t.Fatal("putOnly is a BatchStore")
		}
		return s
	})
}

// Objects survive reopening, and a temp file an interrupted write left
// behind is removed without touching objects.
func TestDirReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "state")
	d, err := statestore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "c/app/obj", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(root, "c", "app", "obj~obj.123456.tmp")
	if err := os.WriteFile(stray, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := d.List(ctx, ""); err != nil || !slices.Equal(got, []string{"c/app/obj"}) {
		t.Fatalf("List with a stray temp file = %q, %v", got, err)
	}
	d2, err := statestore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stray temp file not removed: %v", err)
	}
	got, err := d2.Get(ctx, "c/app/obj")
	if err != nil || string(got) != "kept" {
		t.Fatalf("Get after reopen = %q, %v", got, err)
	}
}

// The layout is what Dir documents, and Delete removes the directories it
// empties, up to (not including) the root.
func TestDirLayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openDir(t)
	if err := d.Put(ctx, "a/b/c", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.Root(), "a", "b", "c~obj")); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "a/b/c"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("root holds %d entries after deleting the only object", len(entries))
	}
}

// An object the host grew past the bound on disk is refused, not read whole.
func TestDirGetOversizedOnDisk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := openDir(t)
	if err := d.Put(ctx, "big", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(d.Root(), "big~obj"), statestore.MaxObjectSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, "big"); !errors.Is(err, statestore.ErrTooLarge) {
		t.Fatalf("Get: %v, want ErrTooLarge", err)
	}
}

func TestOpenDirEmptyPath(t *testing.T) {
	t.Parallel()
	if _, err := statestore.OpenDir(""); err == nil {
		t.Fatal("OpenDir(\"\") succeeded")
	}
}

// Environment of the PutBatch crash test's child process.
const (
	batchChildEnv = "GK_STATESTORE_BATCH_CHILD" // the store's directory
	batchFromEnv  = "GK_STATESTORE_BATCH_FROM"  // the child's first version
	batchObjects  = 40
)

// batchVersion is version v of object i: its header names both, the rest
// is filler, so that a reader can tell a complete version from a torn one.
func batchVersion(i, v int) []byte {
	head := fmt.Sprintf("object %d version %d;", i, v)
	return append([]byte(head), bytes.Repeat([]byte{byte(i), byte(v)}, 4096*(1+(i+v)%24))...)
}

func batchObjectName(i int) string { return fmt.Sprintf("cluster-1/app-%d/state/%03d", i%3, i) }

// TestPutBatchCrashChild is the process TestPutBatchCrash kills: it
// rewrites every object in batches, version after version, and prints the
// version each batch made durable. It does nothing in a normal test run.
func TestPutBatchCrashChild(t *testing.T) {
	root := os.Getenv(batchChildEnv)
	if root == "" {
		t.Skip("the crash test's child process; runs only under TestPutBatchCrash")
	}
	from, err := strconv.Atoi(os.Getenv(batchFromEnv))
	if err != nil {
		t.Fatal(err)
	}
	d, err := statestore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for v := from; ; v++ {
		objs := make([]statestore.Object, batchObjects)
		for i := range objs {
			objs[i] = statestore.Object{Name: batchObjectName(i), Data: batchVersion(i, v)}
		}
		if err := d.PutBatch(context.Background(), objs); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("durable %d\n", v)
	}
}

// Kill -9 a process in the middle of PutBatch calls, many times: every
// object is then one complete version (never torn, never missing), at
// least the last version the child reported durable and at most the one
// after it (the batch the kill interrupted), and reopening the
// store removes the temp files. A killed process leaves the page cache
// intact, so this tests atomicity, not power-loss durability (which rests
// on the fsyncs, as for Put).
func TestPutBatchCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Parallel()
	root := filepath.Join(t.TempDir(), "state")
	d, err := statestore.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	objs := make([]statestore.Object, batchObjects)
	for i := range objs {
		objs[i] = statestore.Object{Name: batchObjectName(i), Data: batchVersion(i, 0)}
	}
	if err := d.PutBatch(context.Background(), objs); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	// Every object is at least at durable (the last version a child reported
	// durable) and at most at upper (the last version a child may have
	// started to write).
	torn, durable, upper := 0, 0, 0
	for trial := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPutBatchCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), batchChildEnv+"="+root, batchFromEnv+"="+strconv.Itoa(upper+1))
		var out, stderr syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100*time.Millisecond + time.Duration(rnd.Int64N(int64(300*time.Millisecond))))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		upper++ // the child's first version
		for _, line := range strings.Split(out.String(), "\n") {
			if n, ok := strings.CutPrefix(line, "durable "); ok {
				durable, _ = strconv.Atoi(n)
				upper = durable + 1
			}
		}
		if strings.Contains(stderr.String(), "FAIL") {
			t.Fatalf("trial %d: child failed:\n%s", trial, stderr.String())
		}
		d, err := statestore.OpenDir(root) // removes temp files
		if err != nil {
			t.Fatal(err)
		}
		versions := map[int]bool{}
		for i := range batchObjects {
			got, err := d.Get(context.Background(), batchObjectName(i))
			if err != nil {
				t.Fatalf("trial %d: object %d: %v", trial, i, err)
			}
			var gi, gv int
			if _, err := fmt.Sscanf(string(got), "object %d version %d;", &gi, &gv); err != nil || gi != i || !bytes.Equal(got, batchVersion(i, gv)) {
				t.Fatalf("trial %d: object %d is torn (%d bytes)", trial, i, len(got))
			}
			if gv < durable || gv > upper {
				t.Fatalf("trial %d: object %d at version %d, want %d (reported durable) to %d (the version the kill interrupted)", trial, i, gv, durable, upper)
			}
			versions[gv] = true
		}
		if len(versions) > 1 {
			torn++ // killed inside a batch: the store mixes two versions
		}
		temps := 0
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".tmp") {
				temps++
			}
			return nil
		})
		if temps != 0 {
			t.Fatalf("trial %d: %d temp files after reopening", trial, temps)
		}
		t.Logf("trial %d: child reported version %d durable; objects at versions %v", trial, durable, slices.Sorted(maps.Keys(versions)))
	}
	t.Logf("%d of 8 trials killed inside a batch", torn)
}

// syncBuffer is a bytes.Buffer safe for a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
