package appapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// keyArrivesDuringPut is a store whose first Put lets a newer cluster key
// version arrive while the blob is being written, as a worker's ingress
// commit can between the app API choosing the key and the write landing.
type keyArrivesDuringPut struct {
	statestore.Store
	keys *fakeKeys
	next uint32
	puts int
}

func (s *keyArrivesDuringPut) Put(ctx context.Context, name string, data []byte) error {
	s.puts++
	if s.puts == 1 {
		s.keys.add(s.next)
	}
	return s.Store.Put(ctx, name, data)
}

// TestAppPutResavesUnderKeyThatArrived (issue 12 point 4): a blob whose
// write raced the arrival of a newer key version — whose acknowledgement
// may already be on its way to the chain, and the rotation's sweep with it
// — is saved again under the newer version before the PUT answers, so no
// blob of the retiring version appears after the acknowledgement.
func TestAppPutResavesUnderKeyThatArrived(t *testing.T) {
	t.Parallel()
	keys := newFakeKeys(7)
	keys.add(1)
	dir, err := statestore.OpenDir(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	store := &keyArrivesDuringPut{Store: dir, keys: keys, next: 2}
	h := appapi.New(keys, store, slog.New(slog.DiscardHandler)).Handler()
	e := &appEnv{keys: keys, h: h}
	if r := e.do(t, http.MethodPut, "/app/v1/state/app-1/doc", bytes.NewReader([]byte("hello"))); r.status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	if store.puts != 2 {
		t.Fatalf("%d writes, want the blob written again under the new version", store.puts)
	}
	blob, err := dir.Get(t.Context(), "cluster-7/app-1/doc")
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := crypto.BlobKeyVersion(blob); err != nil || v != 2 {
		t.Fatalf("stored blob under v%d, %v; want v2", v, err)
	}
	// Readable without the old version.
	keys.retire(1)
	r := e.do(t, http.MethodGet, "/app/v1/state/app-1/doc", nil)
	if got, _ := io.ReadAll(bytes.NewReader(r.body)); r.status != http.StatusOK || string(got) != "hello" {
		t.Fatalf("GET after v1 is gone: %d %q", r.status, r.body)
	}
}
