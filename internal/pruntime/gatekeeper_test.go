package pruntime

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/gatekeeper"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// These tests drive the gatekeeper state machine with chain messages as the
// chain would append them (x/registry's side is tested in app/), skipping
// only the proofs, which chainsync and the e2e tests cover.

// testNode is one pRuntime fed by a shared fake ingress log.
type testNode struct {
	t   testing.TB
	dir string
	r   *Runtime
}

func newTestNode(t testing.TB) *testNode {
	t.Helper()
	n := &testNode{t: t, dir: t.TempDir()}
	n.open()
	return n
}

func (n *testNode) open() {
	n.t.Helper()
	tee, err := OpenSimTEE(n.dir, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		n.t.Fatal(err)
	}
	r, err := newRuntime(validConfig(n.dir), tee, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		n.t.Fatal(err)
	}
	n.r = r
}

func (n *testNode) id() []byte         { return n.r.id.PublicKey() }
func (n *testNode) receiveKey() []byte { return n.r.id.Receive.PublicKey().Bytes() }

// apply applies chain messages as one sync call.
func (n *testNode) apply(msgs ...protocol.Message) error {
	r := n.r
	r.mu.Lock()
	defer r.mu.Unlock()
	tx := &state.Tx{Next: r.st.Clone(), Master: r.master.Clone()}
	force := false
	for _, m := range msgs {
		gk, err := r.dispatch.handleIngress(tx, m)
		if err != nil {
			return err
		}
		force = force || gk
		tx.Next.NextIngress++
	}
	return r.commitIngress(tx, force || len(tx.Next.Egress) != len(r.st.Egress))
}

func (n *testNode) mustApply(msgs ...protocol.Message) {
	n.t.Helper()
	if err := n.apply(msgs...); err != nil {
		n.t.Fatal(err)
	}
}

// take returns the pending messages on topic and drops them, as if the
// chain had acknowledged them.
func (n *testNode) take(topic string) []protocol.Message {
	n.t.Helper()
	var out []protocol.Message
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	keep := n.r.st.Egress[:0]
	for _, sm := range n.r.st.Egress {
		m, err := protocol.VerifySigned(n.r.id.ChainID, sm)
		if err != nil {
			n.t.Fatalf("own egress does not verify: %v", err)
		}
		if m.Topic == topic {
			out = append(out, m)
		} else {
			keep = append(keep, sm)
		}
	}
	n.r.st.Egress = keep
	n.r.publisher.publish()
	return out
}

func (n *testNode) takeOne(topic string) protocol.Message {
	n.t.Helper()
	ms := n.take(topic)
	if len(ms) != 1 {
		n.t.Fatalf("%d messages on %s, want 1", len(ms), topic)
	}
	return ms[0]
}

func ingressMsg(topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.ModuleOrigin("registry"), Topic: topic, Payload: payload}
}

func relayed(sender []byte, m protocol.Message) protocol.Message {
	return ingressMsg(m.Topic, protocol.Relayed{Sender: sender, Body: m.Payload}.Encode())
}

// launch makes n the first gatekeeper and returns v0's public key.
func launch(t testing.TB, n *testNode) []byte {
	t.Helper()
	n.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, n.id()), ingressMsg(protocol.TopicGatekeeperLaunch, n.id()))
	if got := n.r.Info().Role; got != api.RoleDummy {
		t.Fatalf("role after launch %q, want dummy until the key is on chain", got)
	}
	ann := n.takeOne(protocol.TopicMasterKey)
	rec, err := protocol.DecodeMasterKeyRecord(ann.Payload)
	if err != nil || rec.Version != 0 {
		t.Fatalf("announcement %+v: %v", rec, err)
	}
	n.mustApply(ingressMsg(protocol.TopicMasterKey, ann.Payload))
	if info := n.r.Info(); info.Role != api.RoleActive || info.MasterVersions != 1 {
		t.Fatalf("after the key is on chain: role %q, %d versions", info.Role, info.MasterVersions)
	}
	n.takeOne(protocol.TopicGatekeeperLive)
	return rec.PublicKey
}

// join adds n as gatekeeper after the launch and delivers the copies that
// senders make for it.
func join(t *testing.T, n *testNode, pub []byte, senders ...*testNode) {
	t.Helper()
	n.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, n.id()), ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()))
	deliverHistory(t, n, senders...)
}

// deliverHistory requests the history for n and relays the senders' copies.
func deliverHistory(t *testing.T, n *testNode, senders ...*testNode) {
	t.Helper()
	req := ingressMsg(protocol.TopicMasterKeyRequest, protocol.KeyRequest{Identity: n.id(), ReceiveKey: n.receiveKey()}.Encode())
	for _, s := range senders {
		s.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, n.id()), req)
		n.mustApply(req, relayed(s.id(), s.takeOne(protocol.TopicMasterKeyCopy)))
	}
}

