package app_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// successorMeasurement is the new pRuntime build's measurement.
var successorMeasurement = [32]byte{0x5e, 0xed, 2}

// successor registers a sim worker with successorMeasurement that names
// pred as its predecessor, operated by the chain's first account as every
// gkNet worker is.
func (n *gkNet) successor(pred *apptest.Worker) *apptest.Worker {
	n.t.Helper()
	op := n.c.Accounts[0]
	w := n.c.NewWorkerWith(op, func(ri *protocol.RegistrationInfo) { ri.Predecessor = pred.PublicKey() })
	w.Quote = n.c.SimQuote(successorMeasurement, protocol.ReportData(apptest.ChainID, w.Info), n.c.Time)
	res := n.tx(op, w.RegisterMsg(op))
	requireOK(n.t, "register successor", res.Code, res.Log)
	return w
}

func (n *gkNet) migration() gatekeepertypes.Migration {
	n.t.Helper()
	resp, err := n.c.App.MigrationKeeper.Migration(n.c.CommittedContext(), &gatekeepertypes.QueryMigrationRequest{Id: 1})
	if err != nil {
		n.t.Fatal(err)
	}
	return *resp.Migration
}

// TestPRuntimeMigration runs a migration through real blocks: governance
// schedules it (an x/upgrade plan), successors register with the new
// measurement and are paired, the predecessors' handovers and the
// successors' readiness arrive as signed egress, and at the activation
// height x/upgrade runs the handler in the pre-blocker. The old version can
// no longer send; the successors are the gatekeepers and the cluster's
// member; the node restarts before and after the activation as a real
// node would, and x/upgrade finds the handlers it requires.
func TestPRuntimeMigration(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 1, 0)
	gk1, gk2, gk3, w1 := n.gks[0], n.gks[1], n.gks[2], n.workers[0]
	n.launch()
	res := n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: n.operator.Address.String(), Workers: []string{w1.Hex()}})
	requireOK(t, "create cluster", res.Code, res.Log)
	ts := tasks(t, n.c.Ingress(), protocol.TopicClusterTask)
	ck := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, PublicKey: bytes.Repeat([]byte{0xc0}, 32)}.Encode()
	n.vote(gk1, ts[0].Seq, protocol.TopicClusterKey, ck)
	n.requireHandled(n.vote(gk2, ts[0].Seq, protocol.TopicClusterKey, ck))

	// Governance schedules it.
	auth := n.c.App.RegistryKeeper.Authority()
	activation := n.c.App.LastBlockHeight() + 40
	schedule := &gatekeepertypes.MsgScheduleMigration{Authority: auth, TeeKind: attest.KindSim,
		Measurement: hex.EncodeToString(successorMeasurement[:]), Description: "pruntime v2", ActivationHeight: activation}
	mark := len(n.c.Ingress())
	if err := n.gov(schedule); err != nil {
		t.Fatalf("schedule: %v", err)
	}
	if got := topics(n.ingressSince(mark)); !slices.Equal(got, []string{protocol.TopicMigrationScheduled}) {
		t.Fatalf("ingress after scheduling: %q", got)
	}
	plan, err := n.c.App.UpgradeKeeper.GetUpgradePlan(n.c.CommittedContext())
	if err != nil || plan.Name != "pruntime-migration-1" || plan.Height != activation {
		t.Fatalf("upgrade plan %+v, %v", plan, err)
	}
	if err := n.gov(&gatekeepertypes.MsgRotateMasterKey{Authority: auth}); !errors.Is(err, gatekeepertypes.ErrMigrationPending) {
		t.Fatalf("rotation during the migration: %v", err)
	}

	// Successors register and are paired; predecessors hand over.
	s1, s2, sw := n.successor(gk1), n.successor(gk2), n.successor(w1)
	reqs := 0
	for _, m := range n.c.Ingress() {
		if m.Topic == protocol.TopicMigrationHandoverRequest {
			reqs++
		}
	}
	if reqs != 3 {
		t.Fatalf("%d handover requests, want 3", reqs)
	}
	// x/upgrade exports no plan: an imported chain schedules it again from
	// the pending migration, at the same height.
	imported := n.c.Import(t, n.c.Export())
	if p, err := imported.App.UpgradeKeeper.GetUpgradePlan(imported.CommittedContext()); err != nil || p.Name != plan.Name || p.Height != activation {
		t.Fatalf("plan on the imported chain %+v, %v", p, err)
	}
	if resp, err := imported.App.MigrationKeeper.Migration(imported.CommittedContext(), &gatekeepertypes.QueryMigrationRequest{Id: 1}); err != nil ||
		!resp.Migration.Pending() || len(resp.Migration.Pairs) != 3 {
		t.Fatalf("migration on the imported chain %+v, %v", resp, err)
	}
	// A restart before the height: no handler may exist yet.
	n.c.Restart()
	for _, p := range []struct{ pred, succ *apptest.Worker }{{gk1, s1}, {gk2, s2}, {w1, sw}} {
		h := protocol.MigrationHandover{ID: 1, Successor: p.succ.PublicKey(), Count: 1, Sealed: []byte("sealed")}.Encode()
		mark = len(n.c.Ingress())
		n.requireHandled(n.send(p.pred, protocol.TopicMigrationHandover, h))
		got := n.ingressSince(mark)
		if len(got) != 1 || got[0].Topic != protocol.TopicMigrationHandover ||
			!bytes.Equal(got[0].Payload, protocol.Relayed{Sender: p.pred.PublicKey(), Body: h}.Encode()) {
			t.Fatalf("relayed handover %+v", got)
		}
		n.requireHandled(n.send(p.succ, protocol.TopicMigrationReady, protocol.MigrationPairRef{ID: 1, Predecessor: p.pred.PublicKey()}.Encode()))
	}
	n.requireRejected("handover to another's successor", n.send(gk3, protocol.TopicMigrationHandover,
		protocol.MigrationHandover{ID: 1, Successor: s1.PublicKey(), Count: 1, Sealed: []byte("x")}.Encode()), gatekeepertypes.ErrNotPaired)

	// Blocks up to the activation height; x/upgrade runs the plan there.
	for n.c.App.LastBlockHeight() < activation-1 {
		n.c.NextBlock()
	}
	if m := n.migration(); !m.Pending() {
		t.Fatalf("migration %s before its height", gatekeepertypes.MigrationPhaseName(m.Phase))
	}
	mark = len(n.c.Ingress())
	n.c.NextBlock()
	got := n.ingressSince(mark)
	if tps := topics(got); len(tps) < 2 || tps[0] != protocol.TopicMigrationActivated || tps[1] != protocol.TopicGatekeeperRemoved {
		t.Fatalf("ingress at the activation height: %q", tps)
	}
	act, err := protocol.DecodeMigrationActivated(got[0].Payload)
	if err != nil || act.ID != 1 || len(act.Pairs) != 3 {
		t.Fatalf("migration_activated %+v, %v", act, err)
	}
	m := n.migration()
	if m.Phase != gatekeepertypes.MIGRATION_PHASE_DONE || m.ActivatedHeight != activation || len(m.LostGatekeepers) != 1 ||
		!bytes.Equal(m.LostGatekeepers[0], gk3.PublicKey()) {
		t.Fatalf("migration after its height: %+v", m)
	}
	ctx := n.c.CommittedContext()
	if done, err := n.c.App.UpgradeKeeper.GetDoneHeight(ctx, "pruntime-migration-1"); err != nil || done != activation {
		t.Fatalf("x/upgrade done height %d, %v", done, err)
	}
	if _, err := n.c.App.UpgradeKeeper.GetUpgradePlan(ctx); !errors.Is(err, upgradetypes.ErrNoUpgradePlanFound) {
		t.Fatalf("plan still pending: %v", err)
	}
	gks, err := n.c.App.GatekeeperKeeper.GatekeeperKeys(ctx)
	if err != nil || len(gks) != 2 || !slices.ContainsFunc(gks, func(k []byte) bool { return bytes.Equal(k, s1.PublicKey()) }) ||
		!slices.ContainsFunc(gks, func(k []byte) bool { return bytes.Equal(k, s2.PublicKey()) }) {
		t.Fatalf("gatekeepers %x, want the two successors", gks)
	}
	c, err := n.c.App.GatekeeperKeeper.GetCluster(ctx, 1)
	if err != nil || len(c.Workers) != 1 || !bytes.Equal(c.Workers[0], sw.PublicKey()) {
		t.Fatalf("cluster %+v, %v", c, err)
	}

	// The old version can no longer send; the new one works. A restart
	// after the height needs the applied plan's handler.
	n.c.Restart()
	old := n.c.Sign(gk1, protocol.Message{Origin: protocol.WorkerOrigin(gk1.PublicKey()), Topic: protocol.TopicGatekeeperLive,
		Seq: nextSeq(t, n.c, n.c.CommittedContext(), protocol.WorkerOrigin(gk1.PublicKey())), Payload: protocol.EncodeU32(1)})
	n.checkTx("egress of a retired pRuntime", mqtypes.ErrUnknownSender, old)
	n.requireHandled(n.send(s1, protocol.TopicMasterKeyCopy,
		protocol.MasterKeyCopy{Recipient: s2.PublicKey(), First: 0, Count: 1, Sealed: []byte("sealed")}.Encode()))
	if err := n.gov(&gatekeepertypes.MsgRotateMasterKey{Authority: auth}); err != nil {
		t.Fatalf("rotation after the migration: %v", err)
	}
}

