package keeper_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
	"github.com/gatekeeper-net/gatekeeper/x/computation/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

const (
	startHeight = 10
	// unit is one token in base units (the default units_per_token).
	unit = types.DefaultUnitsPerToken
)

// pushed is one ingress entry the keeper appended.
type pushed struct {
	topic   string
	payload []byte
}

// fakeIngress records what the keeper appends.
type fakeIngress struct {
	log []pushed
}

func (f *fakeIngress) PushIngress(_ context.Context, module, topic string, payload []byte) (uint64, error) {
	if protocol.TopicModule(topic) != module {
		return 0, fmt.Errorf("module %s on topic %s", module, topic)
	}
	f.log = append(f.log, pushed{topic: topic, payload: bytes.Clone(payload)})
	return uint64(len(f.log) - 1), nil
}

func (f *fakeIngress) topic(topic string) []pushed {
	var out []pushed
	for _, p := range f.log {
		if p.topic == topic {
			out = append(out, p)
		}
	}
	return out
}

type fakeRegistry struct {
	workers    map[string]types.WorkerInfo
	masterKeys uint32
	beacon     []byte
}

func (r *fakeRegistry) Worker(_ context.Context, key []byte) (types.WorkerInfo, bool, error) {
	w, ok := r.workers[string(key)]
	return w, ok, nil
}

func (r *fakeRegistry) MasterKeyCount(context.Context) (uint32, error) { return r.masterKeys, nil }

func (r *fakeRegistry) LatestBeacon(context.Context) ([]byte, bool, error) {
	return r.beacon, r.beacon != nil, nil
}

// fakeBank keeps balances of one denom by account address (module accounts
// under their module address) and the minted total.
type fakeBank struct {
	balances map[string]math.Int
	minted   math.Int
}

func modAddr(name string) sdk.AccAddress { return authtypes.NewModuleAddress(name) }

func (b *fakeBank) balance(a sdk.AccAddress) math.Int {
	if v, ok := b.balances[string(a)]; ok {
		return v
	}
	return math.ZeroInt()
}

func (b *fakeBank) move(from, to sdk.AccAddress, amt sdk.Coins) error {
	if len(amt) != 1 || amt[0].Denom != types.DefaultDenom {
		return fmt.Errorf("fake bank: %s", amt)
	}
	if b.balance(from).LT(amt[0].Amount) {
		return fmt.Errorf("fake bank: insufficient funds: %s < %s", b.balance(from), amt)
	}
	b.balances[string(from)] = b.balance(from).Sub(amt[0].Amount)
	b.balances[string(to)] = b.balance(to).Add(amt[0].Amount)
	return nil
}

func (b *fakeBank) MintCoins(_ context.Context, module string, amt sdk.Coins) error {
	b.minted = b.minted.Add(amt[0].Amount)
	b.balances[string(modAddr(module))] = b.balance(modAddr(module)).Add(amt[0].Amount)
	return nil
}

func (b *fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	return b.move(from, modAddr(module), amt)
}

func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.move(modAddr(module), to, amt)
}

func (b *fakeBank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	return b.move(modAddr(from), modAddr(to), amt)
}

type fixture struct {
	t        *testing.T
	ctx      sdk.Context
	k        *keeper.Keeper
	msgs     types.MsgServer
	query    types.QueryServer
	ingress  *fakeIngress
	registry *fakeRegistry
	bank     *fakeBank
	cdc      codec.Codec
	ac       addresscodec.Bech32Codec
	storeKey *storetypes.KVStoreKey
	// op operates worker (score 100, confidence 1); other is another account.
	op, other sdk.AccAddress
	worker    []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := newBareFixture(t)
	if err := f.k.InitGenesis(f.ctx, types.DefaultGenesisState()); err != nil {
		t.Fatal(err)
	}
	f.worker = f.newWorker(f.op, 1, 100)
	return f
}

