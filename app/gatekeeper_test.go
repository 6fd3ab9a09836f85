package app_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// gkNet is a test chain with gatekeepers and workers whose pRuntimes the
// test plays: it signs their egress and reads the chain's ingress.
type gkNet struct {
	t       *testing.T
	c       *apptest.Chain
	relayer *apptest.Account
	owner   *apptest.Account
	// operator operates every gatekeeper and worker: the account whose
	// consent puts its workers into a cluster.
	operator *apptest.Account
	gks      []*apptest.Worker
	workers  []*apptest.Worker
}

// newGKNet starts a chain (beacon interval as given) with nGK gatekeepers,
// added in one block, and nWorkers other workers. Nothing is launched.
func newGKNet(t *testing.T, nGK, nWorkers int, beaconInterval uint64) *gkNet {
	t.Helper()
	return newGKNetWith(t, nGK, nWorkers, func(gs *gatekeepertypes.GenesisState) { gs.Params.BeaconIntervalBlocks = beaconInterval })
}

// newGKNetWith is newGKNet with the gatekeeper genesis edited by mutate.
func newGKNetWith(t *testing.T, nGK, nWorkers int, mutate func(*gatekeepertypes.GenesisState)) *gkNet {
	t.Helper()
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 3, Gatekeeper: mutate})
	n := &gkNet{t: t, c: c, relayer: c.Accounts[1], owner: c.Accounts[2], operator: c.Accounts[0]}
	op := n.operator
	for range nGK {
		n.gks = append(n.gks, c.RegisterWorker(op))
	}
	for range nWorkers {
		n.workers = append(n.workers, c.RegisterWorker(op))
	}
	c.AddGatekeepers(n.gks...)
	return n
}

// launch has the launcher (gks[0]) report master key v0 and every other
// gatekeeper report the history it received; it returns the public key.
func (n *gkNet) launch() []byte {
	n.t.Helper()
	mk, err := crypto.MasterKeyFromSecret(0, bytes.Repeat([]byte{0x42}, crypto.MasterSecretSize))
	if err != nil {
		n.t.Fatal(err)
	}
	n.requireHandled(n.send(n.gks[0], protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: mk.PublicKey()}.Encode()))
	for _, gk := range n.gks[1:] {
		n.requireHandled(n.send(gk, protocol.TopicGatekeeperLive, protocol.EncodeU32(1)))
	}
	return mk.PublicKey()
}

// send delivers a worker-origin message from w at its next sequence in a
// block of its own and returns the block's events. The transaction must
// succeed; the handler may still reject the payload (see requireRejected).
func (n *gkNet) send(w *apptest.Worker, topic string, payload []byte) []abci.Event {
	n.t.Helper()
	seq := nextSeq(n.t, n.c, n.c.CommittedContext(), protocol.WorkerOrigin(w.PublicKey()))
	m := protocol.Message{Origin: protocol.WorkerOrigin(w.PublicKey()), Topic: topic, Seq: seq, Payload: payload}
	return n.deliver(n.c.Sign(w, m))
}

// vote delivers gatekeeper gk's signature on a gatekeeper-origin message.
func (n *gkNet) vote(gk *apptest.Worker, seq uint64, topic string, payload []byte) []abci.Event {
	n.t.Helper()
	return n.deliver(n.c.Sign(gk, protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: topic, Seq: seq, Payload: payload}))
}

func (n *gkNet) deliver(sms ...mqtypes.SignedMessage) []abci.Event {
	n.t.Helper()
	res := n.c.NextBlock(n.c.Tx(n.relayer, 100_000, apptest.SyncMsg(n.relayer, sms...)))
	requireOK(n.t, "sync", res[0].Code, res[0].Log)
	return res[0].Events
}

// checkTx runs sms through CheckTx and requires the x/mq error want.
func (n *gkNet) checkTx(what string, want *errorsmod.Error, sms ...mqtypes.SignedMessage) {
	n.t.Helper()
	res := n.c.CheckTx(n.c.Tx(n.relayer, 100_000, apptest.SyncMsg(n.relayer, sms...)))
	n.relayer.Seq--
	requireCode(n.t, what, res.Code, res.Codespace, res.Log, want)
}

