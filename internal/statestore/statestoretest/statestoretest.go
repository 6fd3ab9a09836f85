// Package statestoretest is the conformance suite of statestore.Store. Every
// backend (the local directory, later S3-compatible object storage) runs it
// from its own tests:
//
//	func TestConformance(t *testing.T) {
//		statestoretest.Run(t, func(t *testing.T) statestore.Store { return newBackend(t) })
//	}
package statestoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// Run runs the suite. newStore must return an empty store each time it is
// called; subtests run in parallel, each with its own store.
func Run(t *testing.T, newStore func(t *testing.T) statestore.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s statestore.Store)
	}{
		{"GetMissing", testGetMissing},
		{"PutGet", testPutGet},
		{"Replace", testReplace},
		{"EmptyObject", testEmptyObject},
		{"NoAliasing", testNoAliasing},
		{"Delete", testDelete},
		{"NestedNamesCoexist", testNestedNamesCoexist},
		{"List", testList},
		{"InvalidNames", testInvalidNames},
		{"TooLarge", testTooLarge},
		{"MaxNameLen", testMaxNameLen},
		{"CancelledContext", testCancelledContext},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func put(t *testing.T, s statestore.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), name, data); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func mustGet(t *testing.T, s statestore.Store, name string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q, want %q", name, trunc(got), trunc(want))
	}
}

func list(t *testing.T, s statestore.Store, prefix string) []string {
	t.Helper()
	names, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return names
}

func trunc(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func testGetMissing(t *testing.T, s statestore.Store) {
	if _, err := s.Get(context.Background(), "no/such"); !errors.Is(err, statestore.ErrNotFound) {
		t.Fatalf("Get of a missing object: %v, want ErrNotFound", err)
	}
}

func testPutGet(t *testing.T, s statestore.Store) {
	objs := map[string][]byte{
		"a":                 []byte("top level"),
		"cluster-1/app/x":   []byte("nested"),
		"x/y/z/w/v":         bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000),
		"A.b_c-d/..e/.f/g.": []byte("dots and case"),
	}
	for name, data := range objs {
		put(t, s, name, data)
	}
	for name, data := range objs {
		mustGet(t, s, name, data)
	}
}

func testReplace(t *testing.T, s statestore.Store) {
	put(t, s, "r/obj", []byte("a much longer first version"))
	put(t, s, "r/obj", []byte("v2"))
	mustGet(t, s, "r/obj", []byte("v2"))
	if got := list(t, s, ""); !slices.Equal(got, []string{"r/obj"}) {
		t.Fatalf("after replace List = %q, want one object", got)
	}
}

func testEmptyObject(t *testing.T, s statestore.Store) {
	put(t, s, "empty", nil)
	mustGet(t, s, "empty", []byte{})
	if got := list(t, s, ""); !slices.Equal(got, []string{"empty"}) {
		t.Fatalf("List = %q, want the empty object", got)
	}
}

// A store must copy: neither the caller's buffer after Put nor the slice Get
// returned may alias what is stored.
func testNoAliasing(t *testing.T, s statestore.Store) {
	data := []byte("original")
	put(t, s, "alias", data)
	copy(data, "CHANGED!")
	got, err := s.Get(context.Background(), "alias")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "original" {
		t.Fatalf("Put kept the caller's buffer: got %q", got)
	}
	copy(got, "CHANGED!")
	mustGet(t, s, "alias", []byte("original"))
}

func testDelete(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	put(t, s, "d/1", []byte("one"))
	put(t, s, "d/2", []byte("two"))
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "d/1"); !errors.Is(err, statestore.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "d/1"); !errors.Is(err, statestore.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "never/existed"); !errors.Is(err, statestore.ErrNotFound) {
		t.Fatalf("Delete of a missing object: %v, want ErrNotFound", err)
	}
	mustGet(t, s, "d/2", []byte("two"))
	if err := s.Delete(ctx, "d/2"); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, ""); len(got) != 0 {
		t.Fatalf("List after deleting everything = %q", got)
	}
	// A name whose "directory" was emptied can be written again.
	put(t, s, "d/3", []byte("three"))
	mustGet(t, s, "d/3", []byte("three"))
}

