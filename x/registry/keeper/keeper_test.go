package keeper_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
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

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
	gatekeeperkeeper "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/migration"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqkeeper "github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

const (
	testChainID = "test-chain"
	testHeight  = 10
)

var (
	testTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	// simMeasurement is allow-listed for the sim kind in every fixture.
	simMeasurement = [32]byte{0x5a, 0x5a, 0x5a, 1}
	// otherMeasurement is allowed for no kind.
	otherMeasurement = [32]byte{0x0b, 0xad}
)

// The shared helpers of registrytest under the names the tests use.
var (
	testKey   = registrytest.TestKey
	pub       = registrytest.Pub
	keyHex    = registrytest.KeyHex
	hasEvent  = registrytest.HasEvent
	wantErrIs = registrytest.WantErrIs
)

// fixture is a registry keeper wired to real gatekeeper and mq keepers over
// one fresh multistore, as in the app: the registry appends ingress, and
// the mq keeper asks the registry who may send egress.
type fixture struct {
	ctx       sdk.Context
	cdc       codec.Codec
	ac        addresscodec.Bech32Codec
	k         *keeper.Keeper
	gk        *gatekeeperkeeper.Keeper
	mq        *mqkeeper.Keeper
	msgs      types.MsgServer
	gkMsgs    gatekeepertypes.MsgServer
	query     types.QueryServer
	mqMsgs    mqtypes.MsgServer
	mqQuery   mqtypes.QueryServer
	authority string
	operator  string
	tee       *sim.TEE
	platform  ed25519.PrivateKey // signs quotes made with attest.NewSimQuote
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, attest.SimVerifier{}, registrytest.FakeVerifier{})
}

