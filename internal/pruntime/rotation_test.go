package pruntime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// gatekeeperSet launches the first of n nodes and joins the others; it
// returns them in identity key order (the snapshot's order) and v0's key.
func gatekeeperSet(t *testing.T, n int) ([]*testNode, []byte) {
	t.Helper()
	nodes := make([]*testNode, n)
	for i := range nodes {
		nodes[i] = newTestNode(t)
	}
	pub := launch(t, nodes[0])
	for i := 1; i < n; i++ {
		join(t, nodes[i], pub, nodes[0])
		nodes[i].takeOne(protocol.TopicGatekeeperLive)
	}
	slices.SortFunc(nodes, func(a, b *testNode) int { return bytes.Compare(a.id(), b.id()) })
	return nodes, pub
}

func rotationStart(from uint32, nodes ...*testNode) protocol.Message {
	p := protocol.RotationStart{From: from, To: from + 1}
	for _, n := range nodes {
		p.Gatekeepers = append(p.Gatekeepers, protocol.RotationMember{Identity: n.id(), ReceiveKey: n.receiveKey()})
	}
	return ingressMsg(protocol.TopicRotationStart, p.Encode())
}

// applyAll applies the same chain messages to every node.
func applyAll(t *testing.T, nodes []*testNode, msgs ...protocol.Message) {
	t.Helper()
	for _, n := range nodes {
		n.mustApply(msgs...)
	}
}

// proposed turns a node's proposal egress into the chain's ingress.
func proposed(t *testing.T, proposer *testNode, m protocol.Message) (protocol.Message, protocol.RotationProposal) {
	t.Helper()
	p, err := protocol.DecodeRotationProposal(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return ingressMsg(protocol.TopicRotationProposed, protocol.RotationProposed{Proposer: proposer.id(), RotationProposal: p}.Encode()), p
}

// rotate runs a rotation from v0 to v1 over nodes up to activation and
// returns the activated public key.
func rotate(t *testing.T, nodes []*testNode) []byte {
	t.Helper()
	applyAll(t, nodes, rotationStart(0, nodes...))
	m := nodes[0].takeOne(protocol.TopicRotationProposal)
	for _, n := range nodes[1:] {
		if len(n.take(protocol.TopicRotationProposal)) != 0 {
			t.Fatal("a gatekeeper proposed out of turn")
		}
	}
	in, p := proposed(t, nodes[0], m)
	applyAll(t, nodes, in)
	for _, n := range nodes {
		ack := n.takeOne(protocol.TopicRotationAck)
		if v, _ := protocol.DecodeU32("to", ack.Payload); v != 1 {
			t.Fatalf("ack of version %d", v)
		}
	}
	applyAll(t, nodes, ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode()))
	return p.PublicKey
}

func TestRotationProposeAcceptAck(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	applyAll(t, nodes, rotationStart(0, nodes...))
	m := nodes[0].takeOne(protocol.TopicRotationProposal)
	// Sealed before announced: the proposer's history holds v1 already.
	h, err := state.LoadMasterHistory(nodes[0].dir, nodes[0].r.tee)
	if err != nil || h.Get(1) == nil {
		t.Fatalf("proposal left before v1 was sealed: %v", err)
	}
	in, p := proposed(t, nodes[0], m)
	if !bytes.Equal(h.Get(1).PublicKey(), p.PublicKey) || len(p.Copies) != 3 {
		t.Fatalf("proposal: %d copies, key matches sealed: %v", len(p.Copies), bytes.Equal(h.Get(1).PublicKey(), p.PublicKey))
	}
	applyAll(t, nodes, in)
	for _, n := range nodes {
		n.takeOne(protocol.TopicRotationAck)
		h, err := state.LoadMasterHistory(n.dir, n.r.tee)
		if err != nil || h.Get(1) == nil || !bytes.Equal(h.Get(1).PublicKey(), p.PublicKey) {
			t.Fatalf("acknowledged without v1 sealed: %v", err)
		}
		if info := n.r.Info(); info.Rotation == nil || info.Rotation.Phase != "acking" || !info.Rotation.Acked {
			t.Fatalf("info %+v", info.Rotation)
		}
	}
	// Until activation, outputs use v0; after it, v1, identically everywhere.
	beacon := func(seq, h uint64) protocol.Message {
		return ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: seq, Body: protocol.EncodeU64(h)}.Encode())
	}
	applyAll(t, nodes, beacon(0, 10))
	applyAll(t, nodes, ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode()),
		ingressMsg(protocol.TopicClusterTask, protocol.GatekeeperTask{Seq: 1, Body: protocol.ClusterKeyID{Cluster: 4, Version: 1}.Encode()}.Encode()),
		beacon(2, 20))
	for _, topic := range []string{protocol.TopicBeacon, protocol.TopicClusterKey} {
		var first [][]byte
		for i, n := range nodes {
			var enc [][]byte
			for _, m := range n.take(topic) {
				e, _ := m.Encode()
				enc = append(enc, e)
			}
			if i == 0 {
				first = enc
			} else if !slices.EqualFunc(first, enc, bytes.Equal) {
				t.Fatalf("%s: gatekeepers disagree", topic)
			}
		}
	}
	for _, n := range nodes {
		if info := n.r.Info(); info.Role != api.RoleActive || info.MasterVersions != 2 {
			t.Fatalf("after activation: %+v", info)
		}
	}
}

