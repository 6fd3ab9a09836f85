package pruntime

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"cosmossdk.io/collections"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// These tests bootstrap a pRuntime from the x/registry records a bootstrap
// proves, encoded by the chain's own types (the proofs themselves are
// chainsync's and the e2e test's), past ingress entries the chain pruned:
// a gatekeeper that missed part of a rotation, a worker that missed its
// cluster grant. The proposal, copies and grants that still reach them are
// made by real pRuntimes, as in rotation_test.go.

// chainRotation encodes a rotation as x/registry stores it and parses it
// back as a bootstrap does.
func chainRotation(t *testing.T, rot gatekeepertypes.Rotation) *rotationRecord {
	t.Helper()
	b, err := rot.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := parseRotationRecord(b, rot.ToVersion)
	if err != nil {
		t.Fatal(err)
	}
	return &rec
}

// snapshotRows are the rotation rows of nodes; acked marks who acknowledged.
func snapshotRows(nodes []*testNode, acked ...*testNode) []gatekeepertypes.RotationGatekeeper {
	var rows []gatekeepertypes.RotationGatekeeper
	for _, n := range nodes {
		row := gatekeepertypes.RotationGatekeeper{IdentityKey: n.id()}
		for _, a := range acked {
			if a == n {
				row.AckedHeight = 7
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// bootstrapNode commits p as Bootstrap does once the reads verified.
func (n *testNode) bootstrap(p provenState) {
	n.t.Helper()
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	if err := n.r.boot.bootstrapFrom(p); err != nil {
		n.t.Fatal(err)
	}
}

// TestBootstrapMidRotationReencrypts: a snapshot gatekeeper that was down
// from before the rotation's start until the proposal and the activation
// were pruned learns the rotation and its range from the rotation record,
// asks for the version it lacks, and once the live gatekeepers' history
// reaches it re-encrypts its range.
func TestBootstrapMidRotationReencrypts(t *testing.T) {
	t.Parallel()
	nodes, pub0 := gatekeeperSet(t, 3)
	up, late := nodes[:2], nodes[2]
	applyAll(t, up, rotationStart(0, nodes...))
	in, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
	applyAll(t, up, in)
	for _, n := range up {
		n.takeOne(protocol.TopicRotationAck)
	}
	activated := ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode())
	reencStart := ingressMsg(protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 3}.Encode())
	applyAll(t, up, activated, reencStart)

	rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_REENCRYPTING,
		StartHeight: 5, Gatekeepers: snapshotRows(nodes, up...), Proposer: nodes[0].id(), PublicKey: p.PublicKey,
		ProposedHeight: 6, ActivatedHeight: 8})
	late.r.cfg.ReencryptDelayBlocks = 0
	late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true, masterPubKeys: [][]byte{p.PublicKey},
		view: bootstrapView{rotation: rec}})
	info := late.r.Info()
	if info.Rotation == nil || info.Rotation.Phase != "reencrypting" || info.Rotation.Range != 2 || info.Rotation.Ranges != 3 {
		t.Fatalf("rotation after the bootstrap: %+v", info.Rotation)
	}
	if info.Role != api.RoleDummy {
		t.Fatalf("role %q without version 1, want dummy", info.Role)
	}
	refetch := late.takeOne(protocol.TopicMasterKeyRefetch)
	if c, err := protocol.DecodeU32("count", refetch.Payload); err != nil || c != 2 {
		t.Fatalf("refetch of %d versions, %v", c, err)
	}
	if _, ok := late.r.reencWork.readyJob(); ok {
		t.Fatal("re-encryption ready without version 1")
	}
	// Retained entries from before the proof height replay harmlessly.
	late.mustApply(activated, reencStart)

	// The chain turns the refetch into a master key request; a live
	// gatekeeper's copy makes the late one live with both versions.
	deliverHistory(t, late, nodes[0])
	if info := late.r.Info(); info.Role != api.RoleActive || info.MasterVersions != 2 {
		t.Fatalf("after the history: %+v", info)
	}
	late.takeOne(protocol.TopicGatekeeperLive)
	j, ok := late.r.reencWork.readyJob()
	if !ok || j.job.From != 0 || j.job.To != 1 || j.job.Range.Index != 2 || j.job.Range.Count != 3 ||
		!bytes.Equal(j.keys[0].PublicKey(), pub0) || !bytes.Equal(j.keys[1].PublicKey(), p.PublicKey) {
		t.Fatalf("re-encryption job %+v, ready %v", j.job, ok)
	}
}

