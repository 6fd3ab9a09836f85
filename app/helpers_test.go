package app_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// testTopic is a gatekeeper-origin egress topic that only test chains route
// (apptest.Options.Routes), so that the gatekeeper channel can be tested
// apart from the registry's topics. testTaskTopic carries its tasks.
const (
	testModule    = "gktest"
	testTopic     = "gktest/ping"
	testTaskTopic = "gktest/task"
)

// recorder is the handler of testTopic: it keeps every delivered message.
type recorder struct{ got []protocol.Message }

func (r *recorder) handle(_ sdk.Context, m protocol.Message) error {
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) route() apptest.Route {
	return apptest.Route{Module: testModule, Topic: testTopic, Handler: keeper.Handler(r.handle)}
}

// requireCode fails unless (code, codespace) is want's registered ABCI code.
func requireCode(t *testing.T, what string, code uint32, codespace, log string, want *errorsmod.Error) {
	t.Helper()
	if code != want.ABCICode() || codespace != want.Codespace() {
		t.Fatalf("%s: got code %d (%q), want %d (%q) %q; log: %s", what, code, codespace, want.ABCICode(), want.Codespace(), want.Error(), log)
	}
}

// requireOK fails unless code is 0.
func requireOK(t *testing.T, what string, code uint32, log string) {
	t.Helper()
	if code != 0 {
		t.Fatalf("%s: code %d: %s", what, code, log)
	}
}

// view is everything a rejected egress or registration transaction must
// leave untouched: the whole mq and registry state (params, ingress log,
// sequences, votes, workers, gatekeepers) and the submitter's balance and
// account sequence.
type view struct {
	mq, registry []byte
	balance      sdk.Coins
	accSeq       uint64
}

func viewOf(t *testing.T, c *apptest.Chain, ctx sdk.Context, acc *apptest.Account) view {
	t.Helper()
	mq, err := c.App.MQKeeper.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.App.RegistryKeeper.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := c.App.AccountKeeper.GetSequence(ctx, acc.Address)
	if err != nil {
		t.Fatal(err)
	}
	cdc := c.App.AppCodec()
	return view{
		mq:       cdc.MustMarshal(mq),
		registry: cdc.MustMarshal(reg),
		balance:  c.App.BankKeeper.GetAllBalances(ctx, acc.Address),
		accSeq:   seq,
	}
}

func requireSameView(t *testing.T, what string, before, after view) {
	t.Helper()
	if !bytes.Equal(before.mq, after.mq) {
		t.Errorf("%s: mq state changed", what)
	}
	if !bytes.Equal(before.registry, after.registry) {
		t.Errorf("%s: registry state changed", what)
	}
	if !before.balance.Equal(after.balance) {
		t.Errorf("%s: submitter balance %s, was %s", what, after.balance, before.balance)
	}
	if before.accSeq != after.accSeq {
		t.Errorf("%s: submitter account sequence %d, was %d", what, after.accSeq, before.accSeq)
	}
}

// nextSeq returns the next egress sequence the chain expects from o in ctx.
func nextSeq(t *testing.T, c *apptest.Chain, ctx sdk.Context, o protocol.Origin) uint64 {
	t.Helper()
	n, err := c.App.MQKeeper.Sequences.Get(ctx, o.Key())
	if err != nil {
		return 0 // never sent
	}
	return n
}

// balance returns acc's bond-denom balance in ctx.
func balance(c *apptest.Chain, ctx sdk.Context, acc *apptest.Account) sdk.Coin {
	return c.App.BankKeeper.GetBalance(ctx, acc.Address, app.BondDenom)
}

// events returns the events of type typ.
func events(evs []abci.Event, typ string) []abci.Event {
	var out []abci.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// attr returns the value of attribute key of e.
func attr(e abci.Event, key string) string {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// rawMessage encodes a message field by field, without the validation
// protocol.Message.Encode does, so that tests can build bodies the encoder
// refuses to produce.
func rawMessage(version, kind byte, id []byte, topic string, seq uint64, payloadLen uint32, payload []byte) []byte {
	b := []byte{version, kind, byte(len(id))}
	b = append(b, id...)
	b = append(b, byte(len(topic)))
	b = append(b, topic...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint32(b, payloadLen)
	return append(b, payload...)
}

// signRaw signs an arbitrary body with w's identity key for chainID.
func signRaw(w *apptest.Worker, chainID string, body []byte) mqtypes.SignedMessage {
	return mqtypes.SignedMessage{
		Body:      body,
		Signer:    w.PublicKey(),
		Signature: ed25519.Sign(w.Identity, protocol.SigningBytes(protocol.ContextMQ, chainID, body)),
	}
}

// endpointMsg is a valid worker-origin egress message from w at seq.
func endpointMsg(w *apptest.Worker, seq uint64) protocol.Message {
	return protocol.Message{Origin: protocol.WorkerOrigin(w.PublicKey()), Topic: protocol.TopicWorkerEndpoint, Seq: seq, Payload: []byte("https://worker.example:8000")}
}

// pushTestTasks allocates n gatekeeper tasks answered on testTopic, one
// block each, and returns their sequences.
func pushTestTasks(c *apptest.Chain, n int) []uint64 {
	var seqs []uint64
	for i := range n {
		seqs = append(seqs, c.PushGatekeeperTask(testModule, testTaskTopic, testTopic, []byte{byte(i)}))
	}
	return seqs
}

// gkMsg is a gatekeeper-origin message on testTopic.
func gkMsg(seq uint64, payload string) protocol.Message {
	return protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: testTopic, Seq: seq, Payload: []byte(payload)}
}