func TestRotationNextProposerAfterTimeout(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	for _, n := range nodes {
		n.r.cfg.RotationProposeBlocks = 5
	}
	// The first gatekeeper is down: only the second sees the start.
	b := nodes[1]
	b.mustApply(rotationStart(0, nodes...))
	if len(b.take(protocol.TopicRotationProposal)) != 0 {
		t.Fatal("second proposed before its turn")
	}
	b.r.mu.Lock()
	due := b.r.rotation.ProposalDue(&b.r.st, 4)
	due5 := b.r.rotation.ProposalDue(&b.r.st, 5)
	b.r.mu.Unlock()
	if due || !due5 {
		t.Fatalf("second's turn: due at 4 %v, at 5 %v", due, due5)
	}
}

func TestRotationBadCopyReportedThenRejected(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	applyAll(t, nodes, rotationStart(0, nodes...))
	m := nodes[0].takeOne(protocol.TopicRotationProposal)
	_, p := proposed(t, nodes[0], m)
	// Copy 1 opens to another key than the proposal's.
	wrong, _ := crypto.GenerateMasterKey(rand.Reader, 1)
	plain, _ := crypto.EncodeSecrets([]*crypto.MasterKey{wrong})
	rk := nodes[1].receiveKey()
	p.Copies[1], _ = crypto.SealTo(rk, crypto.Info{Context: protocol.ContextMasterKeyTransfer, ChainID: nodes[1].r.id.ChainID,
		Recipient: rk, What: protocol.MasterKeyCopyWhat(1, 1)}, plain)
	// Copy 2 is tampered with.
	p.Copies[2] = bytes.Clone(p.Copies[2])
	p.Copies[2][len(p.Copies[2])-1] ^= 1
	applyAll(t, nodes, ingressMsg(protocol.TopicRotationProposed, protocol.RotationProposed{Proposer: nodes[0].id(), RotationProposal: p}.Encode()))
	for _, n := range nodes[1:] {
		if len(n.take(protocol.TopicRotationAck)) != 0 || n.r.master.Get(1) != nil {
			t.Fatal("acknowledged or kept a bad copy")
		}
		f, err := protocol.DecodeKeyFault(n.takeOne(protocol.TopicKeyFault).Payload)
		if err != nil || !bytes.Equal(f.Sender, nodes[0].id()) || f.Version != 1 || f.Kind != protocol.FaultMasterKeyCopy {
			t.Fatalf("fault %+v: %v", f, err)
		}
	}
	nodes[0].takeOne(protocol.TopicRotationAck)

	// The chain drops the proposal: the proposer forgets its v1, and the
	// next gatekeeper in order proposes a new one.
	applyAll(t, nodes, ingressMsg(protocol.TopicRotationProposalRejected, protocol.RotationRejected{ToVersion: 1, Proposer: nodes[0].id()}.Encode()))
	h, _ := state.LoadMasterHistory(nodes[0].dir, nodes[0].r.tee)
	if h.Get(1) != nil || nodes[0].r.master.Get(1) != nil {
		t.Fatal("rejected proposal's key still sealed")
	}
	if len(nodes[0].take(protocol.TopicRotationProposal)) != 0 || len(nodes[2].take(protocol.TopicRotationProposal)) != 0 {
		t.Fatal("barred or later proposer proposed")
	}
	m2 := nodes[1].takeOne(protocol.TopicRotationProposal)
	p2, _ := protocol.DecodeRotationProposal(m2.Payload)
	if bytes.Equal(p2.PublicKey, p.PublicKey) {
		t.Fatal("new proposal reuses the rejected key")
	}
	in2, _ := proposed(t, nodes[1], m2)
	applyAll(t, nodes, in2)
	for _, n := range nodes {
		n.takeOne(protocol.TopicRotationAck)
	}
}