// TestBootstrapMidRotationAcks: a snapshot gatekeeper that bootstraps while
// a taken proposal waits for acknowledgements acknowledges it — from the
// retained proposal entry, or from the version it had sealed before it lost
// its checkpoints.
func TestBootstrapMidRotationAcks(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"proposal entry retained", "sealed before the checkpoints were lost"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			nodes, pub0 := gatekeeperSet(t, 3)
			late := nodes[2]
			applyAll(t, nodes[:2], rotationStart(0, nodes...))
			in, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
			rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_ACKING,
				StartHeight: 5, Gatekeepers: snapshotRows(nodes, nodes[0]), Proposer: nodes[0].id(), PublicKey: p.PublicKey, ProposedHeight: 6})
			known := [][]byte(nil)
			if name == "sealed before the checkpoints were lost" {
				late.mustApply(rotationStart(0, nodes...), in)
				late.take(protocol.TopicRotationAck) // never reached the chain
				if err := os.RemoveAll(filepath.Join(late.dir, "checkpoints")); err != nil {
					t.Fatal(err)
				}
				late.open()
				known = [][]byte{pub0}
			}
			late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true, masterPubKeys: known,
				view: bootstrapView{rotation: rec, receiveKeys: [][]byte{nodes[0].receiveKey(), nodes[1].receiveKey(), late.receiveKey()}}})
			if name == "proposal entry retained" {
				if len(late.take(protocol.TopicRotationAck)) != 0 {
					t.Fatal("acknowledged before opening its copy")
				}
				late.mustApply(in)
			} else {
				late.takeOne(protocol.TopicGatekeeperLive)
			}
			ack := late.takeOne(protocol.TopicRotationAck)
			if v, _ := protocol.DecodeU32("to", ack.Payload); v != 1 {
				t.Fatalf("ack of %d", v)
			}
			if k := late.r.master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), p.PublicKey) {
				t.Fatal("acknowledged without the proposed version sealed")
			}
			if info := late.r.Info(); info.Rotation == nil || info.Rotation.Phase != "acking" || !info.Rotation.Acked {
				t.Fatalf("rotation %+v", info.Rotation)
			}
		})
	}
}

// TestBootstrapPastProposalRefetchesAtActivation: a snapshot gatekeeper
// that bootstraps after the taken proposal's entry was pruned cannot
// acknowledge; when the others activate the version it asks for its
// history, and a live gatekeeper's copy makes it live with the new version.
func TestBootstrapPastProposalRefetchesAtActivation(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	late := nodes[2]
	applyAll(t, nodes[:2], rotationStart(0, nodes...))
	in, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
	applyAll(t, nodes[:2], in)
	rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_ACKING,
		Gatekeepers: snapshotRows(nodes, nodes[0]), Proposer: nodes[0].id(), PublicKey: p.PublicKey})
	late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true,
		view: bootstrapView{rotation: rec, receiveKeys: [][]byte{nodes[0].receiveKey(), nodes[1].receiveKey(), late.receiveKey()}}})
	if len(late.take(protocol.TopicRotationAck)) != 0 || len(late.take(protocol.TopicMasterKeyRefetch)) != 0 {
		t.Fatal("acknowledged or asked before the version is on chain")
	}
	activated := ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: p.PublicKey}.Encode())
	applyAll(t, nodes, activated)
	refetch := late.takeOne(protocol.TopicMasterKeyRefetch)
	if c, err := protocol.DecodeU32("count", refetch.Payload); err != nil || c != 2 || late.r.Info().Role != api.RoleDummy {
		t.Fatalf("refetch of %d versions (%v), role %q", c, err, late.r.Info().Role)
	}
	for _, n := range nodes[:2] {
		if len(n.take(protocol.TopicMasterKeyRefetch)) != 0 {
			t.Fatal("a gatekeeper holding the version asked for it")
		}
	}
	deliverHistory(t, late, nodes[0])
	if k := late.r.master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), p.PublicKey) || late.r.Info().Role != api.RoleActive {
		t.Fatal("not live with the activated version")
	}
}