// newFixtureWith is newFixture with the given verifiers.
func newFixtureWith(t testing.TB, verifiers ...attest.Verifier) *fixture {
	t.Helper()
	mqKey := storetypes.NewKVStoreKey(mqtypes.StoreKey)
	regKey := storetypes.NewKVStoreKey(types.StoreKey)
	gkKey := storetypes.NewKVStoreKey(gatekeepertypes.StoreKey)
	ctx := testutil.DefaultContextWithKeys(
		map[string]*storetypes.KVStoreKey{mqtypes.StoreKey: mqKey, types.StoreKey: regKey, gatekeepertypes.StoreKey: gkKey},
		map[string]*storetypes.TransientStoreKey{"transient_test": storetypes.NewTransientStoreKey("transient_test")},
		nil,
	).WithChainID(testChainID).WithBlockHeight(testHeight).WithBlockTime(testTime)

	reg := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(reg)
	gatekeepertypes.RegisterInterfaces(reg)
	mqtypes.RegisterInterfaces(reg)
	cdc := codec.NewProtoCodec(reg)
	ac := addresscodec.Bech32Codec{Bech32Prefix: "gk"}
	authority := registrytest.MustAddr(t, ac, authtypes.NewModuleAddress("gov"))

	mq, err := mqkeeper.NewKeeper(cdc, runtime.NewKVStoreService(mqKey), ac, authority)
	if err != nil {
		t.Fatal(err)
	}
	k, err := keeper.NewKeeper(cdc, runtime.NewKVStoreService(regKey), ac, authority, mq, verifiers...)
	if err != nil {
		t.Fatal(err)
	}
	records, err := migration.NewStore(cdc, runtime.NewKVStoreService(gkKey))
	if err != nil {
		t.Fatal(err)
	}
	gk, err := gatekeeperkeeper.NewKeeper(cdc, runtime.NewKVStoreService(gkKey), ac, authority, k, mq, records)
	if err != nil {
		t.Fatal(err)
	}
	mig, err := migration.NewKeeper(records, gk, k, mq, nil)
	if err != nil {
		t.Fatal(err)
	}
	mq.SetSenderRegistry(senders{k, gk})
	// The routes of app.go.
	worker := []protocol.OriginKind{protocol.OriginWorker}
	gatekeepers := []protocol.OriginKind{protocol.OriginGatekeeper}
	for _, r := range []struct {
		topic   string
		origins []protocol.OriginKind
		h       mqkeeper.Handler
	}{
		{protocol.TopicWorkerEndpoint, worker, k.HandleEndpoint},
	} {
		mq.Router().AddRouteFor(types.ModuleName, r.topic, r.origins, r.h)
	}
	for _, r := range []struct {
		topic   string
		origins []protocol.OriginKind
		h       mqkeeper.Handler
	}{
		{protocol.TopicMasterKey, worker, gk.HandleMasterKey},
		{protocol.TopicMasterKeyCopy, worker, gk.HandleMasterKeyCopy},
		{protocol.TopicGatekeeperLive, worker, gk.HandleGatekeeperLive},
		{protocol.TopicKeyFault, worker, gk.HandleKeyFault},
		{protocol.TopicClusterKeyCopy, worker, gk.HandleClusterKeyCopy},
		{protocol.TopicRotationProposal, worker, gk.HandleRotationProposal},
		{protocol.TopicRotationAck, worker, gk.HandleRotationAck},
		{protocol.TopicReencryptProgress, worker, gk.HandleReencryptProgress},
		{protocol.TopicMigrationHandover, worker, mig.HandleMigrationHandover},
		{protocol.TopicMigrationReady, worker, mig.HandleMigrationReady},
		{protocol.TopicMigrationFault, worker, mig.HandleMigrationFault},
		{protocol.TopicClusterKey, gatekeepers, gk.HandleClusterKey},
		{protocol.TopicBeacon, gatekeepers, gk.HandleBeacon},
	} {
		mq.Router().AddRouteFor(gatekeepertypes.ModuleName, r.topic, r.origins, r.h)
	}
	if err := mq.InitGenesis(ctx, mqtypes.DefaultGenesisState()); err != nil {
		t.Fatal(err)
	}
	gs := types.DefaultGenesisState()
	gs.Params.AllowSimulatedTee = true
	gs.Measurements = []types.Measurement{
		{TeeKind: attest.KindSim, Measurement: simMeasurement[:], Description: "test pruntime"},
		{TeeKind: registrytest.FakeKind, Measurement: registrytest.FakeMeasurement[:]},
	}
	if err := k.InitGenesis(ctx, gs); err != nil {
		t.Fatal(err)
	}
	if err := gk.InitGenesis(ctx, gatekeepertypes.DefaultGenesisState()); err != nil {
		t.Fatal(err)
	}
	if err := mig.InitGenesis(ctx, gatekeepertypes.DefaultGenesisState()); err != nil {
		t.Fatal(err)
	}

	tee, err := sim.Open(sim.Config{
		Dir:         t.TempDir(),
		Measurement: simMeasurement[:],
		Now:         func() time.Time { return testTime.Add(-time.Minute) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		ctx:       ctx,
		cdc:       cdc,
		ac:        ac,
		k:         k,
		gk:        gk,
		mq:        mq,
		msgs:      keeper.NewMsgServerImpl(k, mig),
		gkMsgs:    gatekeeperkeeper.NewMsgServerImpl(gk, mig),
		query:     keeper.NewQueryServerImpl(k, mig),
		mqMsgs:    mqkeeper.NewMsgServerImpl(mq),
		mqQuery:   mqkeeper.NewQueryServerImpl(mq),
		authority: authority,
		operator:  registrytest.MustAddr(t, ac, bytes.Repeat([]byte{0x0a}, 20)),
		tee:       tee,
		platform:  ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xee}, ed25519.SeedSize)),
	}
}

// info returns registration info on the fixture's chain for the worker with
// key testKey(seed) run by the fixture's operator, with a fresh HPKE receive key.
func (f *fixture) info(t testing.TB, seed byte) protocol.RegistrationInfo {
	t.Helper()
	return registrytest.Info(t, testChainID, f.operator, seed)
}