// A crash after the history with v+1 was sealed and before the state that
// proposes (or acknowledges) it was committed loses nothing and proposes
// the same key again.
func TestRotationCrashBetweenSealAndCommit(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	a := nodes[0]
	start := rotationStart(0, nodes...)
	// What SyncIngress does, up to the seal, then "power off".
	a.r.mu.Lock()
	tx := &state.Tx{Next: a.r.st.Clone(), Master: a.r.master.Clone()}
	if _, err := a.r.dispatch.handleIngress(tx, start); err != nil {
		t.Fatal(err)
	}
	if err := a.r.rotation.MaybePropose(tx); err != nil {
		t.Fatal(err)
	}
	if err := state.SaveMasterHistory(a.dir, a.r.tee, &tx.Master); err != nil {
		t.Fatal(err)
	}
	sealed := tx.Master.Get(1).PublicKey()
	a.r.mu.Unlock()

	a.open()
	if a.r.Info().Role != api.RoleActive || a.r.st.Rotation != nil {
		t.Fatal("restart after the seal: not active, or the uncommitted rotation survived")
	}
	a.mustApply(start)
	_, p := proposed(t, a, a.takeOne(protocol.TopicRotationProposal))
	if !bytes.Equal(p.PublicKey, sealed) {
		t.Fatal("proposed another key after the crash")
	}

	// The same for the acknowledgement of a receiver.
	b := nodes[1]
	b.mustApply(start)
	in, _ := proposed(t, a, protocol.Message{Payload: p.Encode()})
	b.r.mu.Lock()
	tx = &state.Tx{Next: b.r.st.Clone(), Master: b.r.master.Clone()}
	if _, err := b.r.dispatch.handleIngress(tx, in); err != nil {
		t.Fatal(err)
	}
	if err := state.SaveMasterHistory(b.dir, b.r.tee, &tx.Master); err != nil {
		t.Fatal(err)
	}
	b.r.mu.Unlock()
	b.open()
	b.mustApply(in)
	b.takeOne(protocol.TopicRotationAck)
	if k := b.r.master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), sealed) {
		t.Fatal("receiver lost v1 over the crash")
	}
}

