package keeper_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"

	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

const (
	testChainID = "test-chain"
	testHeight  = 10

	// testModule owns the test topics; its handler records what it is given.
	testModule = "test"
	// topicEcho is routed to the test handler. A payload of failPayload makes
	// the handler write to the store and then fail.
	topicEcho = "test/echo"
	// topicEchoOut is the ingress topic the handler writes to, so that tests
	// can see whether a handler's writes were kept.
	topicEchoOut = "test/echo_out"
	failPayload  = "fail"
	// topicTask is the ingress topic of the test module's gatekeeper tasks;
	// pushTasks asks for answers on topicEcho.
	topicTask = "test/task"
	// topicAlt is another gatekeeper-answerable topic, recorded like
	// topicEcho.
	topicAlt = "test/alt"
	// topicWorkerOnly is routed for worker messages only.
	topicWorkerOnly = "test/worker_only"
)

var testTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeSenders is the SenderRegistry of the tests: a set of worker keys and an
// ordered gatekeeper list.
type fakeSenders struct {
	workers     map[string]bool
	gatekeepers [][]byte
}

func (s *fakeSenders) IsWorker(_ context.Context, key []byte) (bool, error) {
	return s.workers[string(key)], nil
}

func (s *fakeSenders) GatekeeperKeys(context.Context) ([][]byte, error) {
	return slices.Clone(s.gatekeepers), nil
}

func (s *fakeSenders) removeGatekeeper(key []byte) {
	s.gatekeepers = slices.DeleteFunc(s.gatekeepers, func(k []byte) bool { return bytes.Equal(k, key) })
}

// fixture is one keeper over a fresh store. Tests that share nothing may run in
// parallel because every test builds its own fixture.
type fixture struct {
	ctx       sdk.Context
	storeKey  *storetypes.KVStoreKey
	cdc       codec.Codec
	k         *keeper.Keeper
	msgs      types.MsgServer
	query     types.QueryServer
	senders   *fakeSenders
	authority string
	submitter string

	// handled lists, in order, the messages the test handler was given.
	handled []protocol.Message

	workers []ed25519.PrivateKey // registered workers
	gks     []ed25519.PrivateKey // gatekeepers, also registered workers
	outside ed25519.PrivateKey   // a key nobody registered
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	storeKey := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, storeKey, storetypes.NewTransientStoreKey("transient_test"))
	ctx := tc.Ctx.WithChainID(testChainID).WithBlockHeight(testHeight).WithBlockTime(testTime)

	reg := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(reg)
	cdc := codec.NewProtoCodec(reg)
	ac := addresscodec.Bech32Codec{Bech32Prefix: "gk"}
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	if err != nil {
		t.Fatal(err)
	}
	submitter, err := ac.BytesToString(bytes.Repeat([]byte{7}, 20))
	if err != nil {
		t.Fatal(err)
	}

	k, err := keeper.NewKeeper(cdc, runtime.NewKVStoreService(storeKey), ac, authority)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		ctx:       ctx,
		storeKey:  storeKey,
		cdc:       cdc,
		k:         k,
		msgs:      keeper.NewMsgServerImpl(k),
		query:     keeper.NewQueryServerImpl(k),
		senders:   &fakeSenders{workers: map[string]bool{}},
		authority: authority,
		submitter: submitter,
		outside:   testKey(99),
	}
	for i := range 2 {
		f.workers = append(f.workers, testKey(byte(1+i)))
	}
	for i := range 3 {
		f.gks = append(f.gks, testKey(byte(10+i)))
	}
	for _, w := range append(slices.Clone(f.workers), f.gks...) {
		f.senders.workers[string(pub(w))] = true
	}
	for _, g := range f.gks {
		f.senders.gatekeepers = append(f.senders.gatekeepers, pub(g))
	}
	k.SetSenderRegistry(f.senders)
	handler := func(ctx sdk.Context, m protocol.Message) error {
		f.handled = append(f.handled, m)
		if _, err := k.PushIngress(ctx, testModule, topicEchoOut, m.Payload); err != nil {
			return err
		}
		if string(m.Payload) == failPayload {
			return errors.New("test handler: refusing payload")
		}
		return nil
	}
	k.Router().AddRoute(testModule, topicEcho, handler)
	k.Router().AddRoute(testModule, topicAlt, handler)
	k.Router().AddRouteFor(testModule, topicWorkerOnly, []protocol.OriginKind{protocol.OriginWorker}, handler)
	if err := k.InitGenesis(ctx, types.DefaultGenesisState()); err != nil {
		t.Fatal(err)
	}
	return f
}

// setParams replaces the params through the Msg service.
func (f *fixture) setParams(t testing.TB, mutate func(*types.Params)) {
	t.Helper()
	p := types.DefaultParams()
	mutate(&p)
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p}); err != nil {
		t.Fatalf("UpdateParams: %v", err)
	}
}

