// Package statestoretest is the conformance suite of statestore.Store. Every
// backend (the local directory, S3-compatible object storage) runs it
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
// called; subtests run in parallel, each with its own store. The PutBatch
// tests go through statestore.PutBatch, so they test the store's own
// PutBatch if it is a statestore.BatchStore, and Put one object at a time
// otherwise.
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
		{"PutBatch", testPutBatch},
		{"PutBatchEmpty", testPutBatchEmpty},
		{"PutBatchRefusedWhole", testPutBatchRefusedWhole},
		{"PutBatchCancelled", testPutBatchCancelled},
		{"PutBatchNoAliasing", testPutBatchNoAliasing},
		{"PutBatchMany", testPutBatchMany},
		{"PutBatchConcurrent", testPutBatchConcurrent},
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

func putBatch(t *testing.T, s statestore.Store, objs ...statestore.Object) {
	t.Helper()
	if err := statestore.PutBatch(context.Background(), s, objs); err != nil {
		t.Fatalf("PutBatch of %d objects: %v", len(objs), err)
	}
}

func testPutBatch(t *testing.T, s statestore.Store) {
	put(t, s, "b/old", []byte("a longer old version"))
	put(t, s, "b/kept", []byte("not in the batch"))
	putBatch(t, s,
		statestore.Object{Name: "b/old", Data: []byte("new")},
		statestore.Object{Name: "b/x/y/z", Data: bytes.Repeat([]byte{7}, 5000)},
		statestore.Object{Name: "b/empty", Data: nil},
		statestore.Object{Name: "b/dup", Data: []byte("first")},
		statestore.Object{Name: "top", Data: []byte("top level")},
		statestore.Object{Name: "b/dup", Data: []byte("second")},
	)
	mustGet(t, s, "b/old", []byte("new"))
	mustGet(t, s, "b/x/y/z", bytes.Repeat([]byte{7}, 5000))
	mustGet(t, s, "b/empty", []byte{})
	mustGet(t, s, "b/dup", []byte("second")) // the later object of a name wins
	mustGet(t, s, "top", []byte("top level"))
	mustGet(t, s, "b/kept", []byte("not in the batch"))
	want := []string{"b/dup", "b/empty", "b/kept", "b/old", "b/x/y/z", "top"}
	if got := list(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("after the batch List = %q, want %q", got, want)
	}
}

func testPutBatchEmpty(t *testing.T, s statestore.Store) {
	putBatch(t, s)
	if got := list(t, s, ""); len(got) != 0 {
		t.Fatalf("an empty batch created objects: %q", got)
	}
}

// A batch holding one invalid name or oversized object writes nothing.
func testPutBatchRefusedWhole(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	put(t, s, "r/a", []byte("before"))
	good := []statestore.Object{{Name: "r/a", Data: []byte("after")}, {Name: "r/b", Data: []byte("new")}}
	tests := []struct {
		name string
		bad  statestore.Object
		want error
	}{
		{"invalid name", statestore.Object{Name: "r/../x", Data: []byte("x")}, statestore.ErrInvalidName},
		{"empty name", statestore.Object{Name: "", Data: []byte("x")}, statestore.ErrInvalidName},
		{"too large", statestore.Object{Name: "r/big", Data: make([]byte, statestore.MaxObjectSize+1)}, statestore.ErrTooLarge},
	}
	for _, tc := range tests {
		for _, at := range []int{0, len(good)} {
			objs := slices.Insert(slices.Clone(good), at, tc.bad)
			if err := statestore.PutBatch(ctx, s, objs); !errors.Is(err, tc.want) {
				t.Errorf("%s at %d: PutBatch = %v, want %v", tc.name, at, err, tc.want)
			}
		}
	}
	mustGet(t, s, "r/a", []byte("before"))
	if got := list(t, s, ""); !slices.Equal(got, []string{"r/a"}) {
		t.Fatalf("refused batches wrote objects: List = %q", got)
	}
}

func testPutBatchCancelled(t *testing.T, s statestore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := statestore.PutBatch(ctx, s, []statestore.Object{{Name: "c/1", Data: []byte("x")}, {Name: "c/2", Data: []byte("y")}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PutBatch with a cancelled context: %v, want context.Canceled", err)
	}
	if got := list(t, s, ""); len(got) != 0 {
		t.Fatalf("a cancelled batch wrote objects: %q", got)
	}
}

func testPutBatchNoAliasing(t *testing.T, s statestore.Store) {
	data := []byte("original")
	putBatch(t, s, statestore.Object{Name: "alias", Data: data})
	copy(data, "CHANGED!")
	mustGet(t, s, "alias", []byte("original"))
}

// More objects than a backend may hold open at once, over several
// directories.
func testPutBatchMany(t *testing.T, s statestore.Store) {
	const n = 600
	var objs []statestore.Object
	var want []string
	for i := range n {
		name := fmt.Sprintf("many/d%d/o%04d", i%7, i)
		objs = append(objs, statestore.Object{Name: name, Data: []byte(name)})
		want = append(want, name)
	}
	putBatch(t, s, objs...)
	slices.Sort(want)
	if got := list(t, s, "many/"); !slices.Equal(got, want) {
		t.Fatalf("List after a batch of %d: %d names", n, len(got))
	}
	for _, o := range objs[:50] {
		mustGet(t, s, o.Name, o.Data)
	}
}

// testPutBatchConcurrent: batches replace shared objects and create private
// ones under shared directories while other writers delete theirs and
// readers read; every read sees one complete written version.
func testPutBatchConcurrent(t *testing.T, s statestore.Store) {
	ctx := context.Background()
	const writers, rounds = 4, 15
	version := func(w, r int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("w%d-r%d;", w, r)), 100+w*30+r)
	}
	put(t, s, "cb/shared", version(0, 0))
	var wg sync.WaitGroup
	errc := make(chan error, 2*writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				own := fmt.Sprintf("cb/dir/w%d/r%d", w, r)
				err := statestore.PutBatch(ctx, s, []statestore.Object{
					{Name: "cb/shared", Data: version(w, r)},
					{Name: own, Data: version(w, r)},
					{Name: own + "/child", Data: version(w, r)},
				})
				if err != nil {
					errc <- err
					return
				}
				mustGetErr := func(name string) error {
					got, err := s.Get(ctx, name)
					if err != nil {
						return err
					}
					if !bytes.Equal(got, version(w, r)) {
						return fmt.Errorf("%s holds %d bytes, not what the batch wrote", name, len(got))
					}
					return nil
				}
				if err := mustGetErr(own + "/child"); err != nil {
					errc <- err
					return
				}
				for _, n := range []string{own, own + "/child"} {
					if err := s.Delete(ctx, n); err != nil {
						errc <- err
						return
					}
				}
			}
		})
		wg.Go(func() {
			for range rounds {
				got, err := s.Get(ctx, "cb/shared")
				if err != nil {
					errc <- err
					return
				}
				ok := false
				for w := range writers {
					for r := range rounds {
						ok = ok || bytes.Equal(got, version(w, r))
					}
				}
				if !ok {
					errc <- fmt.Errorf("read a torn object of %d bytes", len(got))
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
	if got := list(t, s, ""); !slices.Equal(got, []string{"cb/shared"}) {
		t.Fatalf("after the concurrent run List = %q, want only cb/shared", got)
	}
}
