package pruntime

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// oldMeasurement is newTestNode's; successors run newMeasurement.
var (
	oldMeasurement = bytes.Repeat([]byte{7}, 32)
	newMeasurement = bytes.Repeat([]byte{8}, 32)
)

// newSuccessor opens a pRuntime of the new measurement that replaces pred.
func newSuccessor(t testing.TB, pred *testNode) *testNode {
	t.Helper()
	n := &testNode{t: t, dir: t.TempDir()}
	tee, err := OpenSimTEE(n.dir, newMeasurement)
	if err != nil {
		t.Fatal(err)
	}
	cfg := validConfig(n.dir)
	cfg.Predecessor = pred.id()
	if n.r, err = newRuntime(cfg, tee, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return n
}

// migrationNet: gatekeeper a (live, v0) and worker w (cluster 3, key v0),
// their successors sa and sw, and the chain messages all of them saw.
type migrationNet struct {
	a, w, sa, sw *testNode
	ck           [crypto.KeySize]byte
}

func newMigrationNet(t *testing.T) *migrationNet {
	t.Helper()
	n := &migrationNet{a: newTestNode(t), w: newTestNode(t)}
	n.sa, n.sw = newSuccessor(t, n.a), newSuccessor(t, n.w)
	pub := launch(t, n.a)
	n.ck = n.a.r.master.Get(0).ClusterKey(3)
	cpub := crypto.ClusterPublicKey(n.ck)
	g := grant(n.w, 3, cpub)
	n.a.mustApply(g)
	n.w.mustApply(g, relayed(n.a.id(), n.a.takeOne(protocol.TopicClusterKeyCopy)))
	// What every pRuntime saw on the ingress log, successors included.
	history := []protocol.Message{
		ingressMsg(protocol.TopicGatekeeperAdded, n.a.id()),
		ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()),
		ingressMsg(protocol.TopicClusterKey, protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 3}, PublicKey: cpub}.Encode()),
	}
	n.sa.mustApply(history...)
	n.sw.mustApply(history...)
	sched := ingressMsg(protocol.TopicMigrationScheduled, protocol.MigrationScheduled{
		ID: 1, ActivationHeight: 100, TEEKind: "sim", Measurement: newMeasurement, Replaced: [][]byte{oldMeasurement},
	}.Encode())
	n.each(sched)
	return n
}

func (n *migrationNet) each(msgs ...protocol.Message) {
	for _, x := range []*testNode{n.a, n.w, n.sa, n.sw} {
		x.mustApply(msgs...)
	}
}

func request(pred, succ *testNode, measurement []byte) protocol.Message {
	return ingressMsg(protocol.TopicMigrationHandoverRequest, protocol.MigrationHandoverRequest{
		ID: 1, Predecessor: pred.id(), Successor: succ.id(), ReceiveKey: succ.receiveKey(), Measurement: measurement,
	}.Encode())
}

// handOver asks pred to hand over and delivers its parts to succ.
func handOver(t *testing.T, pred, succ *testNode) {
	t.Helper()
	pred.mustApply(request(pred, succ, newMeasurement))
	parts := pred.take(protocol.TopicMigrationHandover)
	if len(parts) == 0 {
		t.Fatal("no handover")
	}
	for _, p := range parts {
		succ.mustApply(relayed(pred.id(), p))
	}
}