// newBareFixture is a fixture before InitGenesis, without workers.
func newBareFixture(t *testing.T) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test")).Ctx.WithBlockHeight(startHeight)
	reg := codectypes.NewInterfaceRegistry()
	types.RegisterInterfaces(reg)
	cdc := codec.NewProtoCodec(reg)
	ac := addresscodec.Bech32Codec{Bech32Prefix: "gk"}
	f := &fixture{
		t: t, ctx: ctx, cdc: cdc, ac: ac, storeKey: key,
		ingress:  &fakeIngress{},
		registry: &fakeRegistry{workers: map[string]types.WorkerInfo{}, masterKeys: 1, beacon: bytes.Repeat([]byte{7}, 32)},
		bank:     &fakeBank{balances: map[string]math.Int{}, minted: math.ZeroInt()},
		op:       sdk.AccAddress(bytes.Repeat([]byte{1}, 20)),
		other:    sdk.AccAddress(bytes.Repeat([]byte{2}, 20)),
	}
	f.bank.balances[string(f.op)] = math.NewInt(1_000_000 * unit)
	f.bank.balances[string(f.other)] = math.NewInt(1_000_000 * unit)
	k, err := keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac, f.addr(modAddr("gov")), f.ingress, f.registry, f.bank)
	if err != nil {
		t.Fatal(err)
	}
	f.k, f.msgs, f.query = k, keeper.NewMsgServerImpl(k), keeper.NewQueryServerImpl(k)
	return f
}

func (f *fixture) addr(a sdk.AccAddress) string {
	s, err := f.ac.BytesToString(a)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// newWorker registers a worker operated by op and records its benchmark
// (none if score is 0).
func (f *fixture) newWorker(op sdk.AccAddress, level, score uint32) []byte {
	f.t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.registry.workers[string(pub)] = types.WorkerInfo{Operator: f.addr(op), ConfidenceLevel: level}
	if score > 0 {
		if err := f.k.HandleBenchmark(f.ctx, workerMsg(pub, protocol.TopicBenchmark, protocol.EncodeU32(score))); err != nil {
			f.t.Fatal(err)
		}
	}
	return pub
}

func workerMsg(w []byte, topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.WorkerOrigin(w), Topic: topic, Payload: payload}
}

// gkMsg is a settlement delivered at seq of the computation lane.
func gkMsg(seq uint64, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.GatekeeperLane(protocol.LaneComputation), Topic: protocol.TopicSettlement, Seq: seq, Payload: payload}
}

func tokens(n int64) sdk.Coin { return sdk.NewCoin(types.DefaultDenom, math.NewInt(n*unit)) }

func (f *fixture) start(op sdk.AccAddress, w []byte, stake sdk.Coin) (*types.MsgStartComputingResponse, error) {
	return f.msgs.StartComputing(f.ctx, &types.MsgStartComputing{Operator: f.addr(op), Worker: hex.EncodeToString(w), Stake: stake})
}

func (f *fixture) mustStart(w []byte, stake sdk.Coin) uint64 {
	f.t.Helper()
	resp, err := f.start(f.op, w, stake)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.SessionId
}

func (f *fixture) stop(op sdk.AccAddress, w []byte) error {
	_, err := f.msgs.StopComputing(f.ctx, &types.MsgStopComputing{Operator: f.addr(op), Worker: hex.EncodeToString(w)})
	return err
}

func (f *fixture) session(w []byte) types.Session {
	f.t.Helper()
	s, found, err := f.k.GetSession(f.ctx, w)
	if err != nil || !found {
		f.t.Fatalf("session of %x: found %v, %v", w, found, err)
	}
	return s
}

// endBlock runs EndBlock at the context's height and moves to the next.
func (f *fixture) endBlock() {
	f.t.Helper()
	if err := f.k.EndBlock(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(time.Second))
}

func (f *fixture) moduleBalance(name string) math.Int { return f.bank.balance(modAddr(name)) }

