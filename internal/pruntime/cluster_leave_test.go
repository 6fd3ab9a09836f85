package pruntime

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// TestRemovedMemberBlobsStayWithTheCluster holds what docs/gatekeepers.md
// says happens to the state of a worker that leaves its cluster: two
// members share a state store; the one that leaves
// (registry/cluster_member_removed) can no longer read the blob it wrote,
// the blob stays in the store under the cluster's name, and the remaining
// member reads it unchanged.
func TestRemovedMemberBlobsStayWithTheCluster(t *testing.T) {
	t.Parallel()
	a, leaver, stayer := newTestNode(t), newTestNode(t), newTestNode(t)
	launch(t, a)
	pub := crypto.ClusterPublicKey(a.r.master.Get(0).ClusterKey(3))
	for _, w := range []*testNode{leaver, stayer} {
		g := grant(w, 3, pub)
		a.mustApply(g)
		w.mustApply(g, relayed(a.id(), a.takeOne(protocol.TopicClusterKeyCopy)))
	}
	store, err := statestore.OpenDir(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	do := func(h http.Handler, method string, body []byte) (int, []byte) {
		t.Helper()
		req := httptest.NewRequest(method, "/app/v1/state/demo/notes", bytes.NewReader(body))
		req.Host = "127.0.0.1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, err := io.ReadAll(rec.Result().Body)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Code, b
	}
	leaverAPI := appapi.New(leaver.r.ClusterKeys(), store, nil).Handler()
	stayerAPI := appapi.New(stayer.r.ClusterKeys(), store, nil).Handler()
	data := []byte("written by the member that leaves")
	if code, b := do(leaverAPI, http.MethodPut, data); code != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", code, b)
	}

	leaver.mustApply(ingressMsg(protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 3, Worker: leaver.id()}.Encode()))
	if code, b := do(leaverAPI, http.MethodGet, nil); code == http.StatusOK {
		t.Fatalf("the removed member still reads the blob: %q", b)
	}
	if names, err := store.List(context.Background(), "cluster-3/"); err != nil || !slices.Equal(names, []string{"cluster-3/demo/notes"}) {
		t.Fatalf("store holds %q, %v; want the blob kept under the cluster", names, err)
	}
	if code, b := do(stayerAPI, http.MethodGet, nil); code != http.StatusOK || !bytes.Equal(b, data) {
		t.Fatalf("the remaining member reads %d %q, want %q", code, b, data)
	}
}