func TestRotationEraseLeavesNoRetiredKey(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	w := newTestNode(t)
	// w is a worker of cluster 5 and holds its v0 key.
	g0 := grant(w, 5, crypto.ClusterPublicKey(nodes[0].r.master.Get(0).ClusterKey(5)))
	nodes[0].mustApply(g0)
	w.mustApply(g0, relayed(nodes[0].id(), nodes[0].takeOne(protocol.TopicClusterKeyCopy)))
	v0Master := nodes[0].r.master.Get(0).Secret()
	v0Cluster := nodes[0].r.master.Get(0).ClusterKey(5)

	pub1 := rotate(t, nodes)
	w.mustApply(ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 0, PublicKey: nodes[0].r.st.MasterPubKeys[0]}.Encode()),
		rotationStart(0, nodes...), ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: pub1}.Encode()))
	ck1 := nodes[0].r.master.Get(1).ClusterKey(5)
	g1 := ingressMsg(protocol.TopicClusterGrant, protocol.ClusterGrant{ClusterKeyID: protocol.ClusterKeyID{Cluster: 5, Version: 1},
		PublicKey: crypto.ClusterPublicKey(ck1), Worker: w.id(), ReceiveKey: w.receiveKey()}.Encode())
	nodes[0].mustApply(g1)
	w.mustApply(g1, relayed(nodes[0].id(), nodes[0].takeOne(protocol.TopicClusterKeyCopy)))
	if _, v, _, ok := w.r.ClusterKeys().CurrentClusterKey(); !ok || v != 1 {
		t.Fatalf("worker's current cluster key version %d", v)
	}
	// Make several checkpoints hold v0 on the worker.
	for range 3 {
		if err := w.r.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}

	all := append(slices.Clone(nodes), w)
	// The chain starts re-encryption on activation, before it retires v0.
	applyAll(t, all, ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: uint32(len(nodes))}.Encode()))
	applyAll(t, all, ingressMsg(protocol.TopicMasterKeyRetired, protocol.MasterKeyRetired{Version: 0, EraseHeight: 30}.Encode()))
	if info := nodes[0].r.Info(); info.Rotation == nil || info.Rotation.Phase != "retiring" {
		t.Fatalf("info %+v", info.Rotation)
	}
	applyAll(t, all, ingressMsg(protocol.TopicMasterKeyErase, protocol.EncodeU32(0)))

	for _, n := range all {
		// The sealed master key history holds no v0.
		h, err := state.LoadMasterHistory(n.dir, n.r.tee)
		if err != nil {
			t.Fatal(err)
		}
		if h.Get(0) != nil {
			t.Fatal("v0 still in the sealed history")
		}
		// No checkpoint on disk holds v0's cluster key.
		ckpt, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(n.dir, "checkpoints"), Keep: 3}, n.r.tee)
		if err != nil {
			t.Fatal(err)
		}
		heights, err := ckpt.List()
		if err != nil || len(heights) != 1 {
			t.Fatalf("%d checkpoints left after the erasure (%v), want only the newest", len(heights), err)
		}
		cp, _, err := ckpt.Latest()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(cp.Payload, []byte(base64.StdEncoding.EncodeToString(v0Cluster[:]))) ||
			bytes.Contains(cp.Payload, []byte(base64.StdEncoding.EncodeToString(v0Master))) {
			t.Fatal("the checkpoint holds a retired key")
		}
		if n.r.st.Rotation != nil || n.r.Info().MasterErasedBelow != 1 {
			t.Fatal("rotation not ended by the erasure")
		}
	}
	for _, n := range nodes {
		if info := n.r.Info(); info.Role != api.RoleActive {
			t.Fatal("gatekeeper not live after the erasure")
		}
		// A restart keeps it live with only v1.
		n.open()
		if n.r.Info().Role != api.RoleActive || n.r.master.Get(1) == nil {
			t.Fatal("not live with v1 after a restart")
		}
	}
	if _, ok := w.r.ClusterKeys().ClusterKeyVersion(5, 0); ok {
		t.Fatal("worker kept cluster key v0")
	}

	// A gatekeeper joining now gets the history from v1 on.
	d := newTestNode(t)
	applyAll(t, []*testNode{d}, ingressMsg(protocol.TopicMasterKeyErase, protocol.EncodeU32(0)))
	d.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, d.id()),
		ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 0, PublicKey: nodes[0].r.st.MasterPubKeys[0]}.Encode()),
		ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: pub1}.Encode()))
	deliverHistory(t, d, nodes[0])
	if d.r.Info().Role != api.RoleActive || d.r.master.Get(0) != nil || d.r.master.Get(1) == nil {
		t.Fatal("joiner after the erasure is not live with v1 only")
	}
}

// A crash after the history was rewritten without v0 and before the state
// was committed: the restart is live, and the erasure applies again.
func TestRotationCrashDuringErase(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	rotate(t, nodes)
	erase := ingressMsg(protocol.TopicMasterKeyErase, protocol.EncodeU32(0))
	a.r.mu.Lock()
	tx := &state.Tx{Next: a.r.st.Clone(), Master: a.r.master.Clone()}
	if _, err := a.r.dispatch.handleIngress(tx, erase); err != nil {
		t.Fatal(err)
	}
	if err := state.SaveMasterHistory(a.dir, a.r.tee, &tx.Master); err != nil {
		t.Fatal(err)
	}
	a.r.mu.Unlock()
	a.open()
	if a.r.Info().Role != api.RoleActive {
		t.Fatal("not live after a crash between the erasure's seal and commit")
	}
	a.mustApply(erase)
	if a.r.master.Get(0) != nil || a.r.Info().MasterErasedBelow != 1 {
		t.Fatal("erasure not applied after the restart")
	}
}