func TestDefaultParamsAreTheEngines(t *testing.T) {
	t.Parallel()
	p := types.DefaultParams()
	e, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	if e != tokenomics.DefaultParams() || p.CooldownBlocks != 100 || p.UnitsPerToken != 1_000_000 || p.Denom != "stake" {
		t.Fatalf("default params %+v", p)
	}
	for _, tc := range []struct {
		name string
		edit func(*types.Params)
	}{
		{"rho not a decimal", func(p *types.Params) { p.Rho = "1e-3" }},
		{"rho below 1", func(p *types.Params) { p.Rho = "0.9" }},
		{"treasury ratio above 1", func(p *types.Params) { p.TreasuryRatio = "1.5" }},
		{"no heartbeat window", func(p *types.Params) { p.HeartbeatWindow = 0 }},
		{"no cooldown", func(p *types.Params) { p.CooldownBlocks = 0 }},
		{"no units per token", func(p *types.Params) { p.UnitsPerToken = 0 }},
		{"bad denom", func(p *types.Params) { p.Denom = "1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := types.DefaultParams()
			tc.edit(&p)
			if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
				t.Fatalf("Validate: %v, want ErrInvalidParams", err)
			}
		})
	}
}

func TestGenesisPublishesParams(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got := f.ingress.topic(protocol.TopicComputationParams)
	want, _ := tokenomics.DefaultParams().MarshalBinary()
	if len(got) != 1 || !bytes.Equal(got[0].payload, want) {
		t.Fatalf("params entries %d, want the default params once", len(got))
	}
}

func TestStartRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(f *fixture) (op sdk.AccAddress, worker []byte, stake sdk.Coin)
		want  error
		msg   string // part of the error message
	}{
		{"worker not registered", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, bytes.Repeat([]byte{9}, 32), tokens(2000)
		}, types.ErrWorkerNotFound, ""},
		{"bad key", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, []byte{1, 2, 3}, tokens(2000)
		}, types.ErrInvalidKey, ""},
		{"not the operator", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.other, f.worker, tokens(2000)
		}, types.ErrNotOperator, "is operated by"},
		{"no benchmark", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, f.newWorker(f.op, 1, 0), tokens(2000)
		}, types.ErrNoBenchmark, ""},
		{"no master key", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			f.registry.masterKeys = 0
			return f.op, f.worker, tokens(2000)
		}, types.ErrNoBeacon, "wait for the gatekeepers' first beacon"},
		{"no beacon", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			f.registry.beacon = nil
			return f.op, f.worker, tokens(2000)
		}, types.ErrNoBeacon, "wait for the gatekeepers' first beacon"},
		{"wrong denom", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, f.worker, sdk.NewInt64Coin("other", 2000*unit)
		}, types.ErrInvalidStake, `want "stake"`},
		{"stake too low", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			// score 100: k·√p = 100·10 = 1000 tokens.
			return f.op, f.worker, sdk.NewCoin("stake", math.NewInt(1000*unit-1))
		}, types.ErrStakeTooLow, "below the minimum 1000000000stake"},
		{"performance too low", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, f.newWorker(f.op, 1, 49), tokens(2000)
		}, types.ErrPerformanceTooLow, "score 49, min_init_p 50"},
		{"unknown confidence level", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			return f.op, f.newWorker(f.op, 7, 100), tokens(2000)
		}, types.ErrConfidenceLevel, "level 7"},
		{"stake above the balance", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			f.bank.balances[string(f.op)] = math.NewInt(1999 * unit)
			return f.op, f.worker, tokens(2000)
		}, nil, "insufficient funds"},
		{"initial V above v_max", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			// score 100, level 1: 1.3·(stake + 30) > 30,000 from about 23,047 tokens.
			return f.op, f.worker, tokens(23_100)
		}, types.ErrStakeTooHigh, "above v_max 30000"},
		{"already computing", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			f.mustStart(f.worker, tokens(2000))
			return f.op, f.worker, tokens(2000)
		}, types.ErrAlreadyComputing, "session 1"},
		{"cooling down", func(f *fixture) (sdk.AccAddress, []byte, sdk.Coin) {
			f.mustStart(f.worker, tokens(2000))
			if err := f.stop(f.op, f.worker); err != nil {
				f.t.Fatal(err)
			}
			return f.op, f.worker, tokens(2000)
		}, types.ErrCoolingDown, "released at height"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			op, w, stake := tc.setup(f)
			escrow, entries := f.moduleBalance(types.ModuleName), len(f.ingress.log)
			resp, err := f.msgs.StartComputing(f.ctx, &types.MsgStartComputing{Operator: f.addr(op), Worker: hex.EncodeToString(w), Stake: stake})
			if tc.name == "bad key" {
				resp, err = f.msgs.StartComputing(f.ctx, &types.MsgStartComputing{Operator: f.addr(op), Worker: "0102", Stake: stake})
			}
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
				t.Fatalf("start: %v, %v; want %v containing %q", resp, err, tc.want, tc.msg)
			}
			if !f.moduleBalance(types.ModuleName).Equal(escrow) || len(f.ingress.log) != entries {
				t.Fatal("a rejected start escrowed or announced something")
			}
		})
	}
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.bank.balance(f.op)

	// No session: no block closed.
	f.endBlock()
	if n := len(f.ingress.topic(protocol.TopicBlock)); n != 0 {
		t.Fatalf("%d blocks closed without sessions", n)
	}

	startedAt := f.ctx.BlockHeight()
	resp, err := f.start(f.op, f.worker, tokens(2000))
	if err != nil {
		t.Fatal(err)
	}
	e := tokenomics.DefaultParams()
	wantV, _ := e.InitialV(100, tokenomics.FromInt(2000), 1)
	s := f.session(f.worker)
	if resp.SessionId != 1 || s.Status != types.SESSION_STATUS_COMPUTING || s.V != wantV.String() || resp.V != s.V ||
		!s.Stake.Equal(math.NewInt(2000*unit)) || s.StartedHeight != startedAt || s.Score != 100 {
		t.Fatalf("session %+v, response %+v", s, resp)
	}
	if !f.moduleBalance(types.ModuleName).Equal(math.NewInt(2000*unit)) || !f.bank.balance(f.op).Equal(before.Sub(math.NewInt(2000*unit))) {
		t.Fatal("stake not escrowed")
	}
	started := f.ingress.topic(protocol.TopicSessionStarted)
	if len(started) != 1 {
		t.Fatalf("%d SessionStarted", len(started))
	}
	ss, err := protocol.DecodeSessionStarted(started[0].payload)
	var stake tokenomics.Fixed
	if err != nil || stake.UnmarshalBinary(ss.Stake) != nil || stake != tokenomics.FromInt(2000) ||
		!bytes.Equal(ss.Worker, f.worker) || ss.Session != 1 || ss.Score != 100 || ss.Level != 1 {
		t.Fatalf("SessionStarted %+v, %v", ss, err)
	}

	// Every block is closed while the session exists, with the block time
	// and the beacon's seed.
	var times []uint64
	for range 3 {
		times = append(times, uint64(f.ctx.BlockTime().UnixMilli()))
		f.endBlock()
	}
	ts := f.ingress.topic(protocol.TopicBlock)
	if len(ts) != 3 {
		t.Fatalf("%d blocks closed over 3 blocks", len(ts))
	}
	for i, p := range ts {
		blk, err := protocol.DecodeComputationBlock(p.payload)
		h := uint64(startedAt) + uint64(i)
		seed := protocol.ChallengeSeed(f.registry.beacon, h)
		if err != nil || blk.Height != h || blk.Time != times[i] || !bytes.Equal(blk.Seed, seed[:]) {
			t.Fatalf("block %d: %+v, %v; want height %d, time %d", i, blk, err, h, times[i])
		}
	}
	if closed, _ := f.k.LastClosedHeight.Get(f.ctx); closed != uint64(startedAt)+2 {
		t.Fatalf("last closed height %d, want %d", closed, startedAt+2)
	}

	if err := f.stop(f.other, f.worker); !errors.Is(err, types.ErrNotOperator) {
		t.Fatalf("stop by another account: %v", err)
	}
	stoppedAt := f.ctx.BlockHeight()
	if err := f.stop(f.op, f.worker); err != nil {
		t.Fatal(err)
	}
	if err := f.stop(f.op, f.worker); !errors.Is(err, types.ErrNotComputing) {
		t.Fatalf("second stop: %v", err)
	}
	s = f.session(f.worker)
	if s.Status != types.SESSION_STATUS_COOLING_DOWN || s.StoppedHeight != stoppedAt || s.CooldownEndHeight != stoppedAt+100 {
		t.Fatalf("stopped session %+v", s)
	}
	if st := f.ingress.topic(protocol.TopicSessionStopped); len(st) != 1 ||
		!bytes.Equal(st[0].payload, protocol.SessionRef{Worker: f.worker, Session: 1}.Encode()) {
		t.Fatalf("SessionStopped %+v", st)
	}
	// The stop's block is still closed (the final settlement); then none.
	f.endBlock()
	closedAtStop := len(f.ingress.topic(protocol.TopicBlock))
	if closedAtStop != 4 {
		t.Fatalf("%d blocks closed after the stop's block, want 4", closedAtStop)
	}
	for f.ctx.BlockHeight() < s.CooldownEndHeight {
		f.endBlock()
	}
	if n := len(f.ingress.topic(protocol.TopicBlock)); n != closedAtStop {
		t.Fatalf("%d blocks closed while only cooling down, want %d", n, closedAtStop)
	}
	if _, found, _ := f.k.GetSession(f.ctx, f.worker); !found {
		t.Fatal("released before the cooldown ended")
	}
	f.endBlock() // the cooldown's last height
	if _, found, _ := f.k.GetSession(f.ctx, f.worker); found {
		t.Fatal("session kept after the cooldown")
	}
	if !f.bank.balance(f.op).Equal(before) || !f.moduleBalance(types.ModuleName).IsZero() {
		t.Fatalf("balance %s after release, want %s", f.bank.balance(f.op), before)
	}
	// A new session gets a new id.
	if id := f.mustStart(f.worker, tokens(2000)); id != 2 {
		t.Fatalf("second session id %d", id)
	}
}