// tx delivers registry msgs signed by acc in a block and returns the result.
func (n *gkNet) tx(acc *apptest.Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	n.t.Helper()
	return n.c.NextBlock(n.c.Tx(acc, 100_000, msgs...))[0]
}

// requireHandled fails unless evs show one delivered message and no rejection.
func (n *gkNet) requireHandled(evs []abci.Event) {
	n.t.Helper()
	if r := events(evs, mqtypes.EventMessageRejected); len(r) != 0 {
		n.t.Fatalf("message rejected: %s", attr(r[0], mqtypes.AttributeError))
	}
	if len(events(evs, mqtypes.EventMessageDelivered)) != 1 {
		n.t.Fatalf("no message delivered")
	}
}

// requireRejected fails unless evs show the registry handler rejecting a
// message with want (its sequence is consumed, its writes dropped).
func (n *gkNet) requireRejected(what string, evs []abci.Event, want *errorsmod.Error) {
	n.t.Helper()
	r := events(evs, mqtypes.EventMessageRejected)
	if len(r) != 1 || !strings.Contains(attr(r[0], mqtypes.AttributeError), want.Error()) {
		var got []string
		for _, e := range r {
			got = append(got, attr(e, mqtypes.AttributeError))
		}
		n.t.Fatalf("%s: rejections %q, want one with %q", what, got, want.Error())
	}
}

// ingressSince returns the ingress messages from index on.
func (n *gkNet) ingressSince(index int) []protocol.Message { return n.c.Ingress()[index:] }

// topics lists the topics of ms.
func topics(ms []protocol.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Topic)
	}
	return out
}

// tasks returns the gatekeeper tasks in ms on topic.
func tasks(t *testing.T, ms []protocol.Message, topic string) []protocol.GatekeeperTask {
	t.Helper()
	var out []protocol.GatekeeperTask
	for _, m := range ms {
		if m.Topic != topic {
			continue
		}
		task, err := protocol.DecodeGatekeeperTask(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, task)
	}
	return out
}

func (n *gkNet) receiveKey(w *apptest.Worker) []byte {
	n.t.Helper()
	rec, err := n.c.App.RegistryKeeper.GetWorker(n.c.CommittedContext(), w.PublicKey())
	if err != nil {
		n.t.Fatal(err)
	}
	return rec.ReceiveKey
}