// simMsg returns a registration of info attested by the fixture's sim TEE.
func (f *fixture) simMsg(t testing.TB, info protocol.RegistrationInfo) *types.MsgRegisterWorker {
	t.Helper()
	return registrytest.SimMsg(t, f.tee, info)
}

// fakeMsg returns a registration of info attested by a fake-kind quote at level.
func (f *fixture) fakeMsg(t testing.TB, info protocol.RegistrationInfo, level byte) *types.MsgRegisterWorker {
	t.Helper()
	return registrytest.FakeMsg(t, info, level)
}

// register registers msg through the Msg service and fails the test on error.
func (f *fixture) register(t testing.TB, msg *types.MsgRegisterWorker) {
	t.Helper()
	if _, err := f.msgs.RegisterWorker(f.ctx, msg); err != nil {
		t.Fatalf("RegisterWorker: %v", err)
	}
}

// registerSim registers the sim worker testKey(seed).
func (f *fixture) registerSim(t testing.TB, seed byte) {
	t.Helper()
	f.register(t, f.simMsg(t, f.info(t, seed)))
}

// registerFake registers the fake-kind worker testKey(seed) at level.
func (f *fixture) registerFake(t testing.TB, seed, level byte) {
	t.Helper()
	f.register(t, f.fakeMsg(t, f.info(t, seed), level))
}

func (f *fixture) addGatekeeper(t testing.TB, seed byte) {
	t.Helper()
	if _, err := f.gkMsgs.AddGatekeeper(f.ctx, &gatekeepertypes.MsgAddGatekeeper{Authority: f.authority, IdentityKey: keyHex(seed)}); err != nil {
		t.Fatalf("AddGatekeeper: %v", err)
	}
}

func (f *fixture) setParams(t testing.TB, mutate func(*types.Params)) {
	t.Helper()
	p, err := f.k.Params.Get(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mutate(&p)
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p}); err != nil {
		t.Fatalf("UpdateParams: %v", err)
	}
}

// snapshot returns the registry and mq stores as exported genesis JSON.
func (f *fixture) snapshot(t testing.TB) []byte {
	t.Helper()
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mgs, err := f.mq.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return append(f.cdc.MustMarshalJSON(gs), f.cdc.MustMarshalJSON(mgs)...)
}

func (f *fixture) assertUnchanged(t testing.TB, before []byte) {
	t.Helper()
	if after := f.snapshot(t); !bytes.Equal(before, after) {
		t.Errorf("state changed by a rejected message:\nbefore %s\nafter  %s", before, after)
	}
}

// ingress returns every retained ingress entry, decoded.
func (f *fixture) ingress(t testing.TB) []protocol.Message {
	t.Helper()
	resp, err := f.mqQuery.Ingress(f.ctx, &mqtypes.QueryIngressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.Message
	for _, e := range resp.Entries {
		m, err := protocol.DecodeMessage(e.Message)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// wantLastIngress checks that the last ingress entry is from this module on topic
// with payload.
func (f *fixture) wantLastIngress(t testing.TB, topic string, payload []byte) {
	t.Helper()
	es := f.ingress(t)
	if len(es) == 0 {
		t.Fatalf("no ingress entry, want one on %s", topic)
	}
	m := es[len(es)-1]
	if !m.Origin.Equal(protocol.ModuleOrigin(types.ModuleName)) || m.Topic != topic || !bytes.Equal(m.Payload, payload) {
		t.Errorf("last ingress entry %s %s %x, want module:registry %s %x", m.Origin, m.Topic, m.Payload, topic, payload)
	}
}

// senders is x/mq's SenderRegistry as the app builds it.
type senders struct {
	*keeper.Keeper
	gk *gatekeeperkeeper.Keeper
}

func (s senders) GatekeeperKeys(ctx context.Context) ([][]byte, error) {
	return s.gk.GatekeeperKeys(ctx)
}
