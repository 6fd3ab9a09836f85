package pruntime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// TestWorkerAcksClusterKey: the commit that stores a cluster key carries
// its acknowledgement (issue 12 point 4), once.
func TestWorkerAcksClusterKey(t *testing.T) {
	t.Parallel()
	a, w := newTestNode(t), newTestNode(t)
	launch(t, a)
	ck := a.r.master.Get(0).ClusterKey(3)
	g := grant(w, 3, crypto.ClusterPublicKey(ck))
	a.mustApply(g)
	c := a.takeOne(protocol.TopicClusterKeyCopy)
	w.mustApply(g, relayed(a.id(), c))
	ack := w.takeOne(protocol.TopicClusterKeyAck)
	if !bytes.Equal(ack.Payload, protocol.ClusterKeyID{Cluster: 3, Version: 0}.Encode()) || !bytes.Equal(ack.Origin.ID, w.id()) {
		t.Fatalf("ack %s %x", ack.Origin, ack.Payload)
	}
	// The same copy again stores nothing and acknowledges nothing.
	w.mustApply(relayed(a.id(), c))
	if got := w.take(protocol.TopicClusterKeyAck); len(got) != 0 {
		t.Fatalf("%d acks of a key already held", len(got))
	}
}

// runUntil runs the gatekeeper's re-encryption until done holds.
func runUntil(t *testing.T, n *testNode, store statestore.Store, what string, done func() bool) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	finished := make(chan struct{})
	go func() { defer close(finished); n.r.RunReencryption(ctx, store) }()
	defer func() { stop(); <-finished }()
	deadline := time.Now().Add(20 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s: %+v", what, n.r.Info().Rotation)
		}
		n.r.reencWork.wakeReencrypt()
		time.Sleep(20 * time.Millisecond)
	}
}

func lastReport(t *testing.T, n *testNode, rng uint32) protocol.ReencryptProgress {
	t.Helper()
	var last *protocol.ReencryptProgress
	for _, m := range n.take(protocol.TopicReencryptProgress) {
		p, err := protocol.DecodeReencryptProgress(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if p.Range == rng {
			last = &p
		}
	}
	if last == nil {
		t.Fatalf("no report of range %d", rng)
	}
	return *last
}

// TestReencryptionSweepAndAdoptedRange: a sweep reopens a finished range
// and the report after it rests on a verify pass at or above the sweep
// height, catching a blob saved under the old version after the first
// pass; a range reassigned to this gatekeeper runs as a second job with its
// own journal; its own range reassigned away stops being worked on.
func TestReencryptionSweepAndAdoptedRange(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	a.r.cfg.ReencryptDelayBlocks = 0
	store, err := statestore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ck0 := a.r.master.Get(0).ClusterKey(2)
	put := func(name string) {
		blob, err := crypto.SealBlob(rand.Reader, ck0, crypto.BlobID{Cluster: 2, Version: 0, App: "demo", Name: name}, []byte(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(t.Context(), reencrypt.ObjectName(2, "demo", name), blob); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		put(fmt.Sprintf("obj-%03d", i))
	}
	rotate(t, nodes)
	// Two ranges: range 0 is this gatekeeper's, range 1 nobody's yet.
	task := ingressMsg(protocol.TopicClusterTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.ClusterKeyID{Cluster: 2, Version: 1}.Encode()}.Encode())
	a.mustApply(task, ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 2}.Encode()))
	a.mustApply(ingressMsg(protocol.TopicClusterKey, a.takeOne(protocol.TopicClusterKey).Payload))
	runUntil(t, a, store, "range 0 finished", func() bool { return a.r.Info().Rotation.Finished })
	first := lastReport(t, a, 0)

	// A lagging worker saves under v0 after that pass; then the sweep.
	var late string
	for i := 0; late == ""; i++ {
		name := fmt.Sprintf("late-%03d", i)
		if (reencrypt.Range{Index: 0, Count: 2}).Contains(reencrypt.ObjectName(2, "demo", name)) {
			late = name
		}
	}
	put(late)
	sweepAt := a.r.reencWork.syncedHeight()
	a.mustApply(ingressMsg(protocol.TopicReencryptSweep, protocol.ReencryptSweep{ToVersion: 1, SweepHeight: uint64(sweepAt)}.Encode()))
	if a.r.Info().Rotation.Finished {
		t.Fatal("the sweep did not reopen range 0")
	}
	runUntil(t, a, store, "range 0 finished again", func() bool { return a.r.Info().Rotation.Finished })
	again := lastReport(t, a, 0)
	if !again.Finished || again.VerifiedHeight < uint64(sweepAt) || again.Done != first.Done+1 {
		t.Fatalf("report after the sweep %+v (first %+v, sweep at %d)", again, first, sweepAt)
	}
	blob, err := store.Get(t.Context(), reencrypt.ObjectName(2, "demo", late))
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := crypto.BlobKeyVersion(blob); err != nil || v != 1 {
		t.Fatalf("late blob after the sweep: v%d, %v", v, err)
	}

	// Range 1 is reassigned to this gatekeeper: a second job, own journal.
	a.mustApply(ingressMsg(protocol.TopicReencryptReassigned, protocol.ReencryptReassigned{ToVersion: 1, Range: 1, Assignee: a.id(), Previous: bytes.Repeat([]byte{7}, 32)}.Encode()))
	runUntil(t, a, store, "adopted range 1 finished", func() bool {
		a.r.mu.Lock()
		defer a.r.mu.Unlock()
		rs := a.r.st.Rotation
		return rs != nil && len(rs.Adopted) == 1 && rs.Adopted[0].Finished
	})
	adopted := lastReport(t, a, 1)
	if !adopted.Finished || adopted.Done+again.Done != 31 {
		t.Fatalf("adopted range report %+v (range 0: %d done of 31 objects)", adopted, again.Done)
	}
	if _, err := os.Stat(filepath.Join(a.dir, ReencryptJournalFile+".1")); !os.IsNotExist(err) {
		t.Fatalf("adopted range's journal left: %v", err)
	}

	// Its own range goes to another gatekeeper after a sweep: no job.
	a.mustApply(ingressMsg(protocol.TopicReencryptSweep, protocol.ReencryptSweep{ToVersion: 1, SweepHeight: uint64(a.r.reencWork.syncedHeight())}.Encode()))
	a.mustApply(ingressMsg(protocol.TopicReencryptReassigned, protocol.ReencryptReassigned{ToVersion: 1, Range: 0, Assignee: bytes.Repeat([]byte{7}, 32), Previous: a.id()}.Encode()))
	a.mustApply(ingressMsg(protocol.TopicReencryptReassigned, protocol.ReencryptReassigned{ToVersion: 1, Range: 1, Assignee: bytes.Repeat([]byte{8}, 32), Previous: a.id()}.Encode()))
	if j, ok := a.r.reencWork.readyJob(); ok {
		t.Fatalf("job %s ready after both ranges went elsewhere", j.job)
	}
}