// A gatekeeper and a worker hand over to their successors, which check
// every key against the chain, seal it and report ready; at activation the
// successors take over (the gatekeeper live, answering tasks; the worker
// with its cluster key) and the replaced pRuntimes erase their keys and act
// on nothing more.
func TestMigrationHandoverAndActivation(t *testing.T) {
	t.Parallel()
	n := newMigrationNet(t)

	// A request naming another measurement than the scheduled one, or for
	// another pRuntime, gets nothing.
	n.a.mustApply(request(n.a, n.sa, bytes.Repeat([]byte{9}, 32)), request(n.w, n.sa, newMeasurement))
	if got := n.a.take(protocol.TopicMigrationHandover); len(got) != 0 {
		t.Fatalf("%d handover parts for a wrong request", len(got))
	}

	handOver(t, n.a, n.sa)
	handOver(t, n.w, n.sw)
	for _, s := range []*testNode{n.sa, n.sw} {
		r, err := protocol.DecodeMigrationPairRef(s.takeOne(protocol.TopicMigrationReady).Payload)
		if err != nil || r.ID != 1 {
			t.Fatalf("ready %+v, %v", r, err)
		}
	}
	// The gatekeeper's successor sealed the history before reporting ready
	// (written in the same commit); the worker's holds none.
	if h, err := state.LoadMasterHistory(n.sa.dir, n.sa.r.tee); err != nil || h.Get(0) == nil ||
		!bytes.Equal(h.Get(0).PublicKey(), n.a.r.master.Get(0).PublicKey()) {
		t.Fatalf("successor's sealed history: %v", err)
	}
	if _, err := os.Stat(filepath.Join(n.sw.dir, state.MasterKeysFile)); err == nil {
		t.Fatal("a worker's successor holds a master key history")
	}
	// Before activation the successors hold no role.
	if n.sa.r.Info().Role == api.RoleActive {
		t.Fatal("successor active before activation")
	}

	// A beacon task just before activation, which the old gatekeeper may
	// not get to answer: the ready successor queues it.
	task := ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.EncodeU64(10)}.Encode())
	n.each(task)
	want := n.a.takeOne(protocol.TopicBeacon)

	act := ingressMsg(protocol.TopicMigrationActivated, protocol.MigrationActivated{ID: 1, Pairs: sortedPairs(
		protocol.MigrationPair{Predecessor: n.a.id(), Successor: n.sa.id()},
		protocol.MigrationPair{Predecessor: n.w.id(), Successor: n.sw.id()},
	)}.Encode())
	n.each(act)

	// The successors took over.
	if info := n.sa.r.Info(); info.Role != api.RoleActive || info.Retired {
		t.Fatalf("successor gatekeeper role %q, retired %v after activation", info.Role, info.Retired)
	}
	got := n.sa.takeOne(protocol.TopicBeacon)
	if got.Seq != want.Seq || !bytes.Equal(got.Payload, want.Payload) {
		t.Fatal("the successor's beacon differs from its predecessor's")
	}
	if cluster, version, key, ok := n.sw.r.ClusterKeys().CurrentClusterKey(); !ok || cluster != 3 || version != 0 || key != n.ck {
		t.Fatalf("successor worker holds cluster %d v%d ok=%v", cluster, version, ok)
	}
	// The replaced ones erased their keys and stopped.
	for _, old := range []*testNode{n.a, n.w} {
		if !old.r.st.Retired || old.r.st.Cluster != nil || old.r.master.Count() != 0 {
			t.Fatal("a replaced pRuntime kept its keys or role")
		}
		if info := old.r.Info(); !info.Retired || info.Role != api.RoleNone || info.Cluster != nil {
			t.Fatalf("a replaced pRuntime's info: retired %v, role %q, cluster %+v", info.Retired, info.Role, info.Cluster)
		}
	}
	if h, err := state.LoadMasterHistory(n.a.dir, n.a.r.tee); err != nil || h.Count() != 0 {
		t.Fatalf("replaced gatekeeper's sealed history still holds %d versions (%v)", h.Count(), err)
	}
	n.a.mustApply(ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 1, Body: protocol.EncodeU64(20)}.Encode()))
	if len(n.a.r.st.Egress) != 0 {
		t.Fatal("a replaced pRuntime still signs")
	}
}

func sortedPairs(ps ...protocol.MigrationPair) []protocol.MigrationPair {
	if len(ps) == 2 && bytes.Compare(ps[0].Predecessor, ps[1].Predecessor) > 0 {
		ps[0], ps[1] = ps[1], ps[0]
	}
	return ps
}

