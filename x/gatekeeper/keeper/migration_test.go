package keeper_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"cosmossdk.io/collections"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// newMeasurement is the successor measurement the migration tests schedule.
var newMeasurement = [32]byte{0x5a, 0x5a, 0x5a, 2}

// fakeUpgrade is x/upgrade's plan store as the registry sees it.
type fakeUpgrade struct{ plan *upgradetypes.Plan }

func (u *fakeUpgrade) ScheduleUpgrade(ctx context.Context, plan upgradetypes.Plan) error {
	if err := plan.ValidateBasic(); err != nil {
		return err
	}
	if plan.Height < sdk.UnwrapSDKContext(ctx).BlockHeight() {
		return errors.New("upgrade cannot be scheduled in the past")
	}
	u.plan = &plan
	return nil
}

func (u *fakeUpgrade) GetUpgradePlan(context.Context) (upgradetypes.Plan, error) {
	if u.plan == nil {
		return upgradetypes.Plan{}, upgradetypes.ErrNoUpgradePlanFound
	}
	return *u.plan, nil
}

// migrationFixture is a rotationFixture of live gatekeepers 1-3 and workers
// 4-6, a cluster of 4 and 5 with its key published, and x/upgrade.
func migrationFixture(t testing.TB) (*fixture, *fakeUpgrade) {
	t.Helper()
	f := rotationFixture(t, []byte{1, 2, 3}, []byte{4, 5, 6})
	f.publishClusterKey(t, f.createCluster(t, 4, 5), 0)
	u := &fakeUpgrade{}
	f.setUpgradeKeeper(u)
	return f, u
}

func scheduleMsg(f *fixture, activation int64) *types.MsgScheduleMigration {
	return &types.MsgScheduleMigration{Authority: f.authority, TeeKind: attest.KindSim,
		Measurement: hex.EncodeToString(newMeasurement[:]), Description: "pruntime v2", ActivationHeight: activation}
}

// schedule schedules the migration to newMeasurement at activation.
func (f *fixture) schedule(t testing.TB, activation int64) *types.MsgScheduleMigrationResponse {
	t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	resp, err := f.msgs.ScheduleMigration(f.ctx, scheduleMsg(f, activation))
	if err != nil {
		t.Fatalf("ScheduleMigration: %v", err)
	}
	return resp
}

// successorMsg is the registration of sim worker testKey(seed) with
// measurement m, naming testKey(pred) as its predecessor.
func (f *fixture) successorMsg(t testing.TB, seed, pred byte, m [32]byte) *registrytypes.MsgRegisterWorker {
	t.Helper()
	info := f.info(t, seed)
	info.Predecessor = pub(testKey(pred))
	b := registrytest.EncodeInfo(t, info)
	return &registrytypes.MsgRegisterWorker{Operator: info.Operator, Info: b,
		Attestation: registrytypes.Attestation{TeeKind: attest.KindSim, Quote: attest.NewSimQuote(f.platform, m, protocol.ReportData(info.ChainID, b), testTime)}}
}

// registerTx runs msg as a transaction: its writes are kept only if it
// succeeds.
func (f *fixture) registerTx(t testing.TB, msg *registrytypes.MsgRegisterWorker) error {
	t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	cached, write := f.ctx.CacheContext()
	_, err := f.regMsgs.RegisterWorker(cached, msg)
	if err == nil {
		write()
	}
	return err
}

func handoverMsg(from, to byte, id uint64) protocol.Message {
	return fromWorker(from, protocol.TopicMigrationHandover,
		protocol.MigrationHandover{ID: id, Successor: pub(testKey(to)), Index: 0, Count: 1, Sealed: []byte("sealed bundle")}.Encode())
}

func pairMsg(from byte, topic string, pred byte, id uint64) protocol.Message {
	return fromWorker(from, topic, protocol.MigrationPairRef{ID: id, Predecessor: pub(testKey(pred))}.Encode())
}

func (f *fixture) migration(t testing.TB) types.Migration {
	t.Helper()
	resp, err := f.query.Migration(f.ctx, &types.QueryMigrationRequest{})
	if err != nil || resp.Migration == nil {
		t.Fatalf("Migration query: %+v, %v", resp, err)
	}
	return *resp.Migration
}

