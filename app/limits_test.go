package app_test

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// max_messages_per_tx bounds the whole transaction, however the messages
// are split across MsgSyncMessages.
func TestEgressLimitIsPerTransaction(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 2)
	op, relayer := c.Accounts[0], c.Accounts[1]
	w := c.RegisterWorker(op)
	half := int(mqtypes.DefaultMaxMessagesPerTx)/2 + 1
	batch := func(from int) *mqtypes.MsgSyncMessages {
		var sms []mqtypes.SignedMessage
		for i := from; i < from+half; i++ {
			sms = append(sms, c.Sign(w, protocol.Message{Origin: protocol.WorkerOrigin(w.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Seq: uint64(i), Payload: []byte("https://w.example")}))
		}
		return apptest.SyncMsg(relayer, sms...)
	}
	res := c.CheckTx(c.TxWith(relayer, 1_000_000, nil, batch(0), batch(half)))
	if res.Code != mqtypes.ErrTooManyMessages.ABCICode() || res.Codespace != mqtypes.ModuleName {
		t.Fatalf("two batches of %d: code %d (%s): %s", half, res.Code, res.Codespace, res.Log)
	}
}

// A topic that takes only worker messages rejects a gatekeeper vote before it
// is recorded, so it cannot use up a sequence of the gatekeeper channel.
func TestEgressTopicOriginRestriction(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 2)
	op, relayer := c.Accounts[0], c.Accounts[1]
	w := c.RegisterWorker(op)
	c.AddGatekeepers(w)
	vote := c.Sign(w, protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicWorkerEndpoint, Seq: 0, Payload: []byte("https://w.example")})
	before, err := c.App.MQKeeper.ExportGenesis(c.CommittedContext())
	if err != nil {
		t.Fatal(err)
	}
	res := c.CheckTx(c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, vote)))
	if res.Code != mqtypes.ErrInvalidOrigin.ABCICode() || res.Codespace != mqtypes.ModuleName {
		t.Fatalf("gatekeeper vote on a worker topic: code %d (%s): %s", res.Code, res.Codespace, res.Log)
	}
	c.NextBlock()
	after, err := c.App.MQKeeper.ExportGenesis(c.CommittedContext())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.App.AppCodec().MustMarshalJSON(before), c.App.AppCodec().MustMarshalJSON(after)) {
		t.Fatal("a rejected vote changed the mq state")
	}
}