// TestBootstrapDropsAVersionNotOnChain: a gatekeeper that sealed its own
// proposal, which the chain never took (another one activated while it was
// away), does not go live with it at bootstrap: it drops it and asks for
// the history.
func TestBootstrapDropsAVersionNotOnChain(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	a, b := nodes[0], nodes[1]
	b.r.cfg.RotationProposeBlocks = 0
	applyAll(t, nodes, rotationStart(0, nodes...))
	a.takeOne(protocol.TopicRotationProposal) // sealed, never taken
	_, pb := proposed(t, b, b.takeOne(protocol.TopicRotationProposal))
	if a.r.master.Get(1) == nil || bytes.Equal(a.r.master.Get(1).PublicKey(), pb.PublicKey) {
		t.Fatal("setup: a should hold its own v1")
	}
	rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_REENCRYPTING,
		Gatekeepers: snapshotRows(nodes, b), Proposer: b.id(), PublicKey: pb.PublicKey})
	a.bootstrap(provenState{first: 100, registered: true, gatekeeper: true, masterPubKeys: [][]byte{pb.PublicKey},
		view: bootstrapView{rotation: rec}})
	if a.r.master.Get(1) != nil || a.r.Info().Role != api.RoleDummy {
		t.Fatalf("kept a version the chain does not have: role %q", a.r.Info().Role)
	}
	a.takeOne(protocol.TopicMasterKeyRefetch)
	if len(a.take(protocol.TopicGatekeeperLive)) != 0 {
		t.Fatal("reported live")
	}
}

// TestBootstrapMidRotationProposes: a gatekeeper whose turn to propose came
// while it bootstrapped seals its proposal to the snapshot's receive keys as
// the proven worker records give them, and the others open their copies.
func TestBootstrapMidRotationProposes(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	first, late := nodes[0], nodes[1]
	late.r.cfg.RotationProposeBlocks = 0 // its turn is now
	first.mustApply(rotationStart(0, nodes...))
	first.take(protocol.TopicRotationProposal) // lost: the first proposer went down
	rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_PROPOSING,
		StartHeight: 5, Gatekeepers: snapshotRows(nodes)})
	late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true,
		view: bootstrapView{rotation: rec, receiveKeys: [][]byte{first.receiveKey(), late.receiveKey()}}})
	in, p := proposed(t, late, late.takeOne(protocol.TopicRotationProposal))
	first.mustApply(in)
	first.takeOne(protocol.TopicRotationAck)
	if k := first.r.master.Get(1); k == nil || !bytes.Equal(k.PublicKey(), p.PublicKey) {
		t.Fatal("the other gatekeeper could not open its copy of the bootstrapped proposal")
	}
}