// pushTasks allocates n gatekeeper tasks answered on topicEcho and returns
// their sequences.
func (f *fixture) pushTasks(t testing.TB, n int) []uint64 {
	t.Helper()
	return f.pushTasksOn(t, n, topicEcho)
}

// pushTasksOn allocates n gatekeeper tasks answered on reply.
func (f *fixture) pushTasksOn(t testing.TB, n int, reply string) []uint64 {
	t.Helper()
	var seqs []uint64
	for i := range n {
		seq, err := f.k.PushGatekeeperTask(f.ctx, testModule, topicTask, reply, []byte{byte(i)})
		if err != nil {
			t.Fatalf("PushGatekeeperTask: %v", err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

// snapshot returns the whole store as exported genesis JSON; comparing two
// snapshots shows whether anything changed in between.
func (f *fixture) snapshot(t testing.TB) []byte {
	t.Helper()
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatalf("ExportGenesis: %v", err)
	}
	return f.cdc.MustMarshalJSON(gs)
}

func (f *fixture) assertUnchanged(t testing.TB, before []byte) {
	t.Helper()
	if after := f.snapshot(t); !bytes.Equal(before, after) {
		t.Errorf("state changed by a rejected message:\nbefore %s\nafter  %s", before, after)
	}
}

// sync submits msgs in one MsgSyncMessages, with a fresh event manager.
func (f *fixture) sync(msgs ...types.SignedMessage) (*types.MsgSyncMessagesResponse, error) {
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	return f.msgs.SyncMessages(f.ctx, &types.MsgSyncMessages{Submitter: f.submitter, Messages: msgs})
}

// mustSync submits msgs and fails the test on error.
func (f *fixture) mustSync(t testing.TB, msgs ...types.SignedMessage) *types.MsgSyncMessagesResponse {
	t.Helper()
	resp, err := f.sync(msgs...)
	if err != nil {
		t.Fatalf("SyncMessages: %v", err)
	}
	return resp
}

func (f *fixture) nextSeq(t testing.TB, origin protocol.Origin) uint64 {
	t.Helper()
	resp, err := f.query.NextSequence(f.ctx, &types.QueryNextSequenceRequest{Origin: origin.String()})
	if err != nil {
		t.Fatalf("NextSequence(%s): %v", origin, err)
	}
	return resp.NextSeq
}

func (f *fixture) nextIngress(t testing.TB) uint64 {
	t.Helper()
	resp, err := f.query.Ingress(f.ctx, &types.QueryIngressRequest{})
	if err != nil {
		t.Fatalf("Ingress: %v", err)
	}
	return resp.NextIndex
}

// handledPayloads returns the payloads the test handler saw, in order.
func (f *fixture) handledPayloads() []string {
	var out []string
	for _, m := range f.handled {
		out = append(out, string(m.Payload))
	}
	return out
}

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// sign signs m for chainID with key and returns it as carried in a Msg.
func sign(t testing.TB, chainID string, key ed25519.PrivateKey, m protocol.Message) types.SignedMessage {
	t.Helper()
	sm, err := protocol.SignMessage(chainID, key, &m)
	if err != nil {
		t.Fatalf("SignMessage: %v", err)
	}
	return types.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
}

// signRaw signs an arbitrary body, bypassing Encode's validation, so that tests
// can carry bodies the encoder refuses to produce.
func signRaw(chainID string, key ed25519.PrivateKey, body []byte) types.SignedMessage {
	return types.SignedMessage{
		Body:      body,
		Signer:    pub(key),
		Signature: ed25519.Sign(key, protocol.SigningBytes(protocol.ContextMQ, chainID, body)),
	}
}

// rawBody encodes a message by hand in the canonical layout (see
// protocol.Message.Encode) without validating any field.
func rawBody(kind protocol.OriginKind, id []byte, topic string, seq uint64, payload []byte) []byte {
	b := []byte{1, byte(kind), byte(len(id))}
	b = append(b, id...)
	b = append(b, byte(len(topic)))
	b = append(b, topic...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// workerMsg is a message on the echo topic from worker key at seq.
func workerMsg(key ed25519.PrivateKey, seq uint64, payload string) protocol.Message {
	return protocol.Message{Origin: protocol.WorkerOrigin(pub(key)), Topic: topicEcho, Seq: seq, Payload: []byte(payload)}
}

// gkMsg is a gatekeeper-origin message on the echo topic at seq.
func gkMsg(seq uint64, payload string) protocol.Message {
	return protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: topicEcho, Seq: seq, Payload: []byte(payload)}
}

// hasEvent reports whether events hold one of type typ whose attributes
// include every key/value pair in attrs.
func hasEvent(events sdk.Events, typ string, attrs map[string]string) bool {
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		found := 0
		for _, a := range e.Attributes {
			if v, ok := attrs[a.Key]; ok && v == a.Value {
				found++
			}
		}
		if found == len(attrs) {
			return true
		}
	}
	return false
}

func countEvents(events sdk.Events, typ string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func wantErrIs(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}
