package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestEgressRecheck: after a block, the mempool rechecks what it still
// holds. Recheck skips the signature (verified at CheckTx, bytes unchanged)
// but still evicts messages another transaction delivered, and keeps the
// ones still due.
func TestEgressRecheck(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 3)
	op, relayerA, relayerB := c.Accounts[0], c.Accounts[1], c.Accounts[2]
	w := c.RegisterWorker(op)
	msg := func(seq uint64) mqtypes.SignedMessage {
		return c.Sign(w, protocol.Message{Origin: protocol.WorkerOrigin(w.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Seq: seq, Payload: []byte("https://w.example")})
	}
	recheck := func(tx []byte) *abci.ResponseCheckTx {
		t.Helper()
		res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_Recheck})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// Relayer A's seq 0 and relayer B's copy of it both enter the mempool
	// only once: B's copy is stale in the check state already.
	txA := c.Tx(relayerA, 100_000, apptest.SyncMsg(relayerA, msg(0)))
	if res := c.CheckTx(txA); res.Code != 0 {
		t.Fatalf("CheckTx A: %s", res.Log)
	}
	// B relays seq 0 and 1; the block delivers B's transaction only.
	txB := c.Tx(relayerB, 100_000, apptest.SyncMsg(relayerB, msg(0), msg(1)))
	txNext := c.Tx(relayerB, 100_000, apptest.SyncMsg(relayerB, msg(2)))
	if res := c.NextBlock(txB); res[0].Code != 0 {
		t.Fatalf("deliver B: %s", res[0].Log)
	}
	// A's seq 0 is now delivered by B: recheck evicts it.
	if res := recheck(txA); res.Code != mqtypes.ErrStaleSequence.ABCICode() || res.Codespace != mqtypes.ModuleName {
		t.Fatalf("recheck of a delivered message: code %d (%s): %s", res.Code, res.Codespace, res.Log)
	}
	// Seq 2 is exactly next: recheck keeps it.
	if res := recheck(txNext); res.Code != 0 {
		t.Fatalf("recheck of the next message: code %d: %s", res.Code, res.Log)
	}
}
