package statestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