// TestBootstrapPastClusterGrant: a member worker that bootstraps past its
// cluster grant asks for it again, and the grant the chain answers with
// gives it its key; without being removed and re-added. A worker the chain
// no longer lists in a cluster, or whose key versions were erased
// meanwhile, keeps no key.
func TestBootstrapPastClusterGrant(t *testing.T) {
	t.Parallel()
	gk, w := newTestNode(t), newTestNode(t)
	launch(t, gk)
	ck := gk.r.master.Get(0).ClusterKey(3)
	pub := crypto.ClusterPublicKey(ck)
	// Its checkpoints were lost: the chain has taken its messages up to 7.
	w.bootstrap(provenState{first: 100, registered: true, view: bootstrapView{egressSeq: 7, cluster: &clusterRecord{ID: 3, Version: 0, PublicKey: pub}}})
	req := w.takeOne(protocol.TopicClusterKeyRequest)
	if id, err := protocol.DecodeClusterKeyID(req.Payload); err != nil || id.Cluster != 3 || id.Version != 0 || req.Seq < 7 {
		t.Fatalf("request %+v at seq %d, %v", id, req.Seq, err)
	}
	if w.r.ClusterKeys().NewerClusterKeyPending(3, 0) {
		t.Fatal("version 0 reported newer than itself")
	}
	g := grant(w, 3, pub)
	gk.mustApply(g)
	w.mustApply(g, relayed(gk.id(), gk.takeOne(protocol.TopicClusterKeyCopy)))
	if cluster, version, key, ok := w.r.ClusterKeys().CurrentClusterKey(); !ok || cluster != 3 || version != 0 || key != ck {
		t.Fatalf("worker holds cluster %d v%d ok=%v", cluster, version, ok)
	}
	// Bootstrapping again while it holds the key asks for nothing.
	w.bootstrap(provenState{first: 200, registered: true, view: bootstrapView{cluster: &clusterRecord{ID: 3, Version: 0, PublicKey: pub}}})
	if len(w.take(protocol.TopicClusterKeyRequest)) != 0 {
		t.Fatal("asked for a key it holds")
	}

	// The chain erased version 0 meanwhile; the cluster waits for its v1.
	w.bootstrap(provenState{first: 300, registered: true, view: bootstrapView{erasedBelow: 1, cluster: &clusterRecord{ID: 3, Version: 1}}})
	if _, ok := w.r.ClusterKeys().ClusterKeyVersion(3, 0); ok {
		t.Fatal("kept an erased cluster key version")
	}
	if info := w.r.Info(); info.Cluster == nil || info.Cluster.ID != 3 || info.MasterErasedBelow != 1 {
		t.Fatalf("after the erasure: %+v", info)
	}
	// Removed from the cluster meanwhile: nothing of it is kept.
	w.bootstrap(provenState{first: 400, registered: true})
	if info := w.r.Info(); info.Cluster != nil {
		t.Fatalf("still in cluster %+v", info.Cluster)
	}
}

// TestBootstrapErasesWhatTheChainErased: a gatekeeper that slept through a
// rotation's erasure erases the old version at bootstrap, and no longer
// takes part in the ended rotation.
func TestBootstrapErasesWhatTheChainErased(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 2)
	pub1 := rotate(t, nodes)
	late := nodes[1]
	late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true, view: bootstrapView{erasedBelow: 1}})
	if late.r.master.Get(0) != nil || late.r.master.Get(1) == nil {
		t.Fatal("bootstrap kept the erased version or lost the active one")
	}
	h, err := state.LoadMasterHistory(late.dir, late.r.tee)
	if err != nil || h.Get(0) != nil {
		t.Fatalf("sealed history still holds the erased version: %v", err)
	}
	if info := late.r.Info(); info.Rotation != nil || info.MasterErasedBelow != 1 || info.Role != api.RoleActive ||
		info.MasterPubkey == "" || !bytes.Equal(late.r.st.MasterPubKeys[1], pub1) {
		t.Fatalf("after the bootstrap: %+v", info)
	}
}

func TestRunningRotation(t *testing.T) {
	t.Parallel()
	rot := func(phase uint64) *rotationRecord { return &rotationRecord{Phase: phase} }
	for _, c := range []struct {
		name    string
		recs    []*rotationRecord
		n       uint32
		running uint64 // phase of the running one, 0: none
		erased  uint32
		bad     bool
	}{
		{"no master key", nil, 0, 0, 0, false},
		{"v0 only", []*rotationRecord{nil}, 1, 0, 0, false},
		{"first rotation proposing", []*rotationRecord{rot(rotationProposing)}, 1, rotationProposing, 0, false},
		{"first rotation re-encrypting", []*rotationRecord{nil, rot(rotationReencrypting)}, 2, rotationReencrypting, 0, false},
		{"first rotation done", []*rotationRecord{nil, rot(rotationDone)}, 2, 0, 1, false},
		{"third rotation acking", []*rotationRecord{rot(rotationAcking), rot(rotationDone)}, 3, rotationAcking, 2, false},
		{"third rotation retiring", []*rotationRecord{nil, rot(rotationRetiring)}, 4, rotationRetiring, 2, false},
		{"not activated, yet re-encrypting", []*rotationRecord{rot(rotationReencrypting)}, 1, 0, 0, true},
		{"activated, yet proposing", []*rotationRecord{nil, rot(rotationProposing)}, 2, 0, 0, true},
		{"two running", []*rotationRecord{rot(rotationAcking), rot(rotationRetiring)}, 2, 0, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			running, erased, err := runningRotation(c.recs, c.n)
			if c.bad {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("err %v, want ErrBadRequest", err)
				}
				return
			}
			phase := uint64(0)
			if running != nil {
				phase = running.Phase
			}
			if err != nil || phase != c.running || erased != c.erased {
				t.Fatalf("running phase %d, erased below %d, %v; want %d, %d", phase, erased, err, c.running, c.erased)
			}
		})
	}
}