// A handover that does not check out is reported and nothing is kept; the
// next one (after the chain asks again) is taken.
func TestMigrationBadHandover(t *testing.T) {
	t.Parallel()
	n := newMigrationNet(t)
	n.a.mustApply(request(n.a, n.sa, newMeasurement))
	parts := n.a.take(protocol.TopicMigrationHandover)
	h, err := protocol.DecodeMigrationHandover(parts[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	h.Sealed[len(h.Sealed)-1] ^= 1
	n.sa.mustApply(ingressMsg(protocol.TopicMigrationHandover, protocol.Relayed{Sender: n.a.id(), Body: h.Encode()}.Encode()))
	n.sa.takeOne(protocol.TopicMigrationFault)
	if n.sa.r.master.Count() != 0 || (n.sa.r.st.Migration.Phase == state.MigrationReady) {
		t.Fatal("a faulty handover was kept")
	}
	// From anyone but the paired predecessor: ignored.
	n.sa.mustApply(relayed(n.w.id(), parts[0]))
	if len(n.sa.take(protocol.TopicMigrationReady)) != 0 {
		t.Fatal("a handover from another pRuntime was taken")
	}
	handOver(t, n.a, n.sa)
	n.sa.takeOne(protocol.TopicMigrationReady)

	// A cluster key the chain never published for that version is refused.
	n.sw.r.st.KnownClusterKeys[0].PublicKey = bytes.Repeat([]byte{1}, 32)
	handOver(t, n.w, n.sw)
	n.sw.takeOne(protocol.TopicMigrationFault)
}

// A cancelled migration: the successor erases what it was handed.
func TestMigrationCancelled(t *testing.T) {
	t.Parallel()
	n := newMigrationNet(t)
	handOver(t, n.a, n.sa)
	if n.sa.r.master.Count() != 1 {
		t.Fatal("handover not kept")
	}
	n.each(ingressMsg(protocol.TopicMigrationCancelled, protocol.MigrationCancelled{ID: 1, Reason: protocol.CancelPlanGone}.Encode()))
	if n.sa.r.master.Count() != 0 || n.sa.r.st.Migration != nil {
		t.Fatal("the successor kept the handed keys after the cancellation")
	}
	if h, err := state.LoadMasterHistory(n.sa.dir, n.sa.r.tee); err != nil || h.Count() != 0 {
		t.Fatalf("sealed history after cancellation: %d versions, %v", h.Count(), err)
	}
	if n.a.r.st.Retired || n.a.r.master.Count() != 1 {
		t.Fatal("the old gatekeeper stopped after a cancellation")
	}
}

// The keys a migration takes away are gone from every checkpoint too, not
// only from the newest: a replaced pRuntime's older checkpoints held its
// cluster key (sealed under the old measurement, which still unseals them);
// so did a successor's, after a cancelled migration, for the keys it was
// handed.
func TestMigrationLeavesNoKeyInOlderCheckpoints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		end   func(n *migrationNet) protocol.Message
		nodes func(n *migrationNet) []*testNode
	}{
		{
			name: "activated: the replaced pRuntimes",
			end: func(n *migrationNet) protocol.Message {
				return ingressMsg(protocol.TopicMigrationActivated, protocol.MigrationActivated{ID: 1, Pairs: sortedPairs(
					protocol.MigrationPair{Predecessor: n.a.id(), Successor: n.sa.id()},
					protocol.MigrationPair{Predecessor: n.w.id(), Successor: n.sw.id()},
				)}.Encode())
			},
			nodes: func(n *migrationNet) []*testNode { return []*testNode{n.a, n.w} },
		},
		{
			name: "cancelled: the successors",
			end: func(*migrationNet) protocol.Message {
				return ingressMsg(protocol.TopicMigrationCancelled, protocol.MigrationCancelled{ID: 1, Reason: protocol.CancelPlanGone}.Encode())
			},
			nodes: func(n *migrationNet) []*testNode { return []*testNode{n.sa, n.sw} },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newMigrationNet(t)
			master := n.a.r.master.Get(0).Secret()
			handOver(t, n.a, n.sa)
			handOver(t, n.w, n.sw)
			// Several checkpoints holding the keys on every node.
			for _, x := range []*testNode{n.a, n.w, n.sa, n.sw} {
				x.take(protocol.TopicMigrationReady)
				for range 2 {
					if err := x.r.Checkpoint(); err != nil {
						t.Fatal(err)
					}
				}
			}
			n.each(tc.end(n))
			for _, x := range tc.nodes(n) {
				files, err := filepath.Glob(filepath.Join(x.dir, "checkpoints", "*"))
				if err != nil || len(files) == 0 {
					t.Fatalf("no checkpoints (%v)", err)
				}
				for _, f := range files {
					sealed, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					raw, err := x.r.tee.Unseal(protocol.ContextCheckpoint, sealed)
					if err != nil {
						t.Fatal(err)
					}
					for _, k := range [][]byte{master, n.ck[:]} {
						if bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(k))) {
							t.Fatalf("%s still holds a key the migration took away", filepath.Base(f))
						}
					}
				}
			}
		})
	}
}

// A gatekeeper that is also a cluster member hands over both; if a cluster
// key fails its check, the successor keeps neither, not even the master
// keys that checked out.
func TestMigrationBadClusterKeyKeepsNoMasterKey(t *testing.T) {
	t.Parallel()
	n := newMigrationNet(t)
	g := grant(n.a, 3, crypto.ClusterPublicKey(n.ck))
	n.a.mustApply(g)
	n.a.mustApply(relayed(n.a.id(), n.a.takeOne(protocol.TopicClusterKeyCopy)))
	if _, _, _, ok := n.a.r.ClusterKeys().CurrentClusterKey(); !ok {
		t.Fatal("the gatekeeper holds no cluster key")
	}
	n.sa.r.st.KnownClusterKeys[0].PublicKey = bytes.Repeat([]byte{1}, 32)
	handOver(t, n.a, n.sa)
	n.sa.takeOne(protocol.TopicMigrationFault)
	if n.sa.r.master.Count() != 0 || (n.sa.r.st.Migration.Phase == state.MigrationReady) || n.sa.r.st.Migration.Handed != nil {
		t.Fatal("a handover with a bad cluster key left keys behind")
	}
	if _, err := os.Stat(filepath.Join(n.sa.dir, state.MasterKeysFile)); err == nil {
		if h, err := state.LoadMasterHistory(n.sa.dir, n.sa.r.tee); err != nil || h.Count() != 0 {
			t.Fatalf("sealed history holds %d versions (%v)", h.Count(), err)
		}
	}
}