func TestReencryptionReportsProgress(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	a.r.cfg.ReencryptDelayBlocks = 0
	store, err := statestore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ck0 := a.r.master.Get(0).ClusterKey(2)
	const n = 40
	want := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("obj-%03d", i)
		pt := []byte(strings.Repeat(name, i+1))
		blob, err := crypto.SealBlob(rand.Reader, ck0, crypto.BlobID{Cluster: 2, Version: 0, App: "demo", Name: name}, pt)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Put(ctx, reencrypt.ObjectName(2, "demo", name), blob); err != nil {
			t.Fatal(err)
		}
		want[name] = pt
	}
	pub1 := rotate(t, nodes)
	task := ingressMsg(protocol.TopicClusterTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.ClusterKeyID{Cluster: 2, Version: 1}.Encode()}.Encode())
	a.mustApply(task, ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 1}.Encode()))
	if _, ok := a.r.reencWork.readyJob(); ok {
		t.Fatal("job ready before the new cluster key is on chain")
	}
	ckPub := a.takeOne(protocol.TopicClusterKey)
	a.mustApply(ingressMsg(protocol.TopicClusterKey, ckPub.Payload))

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.r.RunReencryption(runCtx, store) }()
	deadline := time.Now().Add(20 * time.Second)
	for a.r.Info().Rotation == nil || !a.r.Info().Rotation.Finished {
		if time.Now().After(deadline) {
			t.Fatalf("re-encryption did not finish: %+v", a.r.Info().Rotation)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	reps := a.take(protocol.TopicReencryptProgress)
	if len(reps) == 0 {
		t.Fatal("no progress reported")
	}
	last, err := protocol.DecodeReencryptProgress(reps[len(reps)-1].Payload)
	if err != nil || !last.Finished || last.Done != n || last.Total != n || last.Failed != 0 || last.ToVersion != 1 {
		t.Fatalf("last report %+v: %v", last, err)
	}
	ck1 := a.r.master.Get(1).ClusterKey(2)
	for name, pt := range want {
		blob, err := store.Get(ctx, reencrypt.ObjectName(2, "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := crypto.OpenBlob(ck1, crypto.BlobID{Cluster: 2, Version: 1, App: "demo", Name: name}, blob)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: not readable under v1 with its content: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(a.dir, ReencryptJournalFile)); !os.IsNotExist(err) {
		t.Fatalf("journal left after the range finished: %v", err)
	}
	_ = pub1
}

func TestReencryptionReportsFailedObjects(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	a.r.cfg.ReencryptDelayBlocks = 0
	store, err := statestore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ck0 := a.r.master.Get(0).ClusterKey(2)
	for i := range 5 {
		name := fmt.Sprintf("obj-%d", i)
		blob, _ := crypto.SealBlob(rand.Reader, ck0, crypto.BlobID{Cluster: 2, Version: 0, App: "demo", Name: name}, []byte(name))
		if i == 3 {
			blob[len(blob)-1] ^= 1 // corrupted
		}
		if err := store.Put(ctx, reencrypt.ObjectName(2, "demo", name), blob); err != nil {
			t.Fatal(err)
		}
	}
	rotate(t, nodes)
	a.mustApply(ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 1}.Encode()))
	j, ok := a.r.reencWork.readyJob()
	if !ok {
		t.Fatal("job not ready")
	}
	if a.r.reencWork.runReencryptJob(ctx, store, j) {
		t.Fatal("a job with a failed object asks to run again at once")
	}
	rep, err := protocol.DecodeReencryptProgress(a.takeOne(protocol.TopicReencryptProgress).Payload)
	if err != nil || rep.Finished || rep.Failed != 1 || rep.Done != 4 || rep.Total != 5 ||
		!slices.Equal(rep.FailedNames, []string{"cluster-2/demo/obj-3"}) {
		t.Fatalf("report %+v: %v", rep, err)
	}
	if info := a.r.Info().Rotation; info.Finished || info.Failed != 1 {
		t.Fatalf("info %+v", info)
	}
}

// A gatekeeper that was offline during the rotation replays it from
// ingress when it returns: it seals v1 and acknowledges after the
// activation, and answers for v1 like the others.
func TestRotationLateGatekeeperCatchesUp(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	late := nodes[2]
	online := nodes[:2]
	start := rotationStart(0, nodes...)
	applyAll(t, online, start)
	in, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
	applyAll(t, online, in)
	activated := ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode())
	task := ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.EncodeU64(30)}.Encode())
	applyAll(t, online, activated, task)

	// Back online: the whole rotation so far in one sync call.
	late.mustApply(start, in, activated, task)
	late.takeOne(protocol.TopicRotationAck)
	if late.r.Info().Role != api.RoleActive || late.r.master.Get(1) == nil {
		t.Fatal("late gatekeeper not active with v1")
	}
	mw, ml := nodes[0].takeOne(protocol.TopicBeacon), late.takeOne(protocol.TopicBeacon)
	want, _ := mw.Encode()
	got, _ := ml.Encode()
	if !bytes.Equal(got, want) {
		t.Fatal("late gatekeeper's beacon differs")
	}
	if len(late.take(protocol.TopicRotationProposal)) != 0 {
		t.Fatal("late gatekeeper proposed although a proposal was taken")
	}
}

