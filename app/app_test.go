package app_test

import (
	"testing"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestWorkerAnnouncesEndpoint runs the whole path through real blocks: an
// attested registration, then a signed egress message routed to x/registry.
func TestWorkerAnnouncesEndpoint(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 2)
	op, relayer := c.Accounts[0], c.Accounts[1]
	w := c.RegisterWorker(op)

	m := protocol.Message{Origin: protocol.WorkerOrigin(w.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Seq: 0, Payload: []byte("https://worker.example:8000")}
	sm, err := protocol.SignMessage(apptest.ChainID, w.Identity, &m)
	if err != nil {
		t.Fatal(err)
	}
	tx := c.Tx(relayer, 100_000, &mqtypes.MsgSyncMessages{
		Submitter: relayer.Address.String(),
		Messages:  []mqtypes.SignedMessage{{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}},
	})
	if res := c.CheckTx(tx); res.Code != 0 {
		t.Fatalf("CheckTx: code %d: %s", res.Code, res.Log)
	}
	res := c.NextBlock(tx)
	if res[0].Code != 0 {
		t.Fatalf("deliver: code %d: %s", res[0].Code, res[0].Log)
	}
	got, err := c.App.RegistryKeeper.GetWorker(c.Context(), w.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if got.Endpoint != "https://worker.example:8000" {
		t.Fatalf("endpoint = %q", got.Endpoint)
	}
	// The same message again is stale: rejected before it reaches a block.
	if res := c.CheckTx(c.Tx(relayer, 100_000, &mqtypes.MsgSyncMessages{
		Submitter: relayer.Address.String(),
		Messages:  []mqtypes.SignedMessage{{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}},
	})); res.Code != mqtypes.ErrStaleSequence.ABCICode() || res.Codespace != mqtypes.ModuleName {
		t.Fatalf("replay: code %d (%s): %s", res.Code, res.Codespace, res.Log)
	}
}