// Governance cancelling the plan (MsgCancelUpgrade) cancels the migration
// in the same block; the old version stays.
func TestPRuntimeMigrationCancelled(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 1, 0, 0)
	n.launch()
	auth := n.c.App.RegistryKeeper.Authority()
	if err := n.gov(&gatekeepertypes.MsgScheduleMigration{Authority: auth, TeeKind: attest.KindSim,
		Measurement: hex.EncodeToString(successorMeasurement[:]), ActivationHeight: n.c.App.LastBlockHeight() + 30}); err != nil {
		t.Fatalf("schedule: %v", err)
	}
	if err := n.gov(&upgradetypes.MsgCancelUpgrade{Authority: auth}); err != nil {
		t.Fatalf("cancel upgrade: %v", err)
	}
	m := n.migration()
	if m.Phase != gatekeepertypes.MIGRATION_PHASE_CANCELLED || m.CancelReason != uint32(protocol.CancelPlanGone) {
		t.Fatalf("migration %+v", m)
	}
	last := n.c.Ingress()[len(n.c.Ingress())-1]
	if c, err := protocol.DecodeMigrationCancelled(last.Payload); last.Topic != protocol.TopicMigrationCancelled || err != nil || c.ID != 1 {
		t.Fatalf("last ingress %s %+v, %v", last.Topic, c, err)
	}
	if err := n.gov(&gatekeepertypes.MsgRotateMasterKey{Authority: auth}); err != nil {
		t.Fatalf("rotation after the cancellation: %v", err)
	}
}
