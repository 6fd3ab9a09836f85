package app_test

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"

	"cosmossdk.io/store/rootmulti"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestIngressWorkerRegistered registers a worker and reads the ingress entry
// that announces it the way a relayer does: through the mq Ingress gRPC query
// over ABCI at a height, and as a raw store key with a proof against that
// height's app hash, which is what a pRuntime verifies.
func TestIngressWorkerRegistered(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	op := c.Accounts[0]
	before := c.App.LastBlockHeight()
	w := c.RegisterWorker(op)
	height := c.App.LastBlockHeight()
	appHash := c.App.LastCommitID().Hash
	c.NextBlock() // queries with proofs need the next height committed

	var resp mqtypes.QueryIngressResponse
	query(t, c, "/gatekeeper.mq.v1.Query/Ingress", height, &mqtypes.QueryIngressRequest{}, &resp)
	// Entry 0 is x/computation's params, published at genesis.
	if len(resp.Entries) != 2 || resp.FirstIndex != 0 || resp.NextIndex != 2 {
		t.Fatalf("ingress at height %d: %+v, want the genesis entry and one more", height, resp)
	}
	if m, err := protocol.DecodeMessage(resp.Entries[0].Message); err != nil || m.Topic != protocol.TopicComputationParams {
		t.Fatalf("genesis entry %+v, %v; want %s", m, err, protocol.TopicComputationParams)
	}
	e := resp.Entries[1]
	if e.Index != 1 || e.Height != uint64(height) {
		t.Fatalf("entry index %d height %d, want 1 at %d", e.Index, e.Height, height)
	}
	m, err := protocol.DecodeMessage(e.Message)
	if err != nil {
		t.Fatal(err)
	}
	want := protocol.Message{Origin: protocol.ModuleOrigin(registrytypes.ModuleName), Topic: protocol.TopicWorkerRegistered, Seq: 1, Payload: w.PublicKey()}
	if !m.Origin.Equal(want.Origin) || m.Topic != want.Topic || m.Seq != want.Seq || !bytes.Equal(m.Payload, want.Payload) {
		t.Fatalf("entry message %+v, want %+v", m, want)
	}

	// The state before the registration has only the genesis entry.
	var earlier mqtypes.QueryIngressResponse
	query(t, c, "/gatekeeper.mq.v1.Query/Ingress", before, &mqtypes.QueryIngressRequest{}, &earlier)
	if len(earlier.Entries) != 1 || earlier.NextIndex != 1 {
		t.Fatalf("ingress at height %d: %+v, want the genesis entry only", before, earlier)
	}

	// The stored value is provable against the app hash of its height.
	key := mqtypes.IngressStoreKey(1)
	res, err := c.App.Query(t.Context(), &abci.RequestQuery{Path: "/store/" + mqtypes.StoreKey + "/key", Data: key, Height: height, Prove: true})
	if err != nil || res.Code != 0 {
		t.Fatalf("store query: %v (code %d: %s)", err, res.Code, res.Log)
	}
	value := protocol.IngressEntry{Height: e.Height, Message: e.Message}.Encode()
	if !bytes.Equal(res.Value, value) {
		t.Fatalf("stored value %x, want %x", res.Value, value)
	}
	path := merkle.KeyPath{}.AppendKey([]byte(mqtypes.StoreKey), merkle.KeyEncodingURL).AppendKey(key, merkle.KeyEncodingURL)
	if err := rootmulti.DefaultProofRuntime().VerifyValue(res.ProofOps, appHash, path.String(), value); err != nil {
		t.Fatalf("proof of ingress entry 1: %v", err)
	}

	// Designating the worker a gatekeeper appends the next entries: it is
	// added, and as the first gatekeeper it must launch the master key.
	c.AddGatekeepers(w)
	var next mqtypes.QueryIngressResponse
	query(t, c, "/gatekeeper.mq.v1.Query/Ingress", c.App.LastBlockHeight(), &mqtypes.QueryIngressRequest{Start: 2}, &next)
	if len(next.Entries) != 2 {
		t.Fatalf("ingress from 2: %+v, want entries 2 and 3", next)
	}
	for i, topic := range []string{protocol.TopicGatekeeperAdded, protocol.TopicGatekeeperLaunch} {
		e := next.Entries[i]
		if e.Index != uint64(i+2) || e.Height != uint64(c.App.LastBlockHeight()) {
			t.Fatalf("entry %d at height %d, want entry %d at height %d", e.Index, e.Height, i+2, c.App.LastBlockHeight())
		}
		if m, err := protocol.DecodeMessage(e.Message); err != nil || m.Topic != topic || !bytes.Equal(m.Payload, w.PublicKey()) {
			t.Fatalf("entry %d: %+v, %v; want %s with the identity key", e.Index, m, err, topic)
		}
	}
}

// query runs a gRPC query through the app's ABCI Query at height.
func query(t *testing.T, c *apptest.Chain, path string, height int64, req, resp interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
},
) {
	t.Helper()
	data, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.App.Query(t.Context(), &abci.RequestQuery{Path: path, Data: data, Height: height})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if res.Code != 0 {
		t.Fatalf("%s: code %d (%s): %s", path, res.Code, res.Codespace, res.Log)
	}
	if err := resp.Unmarshal(res.Value); err != nil {
		t.Fatal(err)
	}
}