// TestBootstrapRecordsMatchRegistry pins the enclave's parsing of the
// records a bootstrap reads to the module's types (the test binary alone
// imports the chain).
func TestBootstrapRecordsMatchRegistry(t *testing.T) {
	t.Parallel()
	id := func(b byte) []byte { return bytes.Repeat([]byte{b}, protocol.IdentityKeyLen) }
	rot := gatekeepertypes.Rotation{FromVersion: 4, ToVersion: 5, Phase: gatekeepertypes.ROTATION_PHASE_RETIRING, ByGovernance: true,
		StartHeight: 10, Gatekeepers: []gatekeepertypes.RotationGatekeeper{
			{IdentityKey: id(1), AckedHeight: 11, Done: 5, Total: 9, Failed: 1, FailedNames: []string{"a/b"}, ProgressHeight: 12},
			{IdentityKey: id(2), FaultedHeight: 13, Finished: true},
		}, Proposer: id(2), PublicKey: bytes.Repeat([]byte{3}, protocol.MasterPublicKeyLen), ProposedHeight: 14,
		RejectedProposers: [][]byte{id(1)}, ActivatedHeight: 15, RetiredHeight: 16, EraseHeight: 17}
	got := chainRotation(t, rot)
	if got.From != 4 || got.To != 5 || got.Phase != rotationRetiring || len(got.Gatekeepers) != 2 || got.EraseHeight != 17 ||
		!bytes.Equal(got.Proposer, id(2)) || !bytes.Equal(got.PublicKey, rot.PublicKey) || len(got.Rejected) != 1 ||
		!bytes.Equal(got.Rejected[0], id(1)) || !bytes.Equal(got.Gatekeepers[1].Identity, id(2)) {
		t.Fatalf("rotation %+v", got)
	}
	if r0, r1 := got.Gatekeepers[0], got.Gatekeepers[1]; r0.AckedHeight != 11 || r0.Done != 5 || r0.Total != 9 || r0.Failed != 1 ||
		r1.FaultedHeight != 13 || !r1.Finished || r1.AckedHeight != 0 {
		t.Fatalf("rows %+v %+v", r0, r1)
	}
	if _, err := parseRotationRecord(mustMarshal(t, &rot), 6); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("rotation read under another version: %v", err)
	}

	cpub := bytes.Repeat([]byte{9}, protocol.ClusterPublicKeyLen)
	cl := gatekeepertypes.Cluster{Id: 3, Owner: "gk1owner", Workers: [][]byte{id(1), id(2)}, KeyVersion: 2, PublicKey: cpub, CreatedHeight: 4}
	c, err := parseClusterRecord(mustMarshal(t, &cl), 3)
	if err != nil || c.ID != 3 || c.Version != 2 || !bytes.Equal(c.PublicKey, cpub) {
		t.Fatalf("cluster %+v, %v", c, err)
	}
	if _, err := parseClusterRecord(mustMarshal(t, &cl), 4); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("cluster read under another id: %v", err)
	}
	buf, err := collections.Uint64Value.Encode(3)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parseWorkerCluster(buf); err != nil || got != 3 {
		t.Fatalf("worker cluster %d, %v", got, err)
	}

	rk := bytes.Repeat([]byte{5}, protocol.ReceiveKeyLen)
	w := registrytypes.Worker{IdentityKey: id(1), ReceiveKey: rk, Operator: "op", TeeKind: "sim", Measurement: []byte{1},
		ConfidenceLevel: 1, PruntimeVersion: "0.1.0", RegisteredHeight: 3, Endpoint: "x", RegistrationInfo: []byte{2},
		Advisories: []string{"INTEL-SA-1"}, PlatformId: "p"}
	if got, err := parseWorkerReceiveKey(mustMarshal(t, &w), id(1)); err != nil || !bytes.Equal(got, rk) {
		t.Fatalf("receive key %x, %v", got, err)
	}
	if _, err := parseWorkerReceiveKey(mustMarshal(t, &w), id(2)); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("worker read under another identity: %v", err)
	}
}