// TestMasterKeyLaunch runs the launch through real blocks: only the
// designated launcher's valid v0 is recorded; a master key copy reaches only
// gatekeepers, and only from a live one; a gatekeeper goes live only with the
// whole history.
func TestMasterKeyLaunch(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 1, 0)
	gk1, gk2, gk3, w := n.gks[0], n.gks[1], n.gks[2], n.workers[0]
	var launches [][]byte
	for _, m := range n.c.Ingress() {
		if m.Topic == protocol.TopicGatekeeperLaunch {
			launches = append(launches, m.Payload)
		}
	}
	if len(launches) != 1 || !bytes.Equal(launches[0], gk1.PublicKey()) {
		t.Fatalf("launches %x, want one, of the first gatekeeper added", launches)
	}
	pk := func(seed byte) []byte {
		k, err := crypto.MasterKeyFromSecret(0, bytes.Repeat([]byte{seed}, crypto.MasterSecretSize))
		if err != nil {
			t.Fatal(err)
		}
		return k.PublicKey()
	}
	masterKeys := func() int {
		resp, err := n.c.App.GatekeeperKeeper.MasterKeyCount(n.c.CommittedContext())
		if err != nil {
			t.Fatal(err)
		}
		return int(resp)
	}
	n.requireRejected("v0 from a gatekeeper that is not the launcher",
		n.send(gk2, protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pk(2)}.Encode()), gatekeepertypes.ErrNotLauncher)
	n.requireRejected("v0 with a public key off the curve",
		n.send(gk1, protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...)}.Encode()), gatekeepertypes.ErrInvalidMasterKey)
	if masterKeys() != 0 {
		t.Fatal("a rejected master key was recorded")
	}

	mark := len(n.c.Ingress())
	rec := protocol.MasterKeyRecord{PublicKey: pk(1)}.Encode()
	n.requireHandled(n.send(gk1, protocol.TopicMasterKey, rec))
	got := n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicMasterKey, protocol.TopicMasterKeyRequest, protocol.TopicMasterKeyRequest}) || !bytes.Equal(got[0].Payload, rec) {
		t.Fatalf("ingress after v0: %q", topics(got))
	}
	for _, m := range got[1:] {
		req, err := protocol.DecodeKeyRequest(m.Payload)
		if err != nil || (!bytes.Equal(req.Identity, gk2.PublicKey()) && !bytes.Equal(req.Identity, gk3.PublicKey())) {
			t.Fatalf("master key request %+v, %v: want gk2 and gk3", req, err)
		}
	}
	n.requireRejected("second v0", n.send(gk1, protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pk(9)}.Encode()), gatekeepertypes.ErrMasterKeyExists)
	if masterKeys() != 1 {
		t.Fatal("second v0 recorded")
	}

	cp := func(to *apptest.Worker) []byte {
		return protocol.MasterKeyCopy{Recipient: to.PublicKey(), First: 0, Count: 1, Sealed: []byte("sealed")}.Encode()
	}
	mark = len(n.c.Ingress())
	n.requireRejected("copy to a worker that is no gatekeeper", n.send(gk1, protocol.TopicMasterKeyCopy, cp(w)), gatekeepertypes.ErrInvalidRecipient)
	n.requireRejected("copy from a gatekeeper not live", n.send(gk2, protocol.TopicMasterKeyCopy, cp(gk3)), gatekeepertypes.ErrNotLive)
	if got := n.ingressSince(mark); len(got) != 0 {
		t.Fatalf("rejected copies reached ingress: %q", topics(got))
	}
	n.requireHandled(n.send(gk1, protocol.TopicMasterKeyCopy, cp(gk2)))
	relayed := n.c.Ingress()[len(n.c.Ingress())-1]
	if r, err := protocol.DecodeRelayed(relayed.Payload); relayed.Topic != protocol.TopicMasterKeyCopy || err != nil ||
		!bytes.Equal(r.Sender, gk1.PublicKey()) || !bytes.Equal(r.Body, cp(gk2)) {
		t.Fatalf("relayed copy %s %x", relayed.Topic, relayed.Payload)
	}

	n.requireRejected("live with the wrong version count", n.send(gk2, protocol.TopicGatekeeperLive, protocol.EncodeU32(2)), gatekeepertypes.ErrKeyVersionMismatch)
	n.requireHandled(n.send(gk2, protocol.TopicGatekeeperLive, protocol.EncodeU32(1)))
	g, err := n.c.App.GatekeeperKeeper.Gatekeepers.Get(n.c.CommittedContext(), gk2.PublicKey())
	if err != nil || g.LiveHeight == 0 {
		t.Fatalf("gk2 %+v, %v: want live", g, err)
	}
	n.requireHandled(n.send(gk2, protocol.TopicMasterKeyCopy, cp(gk3)))

	// A key fault from gk3 about gk1's copy is counted.
	n.requireHandled(n.send(gk3, protocol.TopicKeyFault, protocol.KeyFault{Sender: gk1.PublicKey(), Kind: protocol.FaultMasterKeyCopy}.Encode()))
	if g, _ := n.c.App.GatekeeperKeeper.Gatekeepers.Get(n.c.CommittedContext(), gk1.PublicKey()); g.Faults != 1 {
		t.Fatalf("gk1 faults %d, want 1", g.Faults)
	}
	n.requireRejected("master key fault from a worker", n.send(w, protocol.TopicKeyFault,
		protocol.KeyFault{Sender: gk1.PublicKey(), Kind: protocol.FaultMasterKeyCopy}.Encode()), gatekeepertypes.ErrNotGatekeeper)
}