func TestLaunchSealsBeforeAnnouncing(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	a.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, a.id()), ingressMsg(protocol.TopicGatekeeperLaunch, a.id()))
	// The announcement is pending egress: the sealed history must already
	// be on disk and hold the announced key.
	ann := a.takeOne(protocol.TopicMasterKey)
	h, err := state.LoadMasterHistory(a.dir, a.r.tee)
	if err != nil || h.Get(0) == nil {
		t.Fatalf("sealed history before the announcement left: %v", err)
	}
	rec, _ := protocol.DecodeMasterKeyRecord(ann.Payload)
	if !bytes.Equal(h.Get(0).PublicKey(), rec.PublicKey) {
		t.Fatal("sealed v0 is not the announced one")
	}
	raw, err := os.ReadFile(filepath.Join(a.dir, state.MasterKeysFile))
	if err != nil || bytes.Contains(raw, h.Get(0).Secret()) {
		t.Fatalf("history file unreadable (%v) or holds the secret in the clear", err)
	}

	// A restart before the key reaches the chain (checkpointed state says
	// launching) keeps the same key: nothing is regenerated.
	a.open()
	a.mustApply(ingressMsg(protocol.TopicMasterKey, ann.Payload))
	if info := a.r.Info(); info.Role != api.RoleActive || info.MasterPubkey == "" {
		t.Fatalf("after restart and the key on chain: %+v", info)
	}
}

func TestLaunchIgnoresOthersAndNonGatekeepers(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	// Launch for someone else, and a launch for a non-gatekeeper.
	a.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, a.id()), ingressMsg(protocol.TopicGatekeeperLaunch, b.id()))
	b.mustApply(ingressMsg(protocol.TopicGatekeeperLaunch, b.id()))
	for _, n := range []*testNode{a, b} {
		if len(n.take(protocol.TopicMasterKey)) != 0 || n.r.master.Count() != 0 {
			t.Fatal("generated a master key without being the designated launcher")
		}
	}
}

func TestLaunchWithAnotherKeyOnChainDoesNotGoLive(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	a.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, a.id()), ingressMsg(protocol.TopicGatekeeperLaunch, a.id()))
	other, _ := crypto.GenerateMasterKey(rand.Reader, 0)
	a.mustApply(ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: other.PublicKey()}.Encode()))
	if a.r.Info().Role == api.RoleActive || a.r.master.Count() != 0 {
		t.Fatal("went live on a key it did not generate")
	}
}

func TestJoiningGatekeeperReceivesAndVerifiesHistory(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	join(t, b, pub, a)
	info := b.r.Info()
	if info.Role != api.RoleActive || info.MasterPubkey != a.r.Info().MasterPubkey {
		t.Fatalf("joiner: %+v", info)
	}
	live := b.takeOne(protocol.TopicGatekeeperLive)
	if n, _ := protocol.DecodeU32("versions", live.Payload); n != 1 {
		t.Fatalf("live reports %d versions", n)
	}
	// Survives a restart: the history was sealed.
	b.open()
	if b.r.Info().Role != api.RoleActive || b.r.master.Get(0) == nil {
		t.Fatal("joiner lost its history over a restart")
	}
}

