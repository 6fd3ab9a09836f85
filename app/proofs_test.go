package app_test

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// The batch proof query answers many proven reads in one ABCI query, each
// exactly what the enclave's verifier accepts against the app hash; bad
// requests get an error and nothing else.
func TestProofBatchQuery(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	op := c.Accounts[0]
	ws := []*apptest.Worker{c.RegisterWorker(op), c.RegisterWorker(op)}
	height := c.App.LastBlockHeight()
	appHash := c.App.LastCommitID().Hash
	c.NextBlock()

	// Entry 0 is x/computation's genesis params; the workers are 1 and 2.
	keys := [][]byte{protocol.IngressKey(1), protocol.IngressKey(2), protocol.IngressKey(3)}
	var resp mqtypes.ProofBatchResponse
	res := proofBatch(t, c, height, &mqtypes.ProofBatchRequest{Store: mqtypes.StoreKey, Keys: keys})
	if res.Code != 0 {
		t.Fatalf("batch: code %d: %s", res.Code, res.Log)
	}
	if err := gogoproto.Unmarshal(res.Value, &resp); err != nil || len(resp.Values) != 3 {
		t.Fatalf("batch response: %v, %d values", err, len(resp.Values))
	}
	for i, v := range resp.Values[:2] {
		ops, err := chainsync.DecodeProofOps(v.ProofOps)
		if err != nil {
			t.Fatal(err)
		}
		_, m, err := chainsync.VerifyIngressEntry(appHash, uint64(i+1), v.Value, ops)
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if !bytes.Equal(m.Payload, ws[i].PublicKey()) {
			t.Fatalf("entry %d names another worker", i)
		}
	}
	absent, err := chainsync.DecodeProofOps(resp.Values[2].ProofOps)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Values[2].Value) != 0 || chainsync.VerifyNonMembership(appHash, protocol.MQStoreName, keys[2], absent) != nil {
		t.Fatal("index 3 does not exist yet: want a proof of absence")
	}

	for _, tc := range []struct {
		name string
		req  []byte
	}{
		{"not protobuf", []byte{0xff, 0xff}},
		{"unknown store", mustMarshal(t, &mqtypes.ProofBatchRequest{Store: "nope", Keys: keys})},
		{"no keys", mustMarshal(t, &mqtypes.ProofBatchRequest{Store: mqtypes.StoreKey})},
		{"too many keys", mustMarshal(t, &mqtypes.ProofBatchRequest{Store: mqtypes.StoreKey, Keys: make([][]byte, mqtypes.MaxProofBatch+1)})},
		{"empty key", mustMarshal(t, &mqtypes.ProofBatchRequest{Store: mqtypes.StoreKey, Keys: [][]byte{{}}})},
		{"oversized key", mustMarshal(t, &mqtypes.ProofBatchRequest{Store: mqtypes.StoreKey, Keys: [][]byte{make([]byte, 2048)}})},
	} {
		res, err := c.App.Query(t.Context(), &abci.RequestQuery{Path: mqtypes.ProofBatchPath, Data: tc.req, Height: height})
		if err != nil || res.Code == 0 || len(res.Value) != 0 || res.Log == "" {
			t.Errorf("%s: err %v, code %d, %d value bytes, log %q; want a rejection that says why", tc.name, err, res.Code, len(res.Value), res.Log)
		}
	}
}

func proofBatch(t *testing.T, c *apptest.Chain, height int64, req *mqtypes.ProofBatchRequest) *abci.ResponseQuery {
	t.Helper()
	res, err := c.App.Query(t.Context(), &abci.RequestQuery{Path: mqtypes.ProofBatchPath, Data: mustMarshal(t, req), Height: height})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustMarshal(t *testing.T, m gogoproto.Message) []byte {
	t.Helper()
	b, err := gogoproto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