func TestBenchmark(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name    string
		m       protocol.Message
		want    error
		wantNow uint32
	}{
		{"score 0", workerMsg(f.worker, protocol.TopicBenchmark, protocol.EncodeU32(0)), types.ErrInvalidBenchmark, 100},
		{"not a u32", workerMsg(f.worker, protocol.TopicBenchmark, []byte{1, 2}), types.ErrMalformedPayload, 100},
		{"unregistered worker", workerMsg(bytes.Repeat([]byte{3}, 32), protocol.TopicBenchmark, protocol.EncodeU32(5)), types.ErrWorkerNotFound, 100},
		{"gatekeeper origin", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicBenchmark, Payload: protocol.EncodeU32(5)}, types.ErrInvalidOrigin, 100},
		{"later replaces", workerMsg(f.worker, protocol.TopicBenchmark, protocol.EncodeU32(400)), nil, 400},
		// The reference's registry caps scores at 6,000 iterations per 6 s.
		{"above the cap", workerMsg(f.worker, protocol.TopicBenchmark, protocol.EncodeU32(tokenomics.MaxScore+1)), nil, tokenomics.MaxScore},
		{"far above the cap", workerMsg(f.worker, protocol.TopicBenchmark, protocol.EncodeU32(1<<29)), nil, tokenomics.MaxScore},
	} {
		err := f.k.HandleBenchmark(f.ctx, tc.m)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
		resp, qerr := f.query.Benchmark(f.ctx, &types.QueryBenchmarkRequest{Worker: hex.EncodeToString(f.worker)})
		if qerr != nil || resp.Benchmark.Score != tc.wantNow {
			t.Fatalf("%s: benchmark %+v, %v; want score %d", tc.name, resp, qerr, tc.wantNow)
		}
	}
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.mustStart(f.worker, tokens(2000))
	idle := f.newWorker(f.op, 1, 100)
	f.endBlock()
	now := uint64(f.ctx.BlockHeight())
	hb := func(w []byte, session, challenge uint64) protocol.Message {
		return workerMsg(w, protocol.TopicHeartbeat, protocol.Heartbeat{Session: session, Challenge: challenge}.Encode())
	}
	for _, tc := range []struct {
		name string
		m    protocol.Message
		want error
	}{
		{"worker not computing", hb(idle, id, now), types.ErrNotComputing},
		{"wrong session", hb(f.worker, id+1, now), types.ErrWrongSession},
		{"challenge in the future", hb(f.worker, id, now+1), types.ErrInvalidHeartbeat},
		{"challenge before the session", hb(f.worker, id, startHeight-1), types.ErrInvalidHeartbeat},
		{"malformed", workerMsg(f.worker, protocol.TopicHeartbeat, []byte{1}), types.ErrMalformedPayload},
	} {
		if err := f.k.HandleHeartbeat(f.ctx, tc.m); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := len(f.ingress.topic(protocol.TopicHeartbeat)); n != 0 {
		t.Fatalf("%d rejected heartbeats relayed", n)
	}
	m := hb(f.worker, id, now-1)
	if err := f.k.HandleHeartbeat(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	got := f.ingress.topic(protocol.TopicHeartbeat)
	if len(got) != 1 || !bytes.Equal(got[0].payload, protocol.Relayed{Sender: f.worker, Body: m.Payload}.Encode()) {
		t.Fatalf("relayed %+v", got)
	}
	if err := f.stop(f.op, f.worker); err != nil {
		t.Fatal(err)
	}
	if err := f.k.HandleHeartbeat(f.ctx, m); !errors.Is(err, types.ErrNotComputing) {
		t.Fatalf("heartbeat while cooling down: %v", err)
	}
}

// closed returns the height of the i-th block closed (negative: from the end).
func (f *fixture) closed(i int) uint64 {
	f.t.Helper()
	bs := f.ingress.topic(protocol.TopicBlock)
	if i < 0 {
		i += len(bs)
	}
	blk, err := protocol.DecodeComputationBlock(bs[i].payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return blk.Height
}

func wkey(b []byte) tokenomics.WorkerKey { var k tokenomics.WorkerKey; copy(k[:], b); return k }

func TestSettlement(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Two workers of one operator and one of another, sorted by key.
	w2 := f.newWorker(f.other, 1, 100)
	id1 := f.mustStart(f.worker, tokens(2000))
	resp, err := f.start(f.other, w2, tokens(3000))
	if err != nil {
		t.Fatal(err)
	}
	id2 := resp.SessionId
	f.endBlock()
	f.endBlock()
	h0, h1 := f.closed(0), f.closed(1)
	opBefore, otherBefore := f.bank.balance(f.op), f.bank.balance(f.other)

	var laneSeq uint64
	settle := func(o tokenomics.Output) error {
		laneSeq++
		return f.k.HandleSettlement(f.ctx, gkMsg(laneSeq-1, o.Encode()))
	}
	entry := func(w []byte, session uint64, v, payout, treasury string) tokenomics.Settlement {
		return tokenomics.Settlement{Worker: wkey(w), Session: session, V: tokenomics.MustParse(v),
			Payout: tokenomics.MustParse(payout), Treasury: tokenomics.MustParse(treasury)}
	}
	sorted := func(ss ...tokenomics.Settlement) []tokenomics.Settlement {
		if len(ss) == 2 && bytes.Compare(ss[0].Worker[:], ss[1].Worker[:]) > 0 {
			ss[0], ss[1] = ss[1], ss[0]
		}
		return ss
	}

	// Rejections change nothing.
	for _, tc := range []struct {
		name string
		m    protocol.Message
		want error
	}{
		{"worker origin", protocol.Message{Origin: protocol.WorkerOrigin(f.worker), Topic: protocol.TopicSettlement, Payload: tokenomics.Output{Height: h0}.Encode()}, types.ErrInvalidOrigin},
		{"gatekeeper task channel", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicSettlement, Payload: tokenomics.Output{Height: h0}.Encode()}, types.ErrInvalidOrigin},
		{"malformed", gkMsg(0, []byte{1, 2, 3}), types.ErrMalformedPayload},
		{"block not closed", gkMsg(0, tokenomics.Output{Height: h1 + 1, Settlements: []tokenomics.Settlement{entry(f.worker, id1, "1", "5", "1")}}.Encode()), types.ErrWrongHeight},
		{"block 0", gkMsg(0, tokenomics.Output{}.Encode()), types.ErrWrongHeight},
	} {
		if err := f.k.HandleSettlement(f.ctx, tc.m); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if !f.bank.minted.IsZero() {
		t.Fatal("a rejected settlement minted")
	}

	// Block h0: w1 is paid 1.5 + 0.3 tokens with a fractional remainder;
	// w2's entry names another session (stale); w2 goes offline.
	third := "0.333333333333333333" // × 10^6 floors to 333333
	err = settle(tokenomics.Output{
		Height:      h0,
		Offline:     []tokenomics.Ref{{Worker: wkey(w2), Session: id2}},
		Settlements: sorted(entry(f.worker, id1, "2600.5", "1.5", third), entry(w2, id2+7, "1", "100", "100")),
	})
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := f.session(f.worker), f.session(w2)
	// units(1.5 + 0.333…) = 1833333, units(1.5) = 1500000: treasury 333333.
	if s1.V != "2600.5" || !s1.TotalPaid.Equal(math.NewInt(1_500_000)) || s1.LastSettlementHeight != f.ctx.BlockHeight() {
		t.Fatalf("w1 after settlement %+v", s1)
	}
	if !f.bank.balance(f.op).Sub(opBefore).Equal(math.NewInt(1_500_000)) || !f.moduleBalance(types.TreasuryName).Equal(math.NewInt(333_333)) {
		t.Fatalf("operator got %s, treasury %s", f.bank.balance(f.op).Sub(opBefore), f.moduleBalance(types.TreasuryName))
	}
	if !f.bank.minted.Equal(math.NewInt(1_833_333)) || !f.moduleBalance(types.ModuleName).Equal(math.NewInt(5000*unit)) {
		t.Fatalf("minted %s, escrow %s", f.bank.minted, f.moduleBalance(types.ModuleName))
	}
	if s2.Status != types.SESSION_STATUS_UNRESPONSIVE || !s2.TotalPaid.IsZero() || !f.bank.balance(f.other).Equal(otherBefore) {
		t.Fatalf("w2 after offline and a stale settlement %+v", s2)
	}
	// A second part of the same block's output is taken (an output too
	// large for one message is split); it names w2's session, now
	// unresponsive, with a stale session id: nothing paid.
	if err := settle(tokenomics.Output{Height: h0, Settlements: []tokenomics.Settlement{entry(w2, id2+7, "1", "100", "100")}}); err != nil {
		t.Fatalf("second part of a block's output: %v", err)
	}

	// Block h1: w2 recovers and is paid; a stale recovery for w1 changes nothing.
	err = settle(tokenomics.Output{
		Height:      h1,
		Recovered:   []tokenomics.Ref{{Worker: wkey(w2), Session: id2}},
		Settlements: []tokenomics.Settlement{entry(w2, id2, "3000", "8", "2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s2 := f.session(w2); s2.Status != types.SESSION_STATUS_COMPUTING || s2.V != "3000" || !s2.TotalPaid.Equal(math.NewInt(8*unit)) {
		t.Fatalf("w2 after recovery %+v", s2)
	}
	if !f.bank.balance(f.other).Sub(otherBefore).Equal(math.NewInt(8 * unit)) {
		t.Fatal("w2's operator not paid")
	}

	// A settlement for a stopped (cooling down) session is its final one
	// and is paid; one after the session was released and restarted is not.
	if err := f.stop(f.op, f.worker); err != nil {
		t.Fatal(err)
	}
	f.endBlock()
	if err := settle(tokenomics.Output{Height: f.closed(-1), Settlements: []tokenomics.Settlement{entry(f.worker, id1, "2500", "1", "0")}}); err != nil {
		t.Fatal(err)
	}
	if s1 := f.session(f.worker); s1.V != "2500" || !s1.TotalPaid.Equal(math.NewInt(2_500_000)) || s1.Status != types.SESSION_STATUS_COOLING_DOWN {
		t.Fatalf("final settlement %+v", s1)
	}
	for end := f.session(f.worker).CooldownEndHeight; f.ctx.BlockHeight() <= end; {
		f.endBlock()
	}
	id3 := f.mustStart(f.worker, tokens(2000))
	f.endBlock()
	paid := f.bank.balance(f.op)
	if err := settle(tokenomics.Output{Height: f.closed(-1), Settlements: []tokenomics.Settlement{entry(f.worker, id1, "1", "50", "0")}}); err != nil {
		t.Fatal(err)
	}
	if !f.bank.balance(f.op).Equal(paid) || !f.session(f.worker).TotalPaid.IsZero() || f.session(f.worker).SessionId != id3 {
		t.Fatal("a settlement of the old session paid the new one")
	}
}

func TestUpdateParams(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gov := f.k.Authority()
	p := types.DefaultParams()
	p.BudgetPerBlock = "250"
	p.CooldownBlocks = 7
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.addr(f.op), Params: p}); !errors.Is(err, types.ErrInvalidAuthority) {
		t.Fatalf("update by a non-authority: %v", err)
	}
	bad := p
	bad.Re = "0.5"
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: gov, Params: bad}); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("invalid params: %v", err)
	}
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	got := f.ingress.topic(protocol.TopicComputationParams)
	var e tokenomics.Params
	if len(got) != 2 || e.UnmarshalBinary(got[1].payload) != nil || e.BudgetPerBlock != tokenomics.FromInt(250) {
		t.Fatalf("params published %d times; last %+v", len(got), e)
	}
	f.mustStart(f.worker, tokens(2000))
	p.Denom = "other"
	if _, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); !errors.Is(err, types.ErrInvalidParams) {
		t.Fatalf("denom change with a session: %v", err)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w2 := f.newWorker(f.op, 1, 200)
	f.mustStart(f.worker, tokens(2000))
	f.mustStart(w2, tokens(5000))
	f.endBlock()
	if err := f.stop(f.op, w2); err != nil {
		t.Fatal(err)
	}
	f.endBlock()
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(gs.Sessions) != 2 || len(gs.Benchmarks) != 2 || gs.NextSessionId != 3 || gs.LastClosedHeight != f.ctx.BlockHeight()-1 || !gs.ParamsPublished {
		t.Fatalf("exported %+v", gs)
	}
	g := newBareFixture(t)
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight())
	h := g.k
	if err := h.InitGenesis(g.ctx, gs); err != nil {
		t.Fatal(err)
	}
	if n := len(g.ingress.topic(protocol.TopicComputationParams)); n != 0 {
		t.Fatal("an imported genesis published the params again")
	}
	gs2, err := h.ExportGenesis(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.cdc.MustMarshalJSON(gs), f.cdc.MustMarshalJSON(gs2)) {
		t.Fatalf("round trip differs:\n%s\n%s", f.cdc.MustMarshalJSON(gs), f.cdc.MustMarshalJSON(gs2))
	}
	// The derived indexes are rebuilt: one active session gets its blocks closed,
	// the cooling-down one is released on time.
	if n, _ := h.ActiveSessions.Get(g.ctx); n != 1 {
		t.Fatalf("active sessions %d after import", n)
	}
	s2, _ := h.Sessions.Get(g.ctx, w2)
	if has, _ := h.Cooldowns.Has(g.ctx, collections.Join(uint64(s2.CooldownEndHeight), w2)); !has || s2.Status != types.SESSION_STATUS_COOLING_DOWN {
		t.Fatal("cooldown index not rebuilt")
	}

	for _, tc := range []struct {
		name string
		edit func(*types.GenesisState)
	}{
		{"duplicate session id", func(gs *types.GenesisState) { gs.Sessions[1].SessionId = gs.Sessions[0].SessionId }},
		{"session id not below next", func(gs *types.GenesisState) { gs.NextSessionId = 2 }},
		{"unsorted sessions", func(gs *types.GenesisState) { gs.Sessions[0], gs.Sessions[1] = gs.Sessions[1], gs.Sessions[0] }},
		{"bad V", func(gs *types.GenesisState) { gs.Sessions[0].V = "-1" }},
		{"cooling down without an end", func(gs *types.GenesisState) {
			for i := range gs.Sessions {
				gs.Sessions[i].Status = types.SESSION_STATUS_COOLING_DOWN
				gs.Sessions[i].CooldownEndHeight = 0
			}
		}},
		{"benchmark score 0", func(gs *types.GenesisState) { gs.Benchmarks[0].Score = 0 }},
		{"output after the last closed block", func(gs *types.GenesisState) { gs.LastOutputHeight = gs.LastClosedHeight + 1 }},
		{"negative closed height", func(gs *types.GenesisState) { gs.LastClosedHeight = -1 }},
	} {
		var cp types.GenesisState
		f.cdc.MustUnmarshalJSON(f.cdc.MustMarshalJSON(gs), &cp)
		tc.edit(&cp)
		if err := cp.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", tc.name, err)
		}
	}
}