// A gatekeeper that sends a wrong master key is detected: the receiver
// reports it on chain and seals nothing.
func TestWrongMasterKeyIsReportedNotSealed(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	b.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, b.id()), ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()))
	req := protocol.KeyRequest{Identity: b.id(), ReceiveKey: b.receiveKey()}

	wrong, _ := crypto.GenerateMasterKey(rand.Reader, 0)
	var h state.MasterHistory
	h.Set(wrong)
	bad, err := gatekeeper.SealMasterKeys(b.r.id.ChainID, &h, req, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	good, err := gatekeeper.SealMasterKeys(b.r.id.ChainID, &a.r.master, req, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	otherChain, err := gatekeeper.SealMasterKeys("another-chain", &a.r.master, req, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	tampered := good
	tampered.Sealed = bytes.Clone(good.Sealed)
	tampered.Sealed[len(tampered.Sealed)-1] ^= 1
	beyond := good
	beyond.First = 1

	evil := bytes.Repeat([]byte{0xee}, 32)
	for name, c := range map[string]protocol.MasterKeyCopy{
		"wrong key": bad, "tampered": tampered, "sealed for another chain": otherChain, "versions not on chain": beyond,
	} {
		b.mustApply(ingressMsg(protocol.TopicMasterKeyCopy, protocol.Relayed{Sender: evil, Body: c.Encode()}.Encode()))
		fault := b.takeOne(protocol.TopicKeyFault)
		kf, err := protocol.DecodeKeyFault(fault.Payload)
		if err != nil || !bytes.Equal(kf.Sender, evil) || kf.Kind != protocol.FaultMasterKeyCopy {
			t.Fatalf("%s: fault %+v, %v", name, kf, err)
		}
		if b.r.Info().Role == api.RoleActive || b.r.master.Count() != 0 {
			t.Fatalf("%s: kept a key from a bad copy", name)
		}
		if _, err := os.Stat(filepath.Join(b.dir, state.MasterKeysFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: sealed something: %v", name, err)
		}
	}
	// The honest copy still works afterwards.
	b.mustApply(ingressMsg(protocol.TopicMasterKeyCopy, protocol.Relayed{Sender: a.id(), Body: good.Encode()}.Encode()))
	if b.r.Info().Role != api.RoleActive {
		t.Fatal("honest copy after bad ones not accepted")
	}
}

// A non-gatekeeper never keeps a master key, even one addressed to it.
func TestNonGatekeeperKeepsNoMasterKey(t *testing.T) {
	t.Parallel()
	a, w := newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	req := protocol.KeyRequest{Identity: w.id(), ReceiveKey: w.receiveKey()}
	c, err := gatekeeper.SealMasterKeys(a.r.id.ChainID, &a.r.master, req, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.mustApply(ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()),
		ingressMsg(protocol.TopicMasterKeyCopy, protocol.Relayed{Sender: a.id(), Body: c.Encode()}.Encode()))
	if w.r.master.Count() != 0 || w.r.Info().Role != api.RoleNone {
		t.Fatal("a worker that is not a gatekeeper kept the master key")
	}
	// A non-live designated gatekeeper does not answer key requests either.
	d := newTestNode(t)
	d.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, d.id()), ingressMsg(protocol.TopicMasterKeyRequest, req.Encode()))
	if len(d.take(protocol.TopicMasterKeyCopy)) != 0 {
		t.Fatal("a gatekeeper without keys answered a key request")
	}
}

func TestRemovedGatekeeperErasesKeysAndStops(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	launch(t, a)
	a.mustApply(ingressMsg(protocol.TopicGatekeeperRemoved, a.id()))
	if _, err := os.Stat(filepath.Join(a.dir, state.MasterKeysFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("history file still there: %v", err)
	}
	a.mustApply(ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.EncodeU64(10)}.Encode()))
	if a.r.Info().Role != api.RoleNone || len(a.take(protocol.TopicBeacon)) != 0 {
		t.Fatal("removed gatekeeper still acts")
	}
	a.open()
	if a.r.master.Count() != 0 {
		t.Fatal("history back after restart")
	}
}

// Quorum outputs are byte-identical across gatekeepers, including one that
// queued the task before it went live.
func TestQuorumOutputsAreIdentical(t *testing.T) {
	t.Parallel()
	a, b := newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	tasks := []protocol.Message{
		ingressMsg(protocol.TopicClusterTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.ClusterKeyID{Cluster: 7, Version: 0}.Encode()}.Encode()),
		ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 1, Body: protocol.EncodeU64(20)}.Encode()),
	}
	a.mustApply(tasks...)
	// b is designated, sees the tasks, and only then receives the history.
	b.mustApply(ingressMsg(protocol.TopicGatekeeperAdded, b.id()), ingressMsg(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()))
	b.mustApply(tasks...)
	if len(b.take(protocol.TopicClusterKey)) != 0 {
		t.Fatal("answered a task before holding the key")
	}
	deliverHistory(t, b, a)

	for _, topic := range []string{protocol.TopicClusterKey, protocol.TopicBeacon} {
		ma, mb := a.takeOne(topic), b.takeOne(topic)
		ea, _ := ma.Encode()
		eb, _ := mb.Encode()
		if ma.Origin.Kind != protocol.OriginGatekeeper || !bytes.Equal(ea, eb) {
			t.Fatalf("%s: gatekeepers disagree:\n%x\n%x", topic, ea, eb)
		}
	}
	b.take(protocol.TopicGatekeeperLive)
}

