package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, content := range []string{"first", "second, longer", "3"} {
		if err := atomicfile.Write(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries, want only the file", len(entries))
	}
}

func TestRemoveTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep")
	stray := filepath.Join(dir, "keep.123"+atomicfile.TempSuffix)
	for _, p := range []string{keep, stray} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := atomicfile.RemoveTemps(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Fatalf("stray temp still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal(err)
	}
}

func TestWriteMissingDirFails(t *testing.T) {
	t.Parallel()
	if err := atomicfile.Write(filepath.Join(t.TempDir(), "no", "such", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string // "" for none
		wantErr  error
		want     string
	}{
		{"new file", "", nil, "new"},
		{"never replaces", "theirs", fs.ErrExist, "theirs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "key")
			if tc.existing != "" {
				if err := os.WriteFile(p, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := atomicfile.Create(p, []byte("new"), atomicfile.Options{TempPattern: ".key.tmp-*"})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Create: %v, want %v", err, tc.wantErr)
			}
			if got, err := os.ReadFile(p); err != nil || string(got) != tc.want {
				t.Fatalf("read %q, %v; want %q", got, err, tc.want)
			}
			if st, err := os.Stat(p); err != nil || st.Mode().Perm() != atomicfile.DefaultPerm {
				t.Fatalf("mode %v, %v", st.Mode(), err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Fatalf("dir holds %d entries, want only the file", len(entries))
			}
		})
	}
}

func TestCommitFailureDiscardsTheRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var ps []*atomicfile.Pending
	for _, name := range []string{"a", "blocked", "c"} {
		p, err := atomicfile.Prepare(filepath.Join(dir, name), []byte("new "+name), atomicfile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	// rename(2) cannot replace a non-empty directory.
	if err := os.MkdirAll(filepath.Join(dir, "blocked", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Commit(ps...); err == nil {
		t.Fatal("Commit over a non-empty directory succeeded")
	}
	if got, err := os.ReadFile(filepath.Join(dir, "a")); err != nil || string(got) != "new a" {
		t.Fatalf("a: %q, %v; want the committed content", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("c published after an earlier rename failed: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*"+atomicfile.TempSuffix)); len(m) != 0 {
		t.Fatalf("temp files left: %v", m)
	}
	if err := atomicfile.Commit(ps[2]); err == nil {
		t.Fatal("Commit of a discarded Pending succeeded")
	}
}

func TestMoveAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name      string
		from, to  string
		wantErrIs error
	}{
		{"missing file", filepath.Join(dir, "missing"), filepath.Join(dir, "missing.corrupt"), fs.ErrNotExist},
		{"another directory", filepath.Join(dir, "f"), filepath.Join(dir, "sub", "f"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := atomicfile.MoveAside(tc.from, tc.to, atomicfile.Options{})
			if err == nil || (tc.wantErrIs != nil && !errors.Is(err, tc.wantErrIs)) {
				t.Fatalf("MoveAside: %v, want an error wrapping %v", err, tc.wantErrIs)
			}
		})
	}
}

func TestPrepareMissingDirFails(t *testing.T) {
	t.Parallel()
	if _, err := atomicfile.Prepare(filepath.Join(t.TempDir(), "no", "f"), []byte("x"), atomicfile.Options{}); err == nil {
		t.Fatal("Prepare into a missing directory succeeded")
	}
}