type marshaler interface{ Marshal() ([]byte, error) }

func mustMarshal(t testing.TB, m marshaler) []byte {
	t.Helper()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzBootstrapRecords: the parsers of proven registry records never panic
// and accept only what they can use.
func FuzzBootstrapRecords(f *testing.F) {
	id := bytes.Repeat([]byte{1}, protocol.IdentityKeyLen)
	rot := gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_ACKING,
		Gatekeepers: []gatekeepertypes.RotationGatekeeper{{IdentityKey: id, AckedHeight: 3}}, Proposer: id,
		PublicKey: bytes.Repeat([]byte{3}, protocol.MasterPublicKeyLen)}
	cl := gatekeepertypes.Cluster{Id: 1, KeyVersion: 0, PublicKey: bytes.Repeat([]byte{9}, 32)}
	w := registrytypes.Worker{IdentityKey: id, ReceiveKey: bytes.Repeat([]byte{5}, protocol.ReceiveKeyLen)}
	for _, m := range []marshaler{&rot, &cl, &w} {
		f.Add(mustMarshal(f, m))
	}
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		if rec, err := parseRotationRecord(b, 1); err == nil {
			if rec.To != 1 || rec.From != 0 || len(rec.Gatekeepers) == 0 || len(rec.Gatekeepers) > protocol.MaxRotationGatekeepers {
				t.Fatalf("accepted %+v", rec)
			}
		} else if !errors.Is(err, ErrBadRequest) {
			t.Fatalf("error %v is not ErrBadRequest", err)
		}
		if c, err := parseClusterRecord(b, 1); err == nil && (c.ID != 1 || (len(c.PublicKey) != 0 && len(c.PublicKey) != 32)) {
			t.Fatalf("accepted %+v", c)
		}
		if rk, err := parseWorkerReceiveKey(b, id); err == nil && len(rk) != protocol.ReceiveKeyLen {
			t.Fatalf("accepted a %d-byte receive key", len(rk))
		}
		if c, err := parseWorkerCluster(b); err == nil && c == 0 {
			t.Fatal("accepted cluster 0")
		}
	})
}

// TestBootstrapReadsReassignedRanges: a gatekeeper that bootstraps after the
// chain moved ranges (stalled ones) takes the ranges now assigned to it and
// gives up its own one that went to another, as the pruned
// registry/reencrypt_reassigned entries would have told it.
func TestBootstrapReadsReassignedRanges(t *testing.T) {
	t.Parallel()
	nodes, _ := gatekeeperSet(t, 3)
	up, late := nodes[:2], nodes[2]
	applyAll(t, up, rotationStart(0, nodes...))
	_, p := proposed(t, nodes[0], nodes[0].takeOne(protocol.TopicRotationProposal))
	rows := snapshotRows(nodes, nodes...)
	rows[1].Assignee = late.id()     // range 1 stalled and went to the late one
	rows[2].Assignee = nodes[0].id() // the late one's own range went to nodes[0]
	rows[1].Done, rows[1].Total = 5, 9
	rec := chainRotation(t, gatekeepertypes.Rotation{FromVersion: 0, ToVersion: 1, Phase: gatekeepertypes.ROTATION_PHASE_REENCRYPTING,
		StartHeight: 5, Gatekeepers: rows, Proposer: nodes[0].id(), PublicKey: p.PublicKey, ProposedHeight: 6, ActivatedHeight: 8})
	late.bootstrap(provenState{first: 100, registered: true, gatekeeper: true, masterPubKeys: [][]byte{p.PublicKey},
		view: bootstrapView{rotation: rec}})
	rs := late.r.st.Rotation
	if rs == nil || rs.RangeState != state.RangeLost || rs.Range != 2 {
		t.Fatalf("own range after the bootstrap: %+v, want range 2 lost to another gatekeeper", rs)
	}
	if len(rs.Adopted) != 1 || rs.Adopted[0] != (state.AdoptedRange{Range: 1, Done: 5, Total: 9}) {
		t.Fatalf("adopted ranges %+v, want range 1 with the chain's progress", rs.Adopted)
	}
}