func TestProgressReportFitsTheChain(t *testing.T) {
	t.Parallel()
	job := reencrypt.Job{From: 3, To: 4, Range: reencrypt.Range{Index: 1, Count: 3}}
	var failures []reencrypt.Failure
	for i := range 20 {
		failures = append(failures, reencrypt.Failure{Name: fmt.Sprintf("cluster-1/app/f%02d", i)})
	}
	failures[2].Name = "cluster-1/app/with space"
	tests := []struct {
		name     string
		p        reencrypt.Progress
		finished bool
		want     protocol.ReencryptProgress
	}{
		{"running", reencrypt.Progress{Total: 10, Done: 4}, false,
			protocol.ReencryptProgress{ToVersion: 4, Range: 1, Done: 4, Total: 10}},
		{"finished", reencrypt.Progress{Total: 10, Done: 10}, true,
			protocol.ReencryptProgress{ToVersion: 4, Range: 1, Done: 10, Total: 10, Finished: true}},
		{"never finished with failures", reencrypt.Progress{Total: 10, Done: 9, Failed: 1, Failures: failures[:1]}, true,
			protocol.ReencryptProgress{ToVersion: 4, Range: 1, Done: 9, Total: 10, Failed: 1, FailedNames: []string{failures[0].Name}}},
		{"total below handled", reencrypt.Progress{Total: 5, Done: 6}, false,
			protocol.ReencryptProgress{ToVersion: 4, Range: 1, Done: 6, Total: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := progressReport(job, tt.p, tt.finished)
			if !bytes.Equal(got.Encode(), tt.want.Encode()) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("at most 16 printable names", func(t *testing.T) {
		t.Parallel()
		got := progressReport(job, reencrypt.Progress{Total: 20, Failed: 20, Failures: failures}, false)
		if len(got.FailedNames) != protocol.MaxFailedNames || slices.Contains(got.FailedNames, failures[2].Name) {
			t.Fatalf("names %q", got.FailedNames)
		}
		if _, err := protocol.DecodeReencryptProgress(got.Encode()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInfoAndMetricsShowReencryption(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	rotate(t, nodes)
	a.mustApply(ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 1}.Encode()))
	job := reencrypt.Job{From: 0, To: 1, Range: reencrypt.All}
	p := reencrypt.Progress{Total: 100, Done: 25, Processed: 25, Elapsed: 5 * time.Second}
	a.r.reenc.set(job, p)
	a.r.reencWork.setReencryptGauges(p)
	ri := a.r.Info().Rotation
	if ri == nil || ri.Phase != "reencrypting" || ri.Ranges != 1 || ri.Done != 25 || ri.Total != 100 || ri.ETASeconds != 15 {
		t.Fatalf("info %+v", ri)
	}
	mfs, err := a.r.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			found[name] = m.GetGauge().GetValue()
		}
	}
	if found["pruntime_reencrypt_objects,state=done"] != 25 || found["pruntime_reencrypt_eta_seconds"] != 15 || found["pruntime_master_key_version"] != 1 {
		t.Fatal("metrics do not show the job")
	}
}

// slowStore makes each Get take a while, so that a job can be stopped
// half-way.
type slowStore struct {
	statestore.Store
	delay time.Duration
}

func (s slowStore) Get(ctx context.Context, name string) ([]byte, error) {
	time.Sleep(s.delay)
	return s.Store.Get(ctx, name)
}

// A gatekeeper stopped in the middle of its range (the pRuntime killed and
// restarted) resumes from its sealed journal and finishes; every blob opens
// under v1 with its content.
func TestReencryptionResumesAfterRestart(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	a.r.cfg.ReencryptDelayBlocks = 0
	dir := t.TempDir()
	disk, err := statestore.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ck0 := a.r.master.Get(0).ClusterKey(2)
	const n = 60
	for i := range n {
		name := fmt.Sprintf("obj-%03d", i)
		blob, _ := crypto.SealBlob(rand.Reader, ck0, crypto.BlobID{Cluster: 2, Version: 0, App: "demo", Name: name}, []byte(name))
		if err := disk.Put(ctx, reencrypt.ObjectName(2, "demo", name), blob); err != nil {
			t.Fatal(err)
		}
	}
	rotate(t, nodes)
	a.mustApply(ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 1}.Encode()))

	j, ok := a.r.reencWork.readyJob()
	if !ok {
		t.Fatal("job not ready")
	}
	stopCtx, stop := context.WithTimeout(ctx, 150*time.Millisecond)
	defer stop()
	a.r.reencWork.runReencryptJob(stopCtx, slowStore{disk, 10 * time.Millisecond}, j)
	if a.r.Info().Rotation.Finished {
		t.Fatal("the job finished before it was stopped; make the store slower")
	}
	if _, err := os.Stat(filepath.Join(a.dir, ReencryptJournalFile)); err != nil {
		t.Fatalf("no journal after a stopped job: %v", err)
	}

	a.open() // the restart
	a.r.cfg.ReencryptDelayBlocks = 0
	disk, err = statestore.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	j, ok = a.r.reencWork.readyJob()
	if !ok || !a.r.reencWork.runReencryptJob(ctx, disk, j) || !a.r.Info().Rotation.Finished {
		t.Fatalf("resumed job did not finish: %+v", a.r.Info().Rotation)
	}
	reps := a.take(protocol.TopicReencryptProgress)
	last, err := protocol.DecodeReencryptProgress(reps[len(reps)-1].Payload)
	if err != nil || !last.Finished || last.Done != n || last.Total != n {
		t.Fatalf("last report %+v: %v", last, err)
	}
	ck1 := a.r.master.Get(1).ClusterKey(2)
	for i := range n {
		name := fmt.Sprintf("obj-%03d", i)
		blob, err := disk.Get(ctx, reencrypt.ObjectName(2, "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := crypto.OpenBlob(ck1, crypto.BlobID{Cluster: 2, Version: 1, App: "demo", Name: name}, blob); err != nil || string(pt) != name {
			t.Fatalf("%s after the resumed job: %v", name, err)
		}
	}
}

// While a newer cluster key version is granted and not received, the app
// API refuses writes (they would be under the version being retired) and
// keeps serving reads; once the key arrives, writes go under it.
func TestAppHoldsWritesWhileNewerKeyPending(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a, w := nodes[0], newTestNode(t)
	g0 := grant(w, 5, crypto.ClusterPublicKey(a.r.master.Get(0).ClusterKey(5)))
	a.mustApply(g0)
	w.mustApply(g0, relayed(a.id(), a.takeOne(protocol.TopicClusterKeyCopy)))
	store, err := statestore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := appapi.New(w.r.ClusterKeys(), store, nil).Handler()
	do := func(method, name, body string) int {
		req := httptest.NewRequest(method, appapi.PathState+"demo/"+name, strings.NewReader(body))
		req.Host = "127.0.0.1" // the app API serves loopback names only
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := do(http.MethodPut, "x", "before"); c != http.StatusNoContent {
		t.Fatalf("PUT before the rotation: %d", c)
	}
	rotate(t, nodes)
	ck1 := a.r.master.Get(1).ClusterKey(5)
	g1 := ingressMsg(protocol.TopicClusterGrant, protocol.ClusterGrant{ClusterKeyID: protocol.ClusterKeyID{Cluster: 5, Version: 1},
		PublicKey: crypto.ClusterPublicKey(ck1), Worker: w.id(), ReceiveKey: w.receiveKey()}.Encode())
	w.mustApply(g1)
	if c := do(http.MethodPut, "y", "during"); c != http.StatusConflict {
		t.Fatalf("PUT with v1 granted, not received: %d, want 409", c)
	}
	if c := do(http.MethodGet, "x", ""); c != http.StatusOK {
		t.Fatalf("GET with v1 granted, not received: %d", c)
	}
	a.mustApply(g1)
	w.mustApply(relayed(a.id(), a.takeOne(protocol.TopicClusterKeyCopy)))
	if c := do(http.MethodPut, "y", "after"); c != http.StatusNoContent {
		t.Fatalf("PUT with v1 held: %d", c)
	}
	blob, err := store.Get(t.Context(), "cluster-5/demo/y")
	if err != nil {
		t.Fatal(err)
	}
	if _, v, err := crypto.BlobKeyVersion(blob); err != nil || v != 1 {
		t.Fatalf("written under version %d (%v)", v, err)
	}
}

// A gatekeeper whose copy was bad while the others acknowledged stops being
// live when the version activates; the chain then asks for its history
// (x/registry refetch), a live gatekeeper sends it, and it is live again
// with the new version.
func TestRotationFaultedGatekeeperRefetched(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	applyAll(t, nodes, rotationStart(0, nodes...))
	_, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
	p.Copies[2] = bytes.Clone(p.Copies[2])
	p.Copies[2][len(p.Copies[2])-1] ^= 1
	applyAll(t, nodes, ingressMsg(protocol.TopicRotationProposed, protocol.RotationProposed{Proposer: nodes[0].id(), RotationProposal: p}.Encode()))
	nodes[0].takeOne(protocol.TopicRotationAck)
	nodes[1].takeOne(protocol.TopicRotationAck)
	nodes[2].takeOne(protocol.TopicKeyFault)
	// Activation, then the chain's request for the faulted gatekeeper.
	req := ingressMsg(protocol.TopicMasterKeyRequest, protocol.KeyRequest{Identity: nodes[2].id(), ReceiveKey: nodes[2].receiveKey()}.Encode())
	applyAll(t, nodes, ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode()), req)
	if nodes[2].r.Info().Role == api.RoleActive {
		t.Fatal("a gatekeeper without the activated version is still active")
	}
	copies := nodes[0].take(protocol.TopicMasterKeyCopy)
	if len(copies) == 0 {
		t.Fatal("no history sent to the faulted gatekeeper")
	}
	for _, c := range copies {
		nodes[2].mustApply(relayed(nodes[0].id(), c))
	}
	if info := nodes[2].r.Info(); info.Role != api.RoleActive || info.MasterVersions != 2 {
		t.Fatalf("after the refetch: role %q, %d versions", info.Role, info.MasterVersions)
	}
	nodes[2].takeOne(protocol.TopicGatekeeperLive)
	if k := nodes[2].r.master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), p.PublicKey) {
		t.Fatal("the refetched history lacks the activated version")
	}
}

// A host that kept a copy of the sealed history from before an erasure puts
// it back (the sealing key never changes, so it still unseals). The restart
// drops the versions the checkpoint says were erased and rewrites the file,
// so the restored copy does not bring v0 back into the enclave or onto disk.
// A host that also puts back an older checkpoint is not covered here: the
// runtime then replays the erasure from ingress (docs/gatekeepers.md).
func TestRestoredHistoryIsErasedAgain(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 1)
	a := nodes[0]
	rotate(t, nodes)
	path := filepath.Join(a.dir, state.MasterKeysFile)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a.mustApply(ingressMsg(protocol.TopicMasterKeyErase, protocol.EncodeU32(0)))
	if err := a.r.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}
	a.open()
	if a.r.master.Get(0) != nil {
		t.Fatal("a restored history brought the erased v0 back into the enclave")
	}
	if a.r.Info().Role != api.RoleActive || a.r.master.Get(1) == nil {
		t.Fatal("not live with v1 after the restored history was trimmed")
	}
	h, err := state.LoadMasterHistory(a.dir, a.r.tee)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get(0) != nil {
		t.Fatal("the restored history on disk still holds v0")
	}
}
