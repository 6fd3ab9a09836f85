package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
)

// masterPub returns a valid master public key, different for each seed.
func masterPub(t testing.TB, seed byte) []byte {
	t.Helper()
	k, err := crypto.MasterKeyFromSecret(0, bytes.Repeat([]byte{seed}, crypto.MasterSecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey()
}

// fromWorker is a message on topic from the worker origin of testKey(seed).
func fromWorker(seed byte, topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.WorkerOrigin(pub(testKey(seed))), Topic: topic, Payload: payload}
}

// fromGatekeepers is a gatekeeper-origin (quorum) message on topic.
func fromGatekeepers(topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: topic, Payload: payload}
}

// handle runs h on m as x/mq delivers a message: in a cached context whose
// writes and events are kept only if h accepts it. The fixture's event
// manager is fresh, so it holds this delivery's events only.
func (f *fixture) handle(t testing.TB, h mqkeeper.Handler, m protocol.Message) error {
	t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	cached, write := f.ctx.CacheContext()
	err := h(cached, m)
	if err == nil {
		write()
	}
	return err
}

// mustHandle runs handle and fails the test if h rejects m.
func (f *fixture) mustHandle(t testing.TB, h mqkeeper.Handler, m protocol.Message) {
	t.Helper()
	if err := f.handle(t, h, m); err != nil {
		t.Fatalf("%s from %s: %v", m.Topic, m.Origin, err)
	}
}

// launch records master key v0 from its launcher, testKey(seed).
func (f *fixture) launch(t testing.TB, seed byte) []byte {
	t.Helper()
	pk := masterPub(t, seed)
	f.mustHandle(t, f.k.HandleMasterKey, fromWorker(seed, protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 0, PublicKey: pk}.Encode()))
	return pk
}

// launchedFixture returns a chain whose workers are seeds workers and
// gatekeepers seeds gks (registered and added in order, all of them
// workers), whose first gatekeeper has launched master key v0.
func launchedFixture(t testing.TB, gks, workers []byte) *fixture {
	t.Helper()
	f := newFixture(t)
	for _, s := range append(append([]byte(nil), gks...), workers...) {
		f.registerSim(t, s)
	}
	for _, s := range gks {
		f.addGatekeeper(t, s)
	}
	f.launch(t, gks[0])
	return f
}

// receiveKey returns the registered receive key of worker testKey(seed).
func (f *fixture) receiveKey(t testing.TB, seed byte) []byte {
	t.Helper()
	w, err := f.reg.GetWorker(f.ctx, pub(testKey(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return w.ReceiveKey
}

// gatekeeper returns the record of gatekeeper testKey(seed).
func (f *fixture) gatekeeper(t testing.TB, seed byte) types.Gatekeeper {
	t.Helper()
	g, err := f.k.Gatekeepers.Get(f.ctx, pub(testKey(seed)))
	if err != nil {
		t.Fatalf("gatekeeper %d: %v", seed, err)
	}
	return g
}

// ingressSince returns the ingress entries from index on.
func (f *fixture) ingressSince(t testing.TB, index int) []protocol.Message {
	t.Helper()
	return f.ingress(t)[index:]
}

// entry is an expected ingress entry, from the module that owns its topic.
type entry struct {
	topic   string
	payload []byte
}

// wantIngress requires got to be exactly the entries want.
func wantIngress(t testing.TB, got []protocol.Message, want ...entry) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Origin.Equal(protocol.ModuleOrigin(protocol.TopicModule(want[i].topic))) && got[i].Topic == want[i].topic && bytes.Equal(got[i].Payload, want[i].payload)
	}
	if ok {
		return
	}
	var gs, ws []string
	for _, m := range got {
		gs = append(gs, m.Topic)
	}
	for _, e := range want {
		ws = append(ws, e.topic)
	}
	t.Fatalf("ingress %q, want %q (or payloads differ)", gs, ws)
}

// createCluster creates a cluster of worker seeds owned by the fixture's
// operator and returns its id.
func (f *fixture) createCluster(t testing.TB, seeds ...byte) uint64 {
	t.Helper()
	var ws []string
	for _, s := range seeds {
		ws = append(ws, keyHex(s))
	}
	resp, err := f.msgs.CreateCluster(f.ctx, &types.MsgCreateCluster{Owner: f.operator, Workers: ws})
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	return resp.ClusterId
}

// publishClusterKey delivers cluster id's public key from the gatekeepers.
func (f *fixture) publishClusterKey(t testing.TB, id uint64, version uint32) []byte {
	t.Helper()
	pk := bytes.Repeat([]byte{byte(id)}, protocol.ClusterPublicKeyLen)
	p := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: id, Version: version}, PublicKey: pk}
	f.mustHandle(t, f.k.HandleClusterKey, fromGatekeepers(protocol.TopicClusterKey, p.Encode()))
	return pk
}