// As in object storage, "a" and "a/b" are independent objects.
func testNestedNamesCoexist(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	put(t, s, "a/b", []byte("child"))
	put(t, s, "a", []byte("parent"))
	put(t, s, "a/b/c", []byte("grandchild"))
	mustGet(t, s, "a", []byte("parent"))
	mustGet(t, s, "a/b", []byte("child"))
	mustGet(t, s, "a/b/c", []byte("grandchild"))
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "a", []byte("parent"))
	mustGet(t, s, "a/b/c", []byte("grandchild"))
	if got, want := list(t, s, ""), []string{"a", "a/b/c"}; !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func testList(t *testing.T, s statestore.Store) {
	names := []string{"b", "a/x", "a", "ab", "a-", "a/y/z", "c/d", "a.b", "B", "a/y0"}
	for _, n := range names {
		put(t, s, n, []byte(n))
	}
	all := slices.Clone(names)
	slices.Sort(all)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"a", []string{"a", "a-", "a.b", "a/x", "a/y/z", "a/y0", "ab"}},
		{"a/", []string{"a/x", "a/y/z", "a/y0"}},
		{"a/y", []string{"a/y/z", "a/y0"}},
		{"a/y/", []string{"a/y/z"}},
		{"a/y/z", []string{"a/y/z"}},
		{"a/y/z/", nil},
		{"c/d", []string{"c/d"}},
		{"B", []string{"B"}},
		{"zzz", nil},
		{"nope/", nil},
		{"../", nil},
		{"a/../", nil},
		{"/", nil},
		{"a//", nil},
		{"~", nil},
		{"a\x00", nil},
	}
	for _, tc := range tests {
		got := list(t, s, tc.prefix)
		if got == nil && tc.want != nil {
			t.Errorf("List(%q) = nil", tc.prefix)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

// InvalidNames are names every backend must refuse; exported so backends and
// fuzz tests can reuse them.
var InvalidNames = []string{
	"", "/", "/a", "a/", "a//b", ".", "..", "a/.", "a/..", "../a", "a/../b", "./a",
	"a b", "a\\b", "a:b", "a\x00b", "é", "a~obj", "a*", "a?", "%2e%2e", "a\nb",
	strings.Repeat("x", statestore.MaxSegmentLen+1),
	strings.Repeat("x/", statestore.MaxNameLen/2) + "x", // MaxNameLen+1 bytes
}

func testInvalidNames(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	for _, name := range InvalidNames {
		if err := statestore.ValidateName(name); !errors.Is(err, statestore.ErrInvalidName) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", name, err)
		}
		if err := s.Put(ctx, name, []byte("x")); !errors.Is(err, statestore.ErrInvalidName) {
			t.Errorf("Put(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := s.Get(ctx, name); !errors.Is(err, statestore.ErrInvalidName) {
			t.Errorf("Get(%q) = %v, want ErrInvalidName", name, err)
		}
		if err := s.Delete(ctx, name); !errors.Is(err, statestore.ErrInvalidName) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	if got := list(t, s, ""); len(got) != 0 {
		t.Fatalf("invalid names created objects: %q", got)
	}
}

func testTooLarge(t *testing.T, s statestore.Store) {
	big := make([]byte, statestore.MaxObjectSize+1)
	if err := s.Put(context.Background(), "big", big); !errors.Is(err, statestore.ErrTooLarge) {
		t.Fatalf("Put of MaxObjectSize+1 bytes: %v, want ErrTooLarge", err)
	}
	if testing.Short() {
		t.Skip("skipping the MaxObjectSize write in -short mode")
	}
	big = big[:statestore.MaxObjectSize]
	big[0], big[len(big)-1] = 1, 2
	put(t, s, "big", big)
	mustGet(t, s, "big", big)
}

func testMaxNameLen(t *testing.T, s statestore.Store) {
	seg := strings.Repeat("n", statestore.MaxSegmentLen)
	name := seg + "/" + seg + "/" // 402 bytes
	name += strings.Repeat("m", statestore.MaxNameLen-len(name))
	if err := statestore.ValidateName(name); err != nil {
		t.Fatalf("test name invalid: %v", err)
	}
	put(t, s, name, []byte("long"))
	mustGet(t, s, name, []byte("long"))
	if got := list(t, s, seg+"/"); !slices.Equal(got, []string{name}) {
		t.Fatalf("List = %q", got)
	}
}

func testCancelledContext(t *testing.T, s statestore.Store) {
	put(t, s, "c", []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, "c2", []byte("y")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put: %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, "c"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, "c"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete: %v, want context.Canceled", err)
	}
	if _, err := s.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("List: %v, want context.Canceled", err)
	}
	mustGet(t, s, "c", []byte("x"))
	if _, err := s.Get(context.Background(), "c2"); !errors.Is(err, statestore.ErrNotFound) {
		t.Errorf("cancelled Put stored an object: %v", err)
	}
}

// testConcurrent: writers replace shared objects and create and delete
// private ones under shared directories while readers read; every read must
// see one complete written version.
func testConcurrent(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	const writers, rounds = 4, 25
	version := func(w, r int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("w%d-r%d;", w, r)), 200+w*50+r)
	}
	valid := func(b []byte) bool {
		for w := range writers {
			for r := range rounds {
				if bytes.Equal(b, version(w, r)) {
					return true
				}
			}
		}
		return false
	}
	put(t, s, "shared/obj", version(0, 0))
	var wg sync.WaitGroup
	errc := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				if err := s.Put(ctx, "shared/obj", version(w, r)); err != nil {
					errc <- err
					return
				}
				own := fmt.Sprintf("shared/dir/w%d/r%d", w, r)
				if err := s.Put(ctx, own, version(w, r)); err != nil {
					errc <- err
					return
				}
				if err := s.Delete(ctx, own); err != nil {
					errc <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range rounds {
				got, err := s.Get(ctx, "shared/obj")
				if err != nil {
					errc <- err
					return
				}
				if !valid(got) {
					errc <- fmt.Errorf("read a torn object of %d bytes", len(got))
					return
				}
				if _, err := s.List(ctx, "shared/"); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if got := list(t, s, ""); !slices.Equal(got, []string{"shared/obj"}) {
		t.Fatalf("after the concurrent run List = %q, want only shared/obj", got)
	}
}