// TestLauncherRemovedBeforeLaunch: governance removes a launcher that never
// delivers; the next gatekeeper in key order is told to launch, and the old
// one's late v0 is refused.
func TestLauncherRemovedBeforeLaunch(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 0, 0)
	n.c.RemoveGatekeepers(n.gks[0])
	rest := [][]byte{n.gks[1].PublicKey(), n.gks[2].PublicKey()}
	slices.SortFunc(rest, bytes.Compare)
	ing := n.c.Ingress()
	if last := ing[len(ing)-1]; last.Topic != protocol.TopicGatekeeperLaunch || !bytes.Equal(last.Payload, rest[0]) {
		t.Fatalf("last ingress %s %x, want the launch of %x", last.Topic, last.Payload, rest[0])
	}
	mk, _ := crypto.MasterKeyFromSecret(0, bytes.Repeat([]byte{1}, crypto.MasterSecretSize))
	n.requireRejected("the removed launcher's v0", n.send(n.gks[0], protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: mk.PublicKey()}.Encode()), gatekeepertypes.ErrNotLauncher)
}

// TestClusterKeyDistribution runs a cluster through real blocks: creation
// asks the gatekeepers for its key through a task; the key takes a quorum of
// identical gatekeeper votes at the task's sequence (one forger is not
// enough); members get grants; key copies reach members only.
func TestClusterKeyDistribution(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 3, 0)
	gk1, gk2, gk3 := n.gks[0], n.gks[1], n.gks[2]
	w1, w2, w3 := n.workers[0], n.workers[1], n.workers[2]
	owner := n.operator.Address.String()

	res := n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: owner, Workers: []string{w1.Hex(), w2.Hex()}})
	requireCode(t, "cluster before the launch", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrNoMasterKey)
	n.launch()

	mark := len(n.c.Ingress())
	res = n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: owner, Workers: []string{w1.Hex(), w2.Hex()}})
	requireOK(t, "create cluster", res.Code, res.Log)
	var created gatekeepertypes.MsgCreateClusterResponse
	decodeMsgResponse(t, n.c, res.Data, &created)
	ts := tasks(t, n.ingressSince(mark), protocol.TopicClusterTask)
	if created.ClusterId != 1 || len(ts) != 1 {
		t.Fatalf("cluster %d with tasks %+v; want cluster 1 and one task", created.ClusterId, ts)
	}
	if id, err := protocol.DecodeClusterKeyID(ts[0].Body); err != nil || id.Cluster != 1 || id.Version != 0 {
		t.Fatalf("task body %x: %+v, %v", ts[0].Body, id, err)
	}
	seq := ts[0].Seq
	res = n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: owner, Workers: []string{w2.Hex()}})
	requireCode(t, "a member in a second cluster", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrWorkerInCluster)

	key := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, PublicKey: bytes.Repeat([]byte{0xc1}, 32)}.Encode()
	forged := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, PublicKey: bytes.Repeat([]byte{0xf0}, 32)}.Encode()
	gkVote := func(gk *apptest.Worker, seq uint64, topic string, payload []byte) mqtypes.SignedMessage {
		return n.c.Sign(gk, protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: topic, Seq: seq, Payload: payload})
	}
	n.checkTx("cluster key from a worker origin", mqtypes.ErrInvalidOrigin,
		n.c.Sign(gk1, protocol.Message{Origin: protocol.WorkerOrigin(gk1.PublicKey()), Topic: protocol.TopicClusterKey,
			Seq: nextSeq(t, n.c, n.c.CommittedContext(), protocol.WorkerOrigin(gk1.PublicKey())), Payload: key}))
	n.checkTx("cluster key signed by a worker that is no gatekeeper", mqtypes.ErrUnknownSender, gkVote(w3, seq, protocol.TopicClusterKey, key))
	n.checkTx("vote at a sequence without a task", mqtypes.ErrNoTask, gkVote(gk1, seq+1, protocol.TopicClusterKey, key))
	n.checkTx("vote on another topic than the task's", mqtypes.ErrInvalidTopic, gkVote(gk1, seq, protocol.TopicBeacon, key))

	cluster := func() gatekeepertypes.Cluster {
		c, err := n.c.App.GatekeeperKeeper.GetCluster(n.c.CommittedContext(), 1)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// A lone forger is recorded, not delivered.
	evs := n.vote(gk1, seq, protocol.TopicClusterKey, forged)
	if len(events(evs, mqtypes.EventMessageDelivered)) != 0 || len(cluster().PublicKey) != 0 {
		t.Fatal("one gatekeeper's vote published a cluster key")
	}
	n.vote(gk2, seq, protocol.TopicClusterKey, key)
	mark = len(n.c.Ingress())
	n.requireHandled(n.vote(gk3, seq, protocol.TopicClusterKey, key))
	if !bytes.Equal(cluster().PublicKey, bytes.Repeat([]byte{0xc1}, 32)) {
		t.Fatalf("cluster key %x, want the quorum's", cluster().PublicKey)
	}
	got := n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicClusterKey, protocol.TopicClusterGrant, protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after the cluster key: %q", topics(got))
	}
	granted := map[string][]byte{}
	for _, m := range got[1:] {
		g, err := protocol.DecodeClusterGrant(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		granted[string(g.Worker)] = g.ReceiveKey
	}
	for _, w := range []*apptest.Worker{w1, w2} {
		if !bytes.Equal(granted[string(w.PublicKey())], n.receiveKey(w)) {
			t.Errorf("no grant to %s with its receive key", w.Hex())
		}
	}
	if has, _ := n.c.App.MQKeeper.Tasks.Has(n.c.CommittedContext(), seq); has {
		t.Error("task still pending after delivery")
	}

	cp := func(to *apptest.Worker) []byte {
		return protocol.ClusterKeyCopy{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, Recipient: to.PublicKey(), Sealed: []byte("sealed")}.Encode()
	}
	n.requireRejected("cluster key copy to a worker outside the cluster", n.send(gk1, protocol.TopicClusterKeyCopy, cp(w3)), gatekeepertypes.ErrInvalidRecipient)
	n.requireHandled(n.send(gk1, protocol.TopicClusterKeyCopy, cp(w2)))

	res = n.tx(n.relayer, &gatekeepertypes.MsgRemoveClusterWorker{Signer: n.relayer.Address.String(), ClusterId: 1, Worker: w2.Hex()})
	requireCode(t, "removal by another account", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrRemovalNotAllowed)
	res = n.tx(n.operator, &gatekeepertypes.MsgRemoveClusterWorker{Signer: owner, ClusterId: 1, Worker: w2.Hex()})
	requireOK(t, "remove member", res.Code, res.Log)
	if last := n.c.Ingress()[len(n.c.Ingress())-1]; last.Topic != protocol.TopicClusterMemberRemoved {
		t.Fatalf("last ingress %s, want %s", last.Topic, protocol.TopicClusterMemberRemoved)
	}
	n.requireRejected("cluster key copy to a removed member", n.send(gk1, protocol.TopicClusterKeyCopy, cp(w2)), gatekeepertypes.ErrInvalidRecipient)

	// A worker added now is granted the published key at once.
	mark = len(n.c.Ingress())
	res = n.tx(n.operator, &gatekeepertypes.MsgAddClusterWorker{Owner: owner, ClusterId: 1, Worker: w3.Hex()})
	requireOK(t, "add member", res.Code, res.Log)
	if got := n.ingressSince(mark); !slices.Equal(topics(got), []string{protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after adding a member: %q", topics(got))
	}
	n.requireHandled(n.send(gk2, protocol.TopicClusterKeyCopy, cp(w3)))

	// Everything survives an export and re-import.
	exp1 := n.c.Export()
	mq1, reg1 := moduleStates(t, exp1)
	imported := n.c.Import(t, exp1)
	mq2, reg2 := moduleStates(t, imported.Export())
	if !bytes.Equal(mq1, mq2) || !bytes.Equal(reg1, reg2) {
		t.Errorf("state differs after export and import:\nregistry %s\nthen     %s", reg1, reg2)
	}
	rgs := gatekeeperState(t, n.c, reg1)
	if len(rgs.MasterKeys) != 1 || len(rgs.Clusters) != 1 || rgs.NextClusterId != 2 || rgs.Gatekeepers[0].Faults != 0 {
		t.Errorf("exported registry: %d master keys, %d clusters, next id %d", len(rgs.MasterKeys), len(rgs.Clusters), rgs.NextClusterId)
	}
	if c, err := imported.App.GatekeeperKeeper.GetCluster(imported.CommittedContext(), 1); err != nil || len(c.PublicKey) == 0 {
		t.Errorf("imported cluster %+v, %v", c, err)
	}
}

// TestBeacon runs the beacon through real blocks: a task every interval once
// the master key exists; one gatekeeper alone cannot set it; a quorum can;
// a beacon older than the latest is refused.
func TestBeacon(t *testing.T) {
	t.Parallel()
	const interval = 4
	n := newGKNet(t, 3, 0, interval)
	gk1, gk2, gk3 := n.gks[0], n.gks[1], n.gks[2]
	for range interval {
		n.c.NextBlock()
	}
	if ts := tasks(t, n.c.Ingress(), protocol.TopicBeaconTask); len(ts) != 0 {
		t.Fatalf("beacon tasks before the master key: %+v", ts)
	}
	n.launch()
	launched, err := n.c.App.GatekeeperKeeper.MasterKeys.Get(n.c.CommittedContext(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 * interval {
		n.c.NextBlock()
	}
	// One task per multiple of the interval from the launch block on.
	ts := tasks(t, n.c.Ingress(), protocol.TopicBeaconTask)
	var heights, want []uint64
	for _, task := range ts {
		h, err := protocol.DecodeU64("height", task.Body)
		if err != nil {
			t.Fatal(err)
		}
		heights = append(heights, h)
	}
	for h := uint64(launched.Height); h <= uint64(n.c.App.LastBlockHeight()); h++ {
		if h%interval == 0 {
			want = append(want, h)
		}
	}
	if !slices.Equal(heights, want) || len(want) < 3 {
		t.Fatalf("beacon tasks for heights %v, want %v", heights, want)
	}
	beacon := func(h uint64, b byte) []byte {
		return protocol.Beacon{Height: h, Version: 0, Value: bytes.Repeat([]byte{b}, protocol.BeaconLen)}.Encode()
	}
	latest := func() *gatekeepertypes.Beacon {
		b, err := n.c.App.GatekeeperKeeper.LatestBeacon.Get(n.c.CommittedContext())
		if err != nil {
			return nil
		}
		return &b
	}
	// The first task: a lone forged vote, then the honest quorum.
	if evs := n.vote(gk1, ts[0].Seq, protocol.TopicBeacon, beacon(heights[0], 0xee)); len(events(evs, mqtypes.EventMessageDelivered)) != 0 || latest() != nil {
		t.Fatal("one gatekeeper's beacon was accepted")
	}
	n.vote(gk2, ts[0].Seq, protocol.TopicBeacon, beacon(heights[0], 1))
	n.requireHandled(n.vote(gk3, ts[0].Seq, protocol.TopicBeacon, beacon(heights[0], 1)))
	if b := latest(); b == nil || b.Height != heights[0] || b.Value[0] != 1 {
		t.Fatalf("latest beacon %+v, want height %d from the quorum", b, heights[0])
	}
	// The second task answered, by quorum, with the stale first height.
	n.vote(gk2, ts[1].Seq, protocol.TopicBeacon, beacon(heights[0], 2))
	n.requireRejected("stale beacon", n.vote(gk3, ts[1].Seq, protocol.TopicBeacon, beacon(heights[0], 2)), gatekeepertypes.ErrStaleBeacon)
	if b := latest(); b.Value[0] != 1 {
		t.Fatal("a stale beacon replaced the latest")
	}

	// Pending beacon tasks and the latest beacon survive an export and
	// re-import, and the imported chain takes the next answer.
	exp := n.c.Export()
	mq1, reg1 := moduleStates(t, exp)
	var mgs mqtypes.GenesisState
	n.c.App.AppCodec().MustUnmarshalJSON(mq1, &mgs)
	if len(mgs.Tasks) == 0 || mgs.Tasks[0].ReplyTopic != protocol.TopicBeacon || mgs.Tasks[0].Seq != ts[2].Seq {
		t.Fatalf("exported tasks %+v, want the pending beacon tasks from seq %d", mgs.Tasks, ts[2].Seq)
	}
	imported := n.c.Import(t, exp)
	mq2, reg2 := moduleStates(t, imported.Export())
	if !bytes.Equal(reg1, reg2) {
		t.Errorf("registry state differs after export and import:\n%s\n%s", reg1, reg2)
	}
	// The imported chain's first block may have asked for one more beacon.
	var mgs2 mqtypes.GenesisState
	n.c.App.AppCodec().MustUnmarshalJSON(mq2, &mgs2)
	if len(mgs2.Tasks) < len(mgs.Tasks) || !slices.Equal(mgs2.Tasks[:len(mgs.Tasks)], mgs.Tasks) ||
		len(mgs2.Votes) != len(mgs.Votes) || mgs2.NextIngressIndex < mgs.NextIngressIndex {
		t.Errorf("mq state after import: %d tasks, %d votes; exported %d, %d", len(mgs2.Tasks), len(mgs2.Votes), len(mgs.Tasks), len(mgs.Votes))
	}
	n.c = imported
	n.relayer = imported.Accounts[1]
	n.vote(gk1, ts[2].Seq, protocol.TopicBeacon, beacon(heights[2], 3))
	n.requireHandled(n.vote(gk2, ts[2].Seq, protocol.TopicBeacon, beacon(heights[2], 3)))
	if b := latest(); b == nil || b.Height != heights[2] {
		t.Fatalf("latest beacon after import %+v, want height %d", b, heights[2])
	}
}

// TestRegistryRoutes pins which origin each registry topic takes: what one
// worker reports comes from its worker origin; what the gatekeepers must
// agree on comes only from the gatekeeper origin (quorum).
func TestRegistryRoutes(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	r := c.App.MQKeeper.Router()
	for _, tc := range []struct {
		topic      string
		gatekeeper bool
	}{
		{protocol.TopicWorkerEndpoint, false},
		{protocol.TopicMasterKey, false},
		{protocol.TopicMasterKeyCopy, false},
		{protocol.TopicGatekeeperLive, false},
		{protocol.TopicKeyFault, false},
		{protocol.TopicClusterKeyCopy, false},
		{protocol.TopicClusterKeyRequest, false},
		{protocol.TopicMasterKeyRefetch, false},
		{protocol.TopicRotationProposal, false},
		{protocol.TopicRotationAck, false},
		{protocol.TopicReencryptProgress, false},
		{protocol.TopicClusterKey, true},
		{protocol.TopicBeacon, true},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			t.Parallel()
			_, fromWorker := r.Accepts(tc.topic, protocol.OriginWorker)
			routed, fromGK := r.Accepts(tc.topic, protocol.OriginGatekeeper)
			if !routed || fromWorker == tc.gatekeeper || fromGK != tc.gatekeeper {
				t.Errorf("routed %v, takes worker %v, gatekeeper %v", routed, fromWorker, fromGK)
			}
		})
	}
	// Ingress-only topics take no egress.
	for _, topic := range []string{protocol.TopicGatekeeperLaunch, protocol.TopicMasterKeyRequest, protocol.TopicClusterTask,
		protocol.TopicClusterGrant, protocol.TopicClusterMemberRemoved, protocol.TopicBeaconTask,
		protocol.TopicRotationStart, protocol.TopicRotationProposed, protocol.TopicRotationProposalRejected,
		protocol.TopicReencryptStart, protocol.TopicMasterKeyRetired, protocol.TopicMasterKeyErase} {
		if routed, _ := r.Accepts(topic, protocol.OriginWorker); routed {
			t.Errorf("ingress topic %s is routed for egress", topic)
		}
	}
}
