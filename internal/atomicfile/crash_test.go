package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// errCrash is what a Hook returns to stop an operation as a crash would.
var errCrash = errors.New("simulated crash")

// stopAt returns options whose Hook records every step into trace and
// stops the operation at the n-th step (counted from 1; 0 never stops).
func stopAt(n int, trace *[]atomicfile.Step) atomicfile.Options {
	return atomicfile.Options{Hook: func(s atomicfile.Step) error {
		*trace = append(*trace, s)
		if len(*trace) == n {
			return errCrash
		}
		return nil
	}}
}

// readOr returns path's content, or "<none>" if it does not exist.
func readOr(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "<none>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// temps lists the files under root whose names mark them as temp files.
func temps(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, atomicfile.TempSuffix) {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// file is one target of an operation under test: its content before the
// operation and the content the operation writes.
type file struct{ name, old, new string }

// TestCrashAfterEveryStep stops each operation after each of its steps in
// turn, until it runs through. At every stop each target must hold its old
// content or its new one — the old one until the step that publishes it —
// and after the clean-up a restart does no temp file may be left. When the
// operation runs through, every target holds its new content.
func TestCrashAfterEveryStep(t *testing.T) {
	t.Parallel()
	// publishedBy reports whether, after trace, target i shows its new
	// content.
	type op struct {
		files []file
		run   func(dir string, files []file, opts atomicfile.Options) error
		// steps is the whole trace of a run that is not stopped.
		steps []atomicfile.Step
		// published reports whether a stop after trace has published file i.
		published func(trace []atomicfile.Step, i int) bool
	}
	renamesSeen := func(trace []atomicfile.Step, i int) bool {
		n := 0
		for _, s := range trace {
			if s == atomicfile.StepRename || s == atomicfile.StepLink {
				n++
			}
		}
		return n > i
	}
	const (
		create, write, sync, rename, link, rmTemp, syncDir = atomicfile.StepCreate, atomicfile.StepWrite, atomicfile.StepSync,
			atomicfile.StepRename, atomicfile.StepLink, atomicfile.StepRemoveTemp, atomicfile.StepSyncDir
	)
	tests := []struct {
		name string
		op
	}{
		{"write replaces", op{
			files: []file{{"f", "old content", "new"}},
			run: func(dir string, fs []file, opts atomicfile.Options) error {
				opts.Perm = 0o640
				return atomicfile.WriteWith(filepath.Join(dir, fs[0].name), []byte(fs[0].new), opts)
			},
			steps:     []atomicfile.Step{create, write, sync, rename, syncDir},
			published: renamesSeen,
		}},
		{"write creates", op{
			files: []file{{"f", "<none>", "new"}},
			run: func(dir string, fs []file, opts atomicfile.Options) error {
				return atomicfile.WriteWith(filepath.Join(dir, fs[0].name), []byte(fs[0].new), opts)
			},
			steps:     []atomicfile.Step{create, write, sync, rename, syncDir},
			published: renamesSeen,
		}},
		{"batch over two directories", op{
			files: []file{{"a/1", "a1 old", "a1 new"}, {"b/2", "<none>", "b2 new"}, {"a/3", "a3 old", "a3 new, longer"}},
			run: func(dir string, fs []file, opts atomicfile.Options) error {
				var ps []*atomicfile.Pending
				for _, f := range fs {
					p, err := atomicfile.Prepare(filepath.Join(dir, f.name), []byte(f.new), opts)
					if err != nil {
						return err
					}
					ps = append(ps, p)
				}
				return atomicfile.Commit(ps...)
			},
			// Every file durable before the first rename; each directory
			// synced once, after the last rename.
			steps: []atomicfile.Step{
				create, write, sync, create, write, sync, create, write, sync,
				rename, rename, rename, syncDir, syncDir,
			},
			published: renamesSeen,
		}},
		{"create", op{
			files: []file{{"key", "<none>", "secret"}},
			run: func(dir string, fs []file, opts atomicfile.Options) error {
				opts.TempPattern = "." + fs[0].name + ".tmp-*"
				return atomicfile.Create(filepath.Join(dir, fs[0].name), []byte(fs[0].new), opts)
			},
			steps:     []atomicfile.Step{create, write, sync, link, rmTemp, syncDir},
			published: renamesSeen,
		}},
		{"move aside", op{
			files: []file{{"cp", "bad", "<none>"}, {"cp.corrupt", "older bad", "bad"}},
			run: func(dir string, _ []file, opts atomicfile.Options) error {
				return atomicfile.MoveAside(filepath.Join(dir, "cp"), filepath.Join(dir, "cp.corrupt"), opts)
			},
			steps:     []atomicfile.Step{rename, syncDir},
			published: func(trace []atomicfile.Step, _ int) bool { return slices.Contains(trace, rename) },
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for n := 1; ; n++ {
				dir := t.TempDir()
				for _, f := range tc.files {
					p := filepath.Join(dir, f.name)
					if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
						t.Fatal(err)
					}
					if f.old != "<none>" {
						if err := os.WriteFile(p, []byte(f.old), 0o600); err != nil {
							t.Fatal(err)
						}
					}
				}
				var trace []atomicfile.Step
				err := tc.run(dir, tc.files, stopAt(n, &trace))
				if err == nil {
					if !slices.Equal(trace, tc.steps) {
						t.Fatalf("steps %v, want %v", trace, tc.steps)
					}
					if n != len(tc.steps)+1 {
						t.Fatalf("ran through when stopped at step %d of %d", n, len(tc.steps))
					}
				} else if !errors.Is(err, errCrash) {
					t.Fatalf("stopped at step %d: error %v, want the hook's", n, err)
				}
				for i, f := range tc.files {
					want := f.old
					if err == nil || tc.published(trace, i) {
						want = f.new
					}
					if got := readOr(t, filepath.Join(dir, f.name)); got != want {
						t.Fatalf("stopped after %v: %s holds %q, want %q", trace, f.name, got, want)
					}
				}
				// A restart's clean-up leaves nothing behind.
				for _, sub := range []string{dir, filepath.Join(dir, "a"), filepath.Join(dir, "b")} {
					if err := atomicfile.RemoveTemps(sub); err != nil {
						t.Fatal(err)
					}
				}
				if tc.name == "create" {
					if ts, _ := filepath.Glob(filepath.Join(dir, ".key.tmp-*")); len(ts) > 0 && err == nil {
						t.Fatalf("create left its temp file %v", ts)
					}
				} else if left := temps(t, dir); len(left) > 0 {
					t.Fatalf("after RemoveTemps: %v", left)
				}
				if err == nil {
					break
				}
			}
		})
	}
}