func TestBeaconCheck(t *testing.T) {
	t.Parallel()
	a := newTestNode(t)
	launch(t, a)
	a.mustApply(ingressMsg(protocol.TopicBeaconTask, protocol.GatekeeperTask{Seq: 0, Body: protocol.EncodeU64(10)}.Encode()))
	own := a.takeOne(protocol.TopicBeacon)
	a.mustApply(ingressMsg(protocol.TopicBeacon, own.Payload))
	b, _ := protocol.DecodeBeacon(own.Payload)
	b.Value = bytes.Repeat([]byte{1}, 32)
	a.mustApply(ingressMsg(protocol.TopicBeacon, b.Encode()))
	if a.r.st.GK.BeaconMismatches != 1 || a.r.Info().BeaconHeight != 10 {
		t.Fatalf("mismatches %d, beacon height %d", a.r.st.GK.BeaconMismatches, a.r.Info().BeaconHeight)
	}
}

func grant(w *testNode, cluster uint64, pub []byte) protocol.Message {
	return ingressMsg(protocol.TopicClusterGrant, protocol.ClusterGrant{
		ClusterKeyID: protocol.ClusterKeyID{Cluster: cluster}, PublicKey: pub, Worker: w.id(), ReceiveKey: w.receiveKey(),
	}.Encode())
}

func TestWorkerReceivesClusterKey(t *testing.T) {
	t.Parallel()
	a, w, outsider := newTestNode(t), newTestNode(t), newTestNode(t)
	launch(t, a)
	ck := a.r.master.Get(0).ClusterKey(3)
	pub := crypto.ClusterPublicKey(ck)

	g := grant(w, 3, pub)
	a.mustApply(g)
	c := a.takeOne(protocol.TopicClusterKeyCopy)
	w.mustApply(g, relayed(a.id(), c))
	cluster, version, key, ok := w.r.ClusterKeys().CurrentClusterKey()
	if !ok || cluster != 3 || version != 0 || key != ck {
		t.Fatalf("worker holds cluster %d v%d ok=%v, matching=%v", cluster, version, ok, key == ck)
	}
	if info := w.r.Info(); info.Cluster == nil || info.Cluster.ID != 3 || len(info.Cluster.KeyVersions) != 1 {
		t.Fatalf("info %+v", info.Cluster)
	}
	// Survives a restart (sealed checkpoint).
	w.open()
	if _, _, got, ok := w.r.ClusterKeys().CurrentClusterKey(); !ok || got != ck {
		t.Fatal("cluster key lost over a restart")
	}

	// A worker outside the cluster that sees the same copy gets nothing.
	outsider.mustApply(g, relayed(a.id(), c))
	if _, _, _, ok := outsider.r.ClusterKeys().CurrentClusterKey(); ok {
		t.Fatal("a worker outside the cluster got its key")
	}

	// Removal drops the key.
	w.mustApply(ingressMsg(protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 3, Worker: w.id()}.Encode()))
	if _, _, _, ok := w.r.ClusterKeys().CurrentClusterKey(); ok {
		t.Fatal("removed worker kept the cluster key")
	}
}

func TestWrongClusterKeyIsReported(t *testing.T) {
	t.Parallel()
	a, rogue, w := newTestNode(t), newTestNode(t), newTestNode(t)
	launch(t, a)
	launch(t, rogue) // another network's master key
	pub := crypto.ClusterPublicKey(a.r.master.Get(0).ClusterKey(3))
	g := grant(w, 3, pub)
	rogue.mustApply(g)
	bad := rogue.takeOne(protocol.TopicClusterKeyCopy)
	w.mustApply(g, relayed(rogue.id(), bad))
	kf, err := protocol.DecodeKeyFault(w.takeOne(protocol.TopicKeyFault).Payload)
	if err != nil || kf.Kind != protocol.FaultClusterKeyCopy || kf.Cluster != 3 || !bytes.Equal(kf.Sender, rogue.id()) {
		t.Fatalf("fault %+v %v", kf, err)
	}
	if _, _, _, ok := w.r.ClusterKeys().CurrentClusterKey(); ok {
		t.Fatal("kept a cluster key that does not match the chain")
	}
}

// No secret this package handles reaches its log.
func TestGatekeeperLogsNoSecrets(t *testing.T) {
	t.Parallel()
	buf := &e2etest.SyncBuffer{}
	a, b := newTestNode(t), newTestNode(t)
	for _, n := range []*testNode{a, b} {
		n.r.log = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	pub := launch(t, a)
	join(t, b, pub, a)
	out := buf.String()
	secret := a.r.master.Get(0).Secret()
	ck := a.r.master.Get(0).ClusterKey(1)
	for _, s := range [][]byte{secret, ck[:]} {
		for _, enc := range e2etest.SecretEncodings(s) {
			if strings.Contains(out, enc) {
				t.Fatalf("log contains key material %q", enc)
			}
		}
	}
	if !strings.Contains(out, "gatekeeper live") {
		t.Fatalf("log did not capture the run:\n%s", out)
	}
}