// activate runs the upgrade handler of migration id at height, as x/upgrade
// does in the block's pre-blocker.
func (f *fixture) activate(t testing.TB, id uint64, height int64) {
	t.Helper()
	f.ctx = f.ctx.WithBlockHeight(height).WithEventManager(sdk.NewEventManager())
	name := types.MigrationPlanName(id)
	h, ok, err := f.mig.MigrationUpgradeHandler(f.ctx, name, height)
	if err != nil || !ok {
		t.Fatalf("no handler for %s at %d: %v", name, height, err)
	}
	if _, err := h(f.ctx, upgradetypes.Plan{Name: name, Height: height}, module.VersionMap{}); err != nil {
		t.Fatalf("upgrade handler: %v", err)
	}
}

func (f *fixture) isWorker(t testing.TB, seed byte) bool {
	t.Helper()
	ok, err := f.reg.IsWorker(f.ctx, pub(testKey(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (f *fixture) gatekeeperSeeds(t testing.TB, seeds ...byte) []byte {
	t.Helper()
	var out []byte
	for _, s := range seeds {
		if ok, err := f.k.Gatekeepers.Has(f.ctx, pub(testKey(s))); err != nil {
			t.Fatal(err)
		} else if ok {
			out = append(out, s)
		}
	}
	return out
}

// TestMigrationHappyPath follows a migration of three gatekeepers and a
// cluster from scheduling to activation by its upgrade handler: gatekeepers
// 1 and 2 and cluster member 4 are succeeded by 11, 12 and 14; gatekeeper 3's
// successor 13 never gets ready, so 3 is lost; worker 5 (in the cluster)
// and 6 have no successor and are retired.
func TestMigrationHappyPath(t *testing.T) {
	t.Parallel()
	f, u := migrationFixture(t)
	k := func(s byte) []byte { return pub(testKey(s)) }

	// Schedule: the measurement is allowed, the plan scheduled, announced.
	mark := len(f.ingress(t))
	resp := f.schedule(t, 100)
	if resp.Id != 1 || resp.PlanName != "pruntime-migration-1" {
		t.Fatalf("schedule response %+v", resp)
	}
	if u.plan == nil || u.plan.Name != "pruntime-migration-1" || u.plan.Height != 100 {
		t.Fatalf("upgrade plan %+v", u.plan)
	}
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMigrationScheduled, protocol.MigrationScheduled{
		ID: 1, ActivationHeight: 100, TEEKind: attest.KindSim, Measurement: newMeasurement[:], Replaced: [][]byte{simMeasurement[:]},
	}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMigrationScheduled, map[string]string{
		types.AttributeMigrationID: "1", types.AttributePlan: "pruntime-migration-1", types.AttributeActivation: "100",
	}) {
		t.Errorf("no %s event", types.EventMigrationScheduled)
	}
	m := f.migration(t)
	if m.Phase != types.MIGRATION_PHASE_SCHEDULED || m.ScheduledHeight != testHeight || !bytes.Equal(m.Measurement, newMeasurement[:]) {
		t.Fatalf("migration after scheduling: %+v", m)
	}
	if qr, err := f.query.Migration(f.ctx, &types.QueryMigrationRequest{Id: 1}); err != nil || !qr.PlanPending {
		t.Fatalf("Migration query by id: %+v, %v", qr, err)
	}
	// While it is pending no rotation starts.
	if _, err := f.msgs.RotateMasterKey(f.ctx, &types.MsgRotateMasterKey{Authority: f.authority}); !errors.Is(err, types.ErrMigrationPending) {
		t.Fatalf("rotation during a migration: %v", err)
	}

	// Pairing: each successor registers naming its predecessor.
	f.ctx = f.ctx.WithBlockHeight(20)
	for _, p := range [][2]byte{{11, 1}, {12, 2}, {13, 3}, {14, 4}} {
		mark = len(f.ingress(t))
		msg := f.successorMsg(t, p[0], p[1], newMeasurement)
		if err := f.registerTx(t, msg); err != nil {
			t.Fatalf("successor %d: %v", p[0], err)
		}
		got := f.ingressSince(t, mark)
		wantIngress(t, got[:1], entry{protocol.TopicWorkerRegistered, k(p[0])})
		wantIngress(t, got[1:], entry{protocol.TopicMigrationHandoverRequest, protocol.MigrationHandoverRequest{
			ID: 1, Predecessor: k(p[1]), Successor: k(p[0]), ReceiveKey: f.receiveKey(t, p[0]), Measurement: newMeasurement[:],
		}.Encode()})
		if !hasEvent(f.ctx.EventManager().Events(), types.EventMigrationPaired, map[string]string{
			types.AttributePredecessor: hex.EncodeToString(k(p[1])), types.AttributeSuccessor: hex.EncodeToString(k(p[0])),
		}) {
			t.Errorf("no %s event for %d", types.EventMigrationPaired, p[0])
		}
	}

	// Handover: relayed from each predecessor to its successor.
	f.ctx = f.ctx.WithBlockHeight(21)
	for _, p := range [][2]byte{{1, 11}, {2, 12}, {3, 13}, {4, 14}} {
		mark = len(f.ingress(t))
		h := handoverMsg(p[0], p[1], 1)
		f.mustHandle(t, f.mig.HandleMigrationHandover, h)
		wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMigrationHandover, protocol.Relayed{Sender: k(p[0]), Body: h.Payload}.Encode()})
	}
	// 13 finds its handover bad: counted, asked again.
	mark = len(f.ingress(t))
	f.mustHandle(t, f.mig.HandleMigrationFault, pairMsg(13, protocol.TopicMigrationFault, 3, 1))
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMigrationHandoverRequest, protocol.MigrationHandoverRequest{
		ID: 1, Predecessor: k(3), Successor: k(13), ReceiveKey: f.receiveKey(t, 13), Measurement: newMeasurement[:],
	}.Encode()})
	if g := f.gatekeeper(t, 3); g.Faults != 1 {
		t.Errorf("gatekeeper 3 has %d faults after its successor's report, want 1", g.Faults)
	}
	// Ready: 11, 12, 14.
	f.ctx = f.ctx.WithBlockHeight(22)
	for _, p := range [][2]byte{{11, 1}, {12, 2}, {14, 4}} {
		f.mustHandle(t, f.mig.HandleMigrationReady, pairMsg(p[0], protocol.TopicMigrationReady, p[1], 1))
	}
	m = f.migration(t)
	if m.Ready() != 3 || len(m.Pairs) != 4 {
		t.Fatalf("pairs %+v", m.Pairs)
	}
	if p := m.Pairs[2]; !bytes.Equal(p.Successor, k(13)) || p.Faults != 1 || p.HandoverParts != 0 || p.ReadyHeight != 0 {
		t.Fatalf("faulted pair %+v", p)
	}
	if p := m.Pairs[0]; p.PairedHeight != 20 || p.HandoverParts != 1 || p.HandoverHeight != 21 || p.ReadyHeight != 22 {
		t.Fatalf("first pair %+v", p)
	}

	// Activation at the plan's height, by the upgrade handler.
	if _, ok, _ := f.mig.MigrationUpgradeHandler(f.ctx, "pruntime-migration-1", 99); ok {
		t.Fatal("a handler for a height other than the plan's")
	}
	mark = len(f.ingress(t))
	f.activate(t, 1, 100)
	pairs := []protocol.MigrationPair{{Predecessor: k(1), Successor: k(11)}, {Predecessor: k(2), Successor: k(12)}, {Predecessor: k(4), Successor: k(14)}}
	slices.SortFunc(pairs, func(a, b protocol.MigrationPair) int { return bytes.Compare(a.Predecessor, b.Predecessor) })
	wantIngress(t, f.ingressSince(t, mark),
		entry{protocol.TopicMigrationActivated, protocol.MigrationActivated{ID: 1, Pairs: pairs}.Encode()},
		entry{protocol.TopicGatekeeperRemoved, k(3)})
	evs := f.ctx.EventManager().Events()
	if !hasEvent(evs, types.EventMigrationActivated, map[string]string{types.AttributePairs: "3", types.AttributeRetired: "6", types.AttributeLost: "1"}) {
		t.Errorf("no %s event", types.EventMigrationActivated)
	}
	if !hasEvent(evs, types.EventGatekeeperLost, map[string]string{types.AttributeIdentityKey: hex.EncodeToString(k(3))}) {
		t.Errorf("no %s event", types.EventGatekeeperLost)
	}
	// The successors took their places; the old version is gone.
	if got := f.gatekeeperSeeds(t, 1, 2, 3, 11, 12, 13, 14); !slices.Equal(got, []byte{11, 12}) {
		t.Fatalf("gatekeepers after activation: %v, want 11 and 12", got)
	}
	for _, s := range []byte{11, 12} {
		if g := f.gatekeeper(t, s); g.LiveHeight != 100 || g.AddedHeight != 100 {
			t.Errorf("successor gatekeeper %d: %+v, want live from 100", s, g)
		}
	}
	for _, s := range []byte{1, 2, 3, 4, 5, 6} {
		if f.isWorker(t, s) {
			t.Errorf("old-version worker %d still registered", s)
		}
	}
	for _, s := range []byte{11, 12, 13, 14} {
		if !f.isWorker(t, s) {
			t.Errorf("successor %d not registered", s)
		}
	}
	c, err := f.k.GetCluster(f.ctx, 1)
	if err != nil || len(c.Workers) != 1 || !bytes.Equal(c.Workers[0], k(14)) || len(c.PublicKey) == 0 {
		t.Fatalf("cluster after activation: %+v, %v", c, err)
	}
	for s, want := range map[byte]bool{4: false, 5: false, 14: true} {
		if in, err := f.k.WorkerCluster.Has(f.ctx, pub(testKey(s))); err != nil || in != want {
			t.Errorf("worker %d in a cluster: %t, %v; want %t", s, in, err, want)
		}
	}
	if ok, _ := f.reg.Measurements.Has(f.ctx, collections.Join(attest.KindSim, simMeasurement[:])); ok {
		t.Error("the replaced measurement is still allowed")
	}
	if ok, _ := f.reg.Measurements.Has(f.ctx, collections.Join(attest.KindSim, newMeasurement[:])); !ok {
		t.Error("the successor measurement is not allowed")
	}
	if ok, _ := f.reg.Measurements.Has(f.ctx, collections.Join(registrytest.FakeKind, registrytest.FakeMeasurement[:])); !ok {
		t.Error("another kind's measurement was removed")
	}
	m = f.migration(t)
	if m.Phase != types.MIGRATION_PHASE_DONE || m.ActivatedHeight != 100 || m.RetiredWorkers != 6 ||
		len(m.LostGatekeepers) != 1 || !bytes.Equal(m.LostGatekeepers[0], k(3)) {
		t.Fatalf("migration after activation: %+v", m)
	}
	if p := m.Pairs[0]; !p.Replaced || !p.Gatekeeper || p.ClusterId != 0 {
		t.Errorf("pair of gatekeeper 1: %+v", p)
	}
	if p := m.Pairs[3]; !p.Replaced || p.Gatekeeper || p.ClusterId != 1 {
		t.Errorf("pair of worker 4: %+v", p)
	}
	if p := m.Pairs[2]; p.Replaced || !p.Gatekeeper {
		t.Errorf("pair of gatekeeper 3: %+v", p)
	}
	// A finished migration keeps its handler (x/upgrade asks for the last
	// applied plan's at start), and its pairs send nothing more.
	if _, ok, err := f.mig.MigrationUpgradeHandler(f.ctx, "pruntime-migration-1", 0); err != nil || !ok {
		t.Errorf("no handler for the applied plan: %v", err)
	}
	wantErrIs(t, f.handle(t, f.mig.HandleMigrationHandover, handoverMsg(1, 11, 1)), types.ErrNoMigration)
	// The set is whole again: a rotation may start, with the successors.
	u.plan = nil
	if v := f.rotate(t); v != 1 {
		t.Fatalf("rotation after the migration to v%d", v)
	}
	if r := f.rotation(t); len(r.Gatekeepers) != 2 {
		t.Fatalf("rotation snapshot %+v", r.Gatekeepers)
	}
}

func TestScheduleMigrationRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture, u *fakeUpgrade)
		edit  func(m *types.MsgScheduleMigration)
		want  error
	}{
		{"not the authority", nil, func(m *types.MsgScheduleMigration) { m.Authority = m.Description }, types.ErrInvalidAuthority},
		{"unknown kind", nil, func(m *types.MsgScheduleMigration) { m.TeeKind = "sgx-epid" }, registrytypes.ErrUnknownTEEKind},
		{"bad measurement", nil, func(m *types.MsgScheduleMigration) { m.Measurement = "zz" }, registrytypes.ErrInvalidMeasurement},
		{"activation too soon", nil, func(m *types.MsgScheduleMigration) {
			m.ActivationHeight = testHeight + types.MinMigrationLeadBlocks - 1
		}, types.ErrInvalidMigration},
		{"measurement already allowed", nil, func(m *types.MsgScheduleMigration) {
			m.Measurement = hex.EncodeToString(simMeasurement[:])
		}, types.ErrMeasurementExists},
		{"long description", nil, func(m *types.MsgScheduleMigration) { m.Description = string(make([]byte, 257)) }, types.ErrInvalidMigration},
		{"migration pending", func(t *testing.T, f *fixture, u *fakeUpgrade) {
			f.schedule(t, 200)
		}, func(m *types.MsgScheduleMigration) { m.Measurement = "0102" }, types.ErrMigrationPending},
		{"rotation running", func(t *testing.T, f *fixture, _ *fakeUpgrade) { f.rotate(t) }, nil, types.ErrRotationInProgress},
		{"other upgrade pending", func(_ *testing.T, _ *fixture, u *fakeUpgrade) {
			u.plan = &upgradetypes.Plan{Name: "v2", Height: 500}
		}, nil, types.ErrUpgradePending},
		{"nothing to replace", func(t *testing.T, f *fixture, _ *fakeUpgrade) {
			if _, err := f.regMsgs.RemoveMeasurement(f.ctx, &registrytypes.MsgRemoveMeasurement{Authority: f.authority, TeeKind: registrytest.FakeKind,
				Measurement: hex.EncodeToString(registrytest.FakeMeasurement[:])}); err != nil {
				t.Fatal(err)
			}
		}, func(m *types.MsgScheduleMigration) { m.TeeKind = registrytest.FakeKind }, types.ErrInvalidMigration},
		{"no x/upgrade", func(_ *testing.T, f *fixture, _ *fakeUpgrade) { f.setUpgradeKeeper(nil) }, nil, types.ErrInvalidMigration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, u := migrationFixture(t)
			if tc.setup != nil {
				tc.setup(t, f, u)
			}
			msg := scheduleMsg(f, 100)
			if tc.edit != nil {
				tc.edit(msg)
			}
			before := f.snapshot(t)
			_, err := f.msgs.ScheduleMigration(f.ctx, msg)
			wantErrIs(t, err, tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

// Every way a successor registration can fail to pair fails the whole
// registration.
func TestMigrationPairingRejects(t *testing.T) {
	t.Parallel()
	otherOp := func(t *testing.T, f *fixture) {
		info := f.info(t, 7)
		info.Operator = registrytest.MustAddr(t, f.ac, bytes.Repeat([]byte{0x0b}, 20))
		f.register(t, f.simMsg(t, info))
	}
	tests := []struct {
		name      string
		scheduled bool
		setup     func(t *testing.T, f *fixture)
		msg       func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker
		want      error
	}{
		{"no migration", false, nil, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 1, simMeasurement)
		}, types.ErrNoMigration},
		{"old measurement", true, nil, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 1, simMeasurement)
		}, types.ErrInvalidSuccessor},
		{"predecessor not a worker", true, nil, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 99, newMeasurement)
		}, types.ErrInvalidPredecessor},
		{"predecessor of another operator", true, otherOp, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 7, newMeasurement)
		}, types.ErrInvalidPredecessor},
		{"predecessor runs the new version", true, func(t *testing.T, f *fixture) {
			if err := f.registerTx(t, f.successorMsg(t, 11, 1, newMeasurement)); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 12, 11, newMeasurement)
		}, types.ErrInvalidPredecessor},
		{"predecessor already paired", true, func(t *testing.T, f *fixture) {
			if err := f.registerTx(t, f.successorMsg(t, 11, 1, newMeasurement)); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 12, 1, newMeasurement)
		}, types.ErrAlreadyPaired},
		{"successor already registered", true, func(t *testing.T, f *fixture) {
			if err := f.registerTx(t, f.successorMsg(t, 11, 1, newMeasurement)); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 2, newMeasurement)
		}, registrytypes.ErrInvalidSuccessor},
		{"migration cancelled", true, func(t *testing.T, f *fixture) {
			f.setUpgradeKeeper(&fakeUpgrade{})
			f.endBlock(t, 30)
		}, func(t *testing.T, f *fixture) *registrytypes.MsgRegisterWorker {
			return f.successorMsg(t, 11, 1, newMeasurement)
		}, registrytypes.ErrMeasurementNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _ := migrationFixture(t)
			if tc.scheduled {
				f.schedule(t, 100)
			}
			if tc.setup != nil {
				tc.setup(t, f)
			}
			msg := tc.msg(t, f)
			before := f.snapshot(t)
			wantErrIs(t, f.registerTx(t, msg), tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

func TestMigrationPairMessagesRejects(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *fixture {
		f, _ := migrationFixture(t)
		f.schedule(t, 100)
		for _, p := range [][2]byte{{11, 1}, {12, 2}} {
			if err := f.registerTx(t, f.successorMsg(t, p[0], p[1], newMeasurement)); err != nil {
				t.Fatal(err)
			}
		}
		f.mustHandle(t, f.mig.HandleMigrationHandover, handoverMsg(2, 12, 1))
		f.mustHandle(t, f.mig.HandleMigrationReady, pairMsg(12, protocol.TopicMigrationReady, 2, 1))
		return f
	}
	tests := []struct {
		name string
		h    func(f *fixture) func(sdk.Context, protocol.Message) error
		m    protocol.Message
		want error
	}{
		{"handover from an unpaired worker", handover, handoverMsg(6, 11, 1), types.ErrNotPaired},
		{"handover to another successor", handover, handoverMsg(1, 12, 1), types.ErrNotPaired},
		{"handover for another migration", handover, handoverMsg(1, 11, 2), types.ErrNoMigration},
		{"malformed handover", handover, fromWorker(1, protocol.TopicMigrationHandover, []byte{1}), types.ErrMalformedPayload},
		{"handover after ready", handover, handoverMsg(2, 12, 1), types.ErrPairReady},
		{"handover from the gatekeepers", handover, fromGatekeepers(protocol.TopicMigrationHandover, handoverMsg(1, 11, 1).Payload), types.ErrInvalidOrigin},
		{"ready before a handover", ready, pairMsg(11, protocol.TopicMigrationReady, 1, 1), types.ErrNoHandover},
		{"ready from another successor", ready, pairMsg(12, protocol.TopicMigrationReady, 1, 1), types.ErrNotPaired},
		{"ready of an unpaired predecessor", ready, pairMsg(11, protocol.TopicMigrationReady, 3, 1), types.ErrNotPaired},
		{"ready twice", ready, pairMsg(12, protocol.TopicMigrationReady, 2, 1), types.ErrPairReady},
		{"malformed ready", ready, fromWorker(11, protocol.TopicMigrationReady, []byte{1, 2}), types.ErrMalformedPayload},
		{"fault before a handover", fault, pairMsg(11, protocol.TopicMigrationFault, 1, 1), types.ErrNoHandover},
		{"fault after ready", fault, pairMsg(12, protocol.TopicMigrationFault, 2, 1), types.ErrPairReady},
		{"fault from the predecessor", fault, pairMsg(2, protocol.TopicMigrationFault, 2, 1), types.ErrNotPaired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			before := f.snapshot(t)
			wantErrIs(t, f.handle(t, tc.h(f), tc.m), tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

func handover(f *fixture) func(sdk.Context, protocol.Message) error {
	return f.mig.HandleMigrationHandover
}
func ready(f *fixture) func(sdk.Context, protocol.Message) error { return f.mig.HandleMigrationReady }
func fault(f *fixture) func(sdk.Context, protocol.Message) error { return f.mig.HandleMigrationFault }

// When too few gatekeepers would be live after the migration, the handler
// keeps the old version: the migration is cancelled and nothing else moves.
func TestMigrationActivationKeepsAQuorum(t *testing.T) {
	t.Parallel()
	f, _ := migrationFixture(t)
	f.schedule(t, 100)
	for _, p := range [][2]byte{{11, 1}, {12, 2}} {
		if err := f.registerTx(t, f.successorMsg(t, p[0], p[1], newMeasurement)); err != nil {
			t.Fatal(err)
		}
	}
	f.mustHandle(t, f.mig.HandleMigrationHandover, handoverMsg(1, 11, 1))
	f.mustHandle(t, f.mig.HandleMigrationReady, pairMsg(11, protocol.TopicMigrationReady, 1, 1))
	mark := len(f.ingress(t))
	f.activate(t, 1, 100)
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMigrationCancelled,
		protocol.MigrationCancelled{ID: 1, Reason: protocol.CancelTooFewGatekeepers}.Encode()})
	m := f.migration(t)
	if m.Phase != types.MIGRATION_PHASE_CANCELLED || m.CancelReason != uint32(protocol.CancelTooFewGatekeepers) || m.CancelledHeight != 100 {
		t.Fatalf("migration %+v", m)
	}
	if got := f.gatekeeperSeeds(t, 1, 2, 3, 11, 12); !slices.Equal(got, []byte{1, 2, 3}) {
		t.Fatalf("gatekeepers %v, want the old set", got)
	}
	if ok, _ := f.reg.Measurements.Has(f.ctx, collections.Join(attest.KindSim, newMeasurement[:])); ok {
		t.Error("the successor measurement is still allowed")
	}
	if ok, _ := f.reg.Measurements.Has(f.ctx, collections.Join(attest.KindSim, simMeasurement[:])); !ok {
		t.Error("the old measurement was removed")
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMigrationCancelled, map[string]string{types.AttributeMigrationID: "1"}) {
		t.Error("no cancellation event")
	}
	// A rotation may start again.
	if v := f.rotate(t); v != 1 {
		t.Fatalf("rotation to v%d", v)
	}
}

// A migration whose plan governance cancelled (or replaced) is cancelled at
// the end of that block; a plan still pending keeps it.
func TestMigrationPlanGone(t *testing.T) {
	t.Parallel()
	f, u := migrationFixture(t)
	f.schedule(t, 100)
	f.endBlock(t, 30)
	if m := f.migration(t); !m.Pending() {
		t.Fatalf("migration %s with its plan pending", types.MigrationPhaseName(m.Phase))
	}
	u.plan = &upgradetypes.Plan{Name: "v2", Height: 100}
	mark := len(f.ingress(t))
	f.endBlock(t, 31)
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMigrationCancelled,
		protocol.MigrationCancelled{ID: 1, Reason: protocol.CancelPlanGone}.Encode()})
	if m := f.migration(t); m.Phase != types.MIGRATION_PHASE_CANCELLED || m.CancelledHeight != 31 {
		t.Fatalf("migration %+v", m)
	}
	if _, ok, _ := f.mig.MigrationUpgradeHandler(f.ctx, "pruntime-migration-1", 100); ok {
		t.Error("a cancelled migration still has a handler")
	}
	// The next one gets the next id.
	u.plan = nil
	if resp := f.schedule(t, 200); resp.Id != 2 {
		t.Fatalf("next migration id %d", resp.Id)
	}
}

// A pending migration survives an export and import, and its plan is
// scheduled again on the new chain.
func TestMigrationGenesis(t *testing.T) {
	t.Parallel()
	f, _ := migrationFixture(t)
	f.schedule(t, 100)
	if err := f.registerTx(t, f.successorMsg(t, 11, 1, newMeasurement)); err != nil {
		t.Fatal(err)
	}
	gs, err := f.exportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis: %v", err)
	}
	g := newFixture(t)
	g.importRegistry(t, f)
	u := &fakeUpgrade{}
	g.setUpgradeKeeper(u)
	if err := g.initGenesis(g.ctx, gs); err != nil {
		t.Fatalf("InitGenesis: %v", err)
	}
	if u.plan == nil || u.plan.Name != "pruntime-migration-1" || u.plan.Height != 100 {
		t.Fatalf("plan after import: %+v", u.plan)
	}
	if m := g.migration(t); !m.Pending() || len(m.Pairs) != 1 {
		t.Fatalf("imported migration %+v", m)
	}

	// Validation.
	for name, edit := range map[string]func(*types.GenesisState){
		"two pending": func(gs *types.GenesisState) {
			second := gs.Migrations[0]
			second.Id = 2
			second.PlanName = types.MigrationPlanName(2)
			gs.Migrations = append(gs.Migrations, second)
		},
		"wrong plan name":       func(gs *types.GenesisState) { gs.Migrations[0].PlanName = "v2" },
		"id 2 first":            func(gs *types.GenesisState) { gs.Migrations[0].Id = 2 },
		"successor not allowed": func(gs *types.GenesisState) { gs.Migrations[0].Measurement = []byte{9} },
		"pair key short":        func(gs *types.GenesisState) { gs.Migrations[0].Pairs[0].Successor = []byte{1} },
		"done without height":   func(gs *types.GenesisState) { gs.Migrations[0].Phase = types.MIGRATION_PHASE_DONE },
		"nothing replaced":      func(gs *types.GenesisState) { gs.Migrations[0].ReplacedMeasurements = nil },
	} {
		bad, err := f.exportGenesis(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		edit(bad)
		// InitGenesis validates against x/registry's allow-list.
		allowed := map[string]bool{}
		if err := f.reg.Measurements.Walk(f.ctx, nil, func(_ collections.Pair[string, []byte], m registrytypes.Measurement) (bool, error) {
			allowed[m.TeeKind+"/"+string(m.Measurement)] = true
			return false, nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := bad.ValidateAgainst(nil, allowed); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: Validate = %v, want ErrInvalidGenesis", name, err)
		}
	}
}

// The plan name round-trips and nothing else parses as one.
func TestMigrationPlanName(t *testing.T) {
	t.Parallel()
	if id, ok := types.ParseMigrationPlanName(types.MigrationPlanName(42)); !ok || id != 42 {
		t.Fatalf("parse %q: %d, %t", types.MigrationPlanName(42), id, ok)
	}
	for _, name := range []string{"", "v2", "pruntime-migration-", "pruntime-migration-0", "pruntime-migration-01", "pruntime-migration-1x", "pruntime-migration--1"} {
		if _, ok := types.ParseMigrationPlanName(name); ok {
			t.Errorf("%q parsed as a migration plan", name)
		}
	}
}

// migrate schedules a migration on f (with x/upgrade), pairs each successor
// with its predecessor, relays a handover for each, has them all report
// ready, and activates at 100.
func (f *fixture) migrate(t testing.TB, pairs ...[2]byte) {
	t.Helper()
	f.setUpgradeKeeper(&fakeUpgrade{})
	f.schedule(t, 100)
	for _, p := range pairs {
		if err := f.registerTx(t, f.successorMsg(t, p[0], p[1], newMeasurement)); err != nil {
			t.Fatalf("successor %d: %v", p[0], err)
		}
		f.mustHandle(t, f.mig.HandleMigrationHandover, handoverMsg(p[1], p[0], 1))
		f.mustHandle(t, f.mig.HandleMigrationReady, pairMsg(p[0], protocol.TopicMigrationReady, p[1], 1))
	}
	f.activate(t, 1, 100)
}

// A successor of a gatekeeper that was not live yet is not live either and
// is sent the history like any newcomer; a successor of the launcher
// launches.
func TestMigrationActivationRoles(t *testing.T) {
	t.Parallel()
	t.Run("not live", func(t *testing.T) {
		t.Parallel()
		f := launchedFixture(t, []byte{1, 2, 3}, nil)
		f.goLive(t, 2)
		mark := len(f.ingress(t))
		f.migrate(t, [2]byte{11, 1}, [2]byte{12, 2}, [2]byte{13, 3})
		if m := f.migration(t); m.Phase != types.MIGRATION_PHASE_DONE {
			t.Fatalf("migration %s", types.MigrationPhaseName(m.Phase))
		}
		if g := f.gatekeeper(t, 13); g.LiveHeight != 0 {
			t.Errorf("successor of a gatekeeper that was not live is live at %d", g.LiveHeight)
		}
		if g := f.gatekeeper(t, 12); g.LiveHeight != 100 {
			t.Errorf("successor of a live gatekeeper live at %d", g.LiveHeight)
		}
		got := f.ingressSince(t, mark)
		last := got[len(got)-1]
		if last.Topic != protocol.TopicMasterKeyRequest || !bytes.Equal(last.Payload,
			protocol.KeyRequest{Identity: pub(testKey(13)), ReceiveKey: f.receiveKey(t, 13)}.Encode()) {
			t.Fatalf("last ingress %s, want a master key request for the successor of 3", last.Topic)
		}
	})
	t.Run("launcher", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		for _, s := range []byte{1, 2} {
			f.registerSim(t, s)
			f.addGatekeeper(t, s)
		}
		mark := len(f.ingress(t))
		f.migrate(t, [2]byte{11, 1})
		if l, err := f.k.Launcher.Get(f.ctx); err != nil || !bytes.Equal(l, pub(testKey(11))) {
			t.Fatalf("launcher %x, %v; want the successor of the launcher", l, err)
		}
		got := f.ingressSince(t, mark)
		if last := got[len(got)-1]; last.Topic != protocol.TopicGatekeeperLaunch || !bytes.Equal(last.Payload, pub(testKey(11))) {
			t.Fatalf("last ingress %s %x", last.Topic, last.Payload)
		}
		if got := f.gatekeeperSeeds(t, 1, 2, 11); !slices.Equal(got, []byte{11}) {
			t.Fatalf("gatekeepers %v: 2 had no successor and no master key existed to lose", got)
		}
	})
	t.Run("launcher lost", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		for _, s := range []byte{1, 2} {
			f.registerSim(t, s)
			f.addGatekeeper(t, s)
		}
		f.migrate(t, [2]byte{12, 2})
		if l, err := f.k.Launcher.Get(f.ctx); err != nil || !bytes.Equal(l, pub(testKey(12))) {
			t.Fatalf("launcher %x, %v; want the only gatekeeper left", l, err)
		}
	})
}
