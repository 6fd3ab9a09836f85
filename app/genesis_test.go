package app_test

import (
	"bytes"
	"encoding/json"
	"testing"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestGenesisExportImport exports a chain with workers, gatekeepers,
// delivered egress, a pending gatekeeper vote and ingress entries, starts a
// fresh app from that state, and exports again: the mq and registry states
// are byte-identical, and the imported chain carries on where the old one
// stopped.
func TestGenesisExportImport(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	c := apptest.NewWithOptions(t, apptest.Options{Accounts: 3, Routes: []apptest.Route{rec.route()}})
	op, relayer := c.Accounts[0], c.Accounts[1]
	w, gk1, gk2, gk3 := c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op), c.RegisterWorker(op)
	c.AddGatekeepers(gk1, gk2, gk3)
	pushTestTasks(c, 3)

	sync := func(c *apptest.Chain, sms ...mqtypes.SignedMessage) {
		t.Helper()
		res := c.NextBlock(c.Tx(relayer, 100_000, apptest.SyncMsg(relayer, sms...)))
		requireOK(t, "sync", res[0].Code, res[0].Log)
	}
	sync(c, c.Sign(w, endpointMsg(w, 0)), c.Sign(w, endpointMsg(w, 1)))
	sync(c, c.Sign(gk1, gkMsg(0, "settle 0")), c.Sign(gk2, gkMsg(0, "settle 0")))
	sync(c, c.Sign(gk1, gkMsg(1, "settle 1"))) // pending: one vote of two
	if len(rec.got) != 1 {
		t.Fatalf("%d gatekeeper messages delivered before export, want 1", len(rec.got))
	}

	exp1 := c.Export()
	mq1, reg1 := moduleStates(t, exp1)
	var gs mqtypes.GenesisState
	c.App.AppCodec().MustUnmarshalJSON(mq1, &gs)
	// Ingress: the computation params of genesis, four worker_registered,
	// three gatekeeper_added, one gatekeeper_launch and three task entries.
	// Tasks 1 and 2 are pending.
	if len(gs.Ingress) != 12 || len(gs.Sequences) != 2 || len(gs.Votes) != 1 || len(gs.Tasks) != 2 || gs.NextTask != 3 {
		t.Fatalf("exported mq state has %d ingress entries, %d sequences, %d votes, %d tasks (next %d); want 12, 2, 1, 2 (3)",
			len(gs.Ingress), len(gs.Sequences), len(gs.Votes), len(gs.Tasks), gs.NextTask)
	}
	rgs, ggs := registryState(t, c, reg1), gatekeeperState(t, c, reg1)
	if len(rgs.Workers) != 4 || len(ggs.Gatekeepers) != 3 || !bytes.Equal(ggs.Launcher, gk1.PublicKey()) {
		t.Fatalf("exported registry has %d workers, %d gatekeepers, launcher %x; want 4, 3, gk1", len(rgs.Workers), len(ggs.Gatekeepers), ggs.Launcher)
	}

	n := c.Import(t, exp1)
	relayer = n.Accounts[1]
	exp2 := n.Export()
	mq2, reg2 := moduleStates(t, exp2)
	if !bytes.Equal(mq1, mq2) {
		t.Errorf("mq state differs after import:\nexported: %s\nre-exported: %s", mq1, mq2)
	}
	if !bytes.Equal(reg1, reg2) {
		t.Errorf("registry state differs after import:\nexported: %s\nre-exported: %s", reg1, reg2)
	}
	if exp2.Height != exp1.Height+1 {
		t.Errorf("imported chain at height %d, want %d", exp2.Height, exp1.Height+1)
	}

	// The imported chain continues both channels.
	stale := n.CheckTx(n.Tx(relayer, 100_000, apptest.SyncMsg(relayer, n.Sign(w, endpointMsg(w, 1)))))
	relayer.Seq--
	requireCode(t, "replay after import", stale.Code, stale.Codespace, stale.Log, mqtypes.ErrStaleSequence)
	sync(n, n.Sign(w, endpointMsg(w, 2)))
	sync(n, n.Sign(gk3, gkMsg(1, "settle 1"))) // the pending vote plus this one make quorum
	if len(rec.got) != 2 || string(rec.got[1].Payload) != "settle 1" {
		t.Fatalf("handler saw %d messages after import, want the pending seq 1 delivered", len(rec.got))
	}
	if got := nextSeq(t, n, n.CommittedContext(), protocol.GatekeeperOrigin()); got != 2 {
		t.Fatalf("gatekeeper next seq = %d, want 2", got)
	}
	if seq := n.PushGatekeeperTask(testModule, testTaskTopic, testTopic, nil); seq != 3 {
		t.Fatalf("task after import at seq %d, want 3", seq)
	}
}

// moduleStates returns the mq section of an exported app state, and the
// registry and gatekeeper sections as one JSON object (keyed by module).
func moduleStates(t *testing.T, exp servertypes.ExportedApp) (mq, modules json.RawMessage) {
	t.Helper()
	var state map[string]json.RawMessage
	if err := json.Unmarshal(exp.AppState, &state); err != nil {
		t.Fatal(err)
	}
	mq = state[mqtypes.ModuleName]
	reg, gk := state[registrytypes.ModuleName], state[gatekeepertypes.ModuleName]
	if len(mq) == 0 || len(reg) == 0 || len(gk) == 0 {
		t.Fatal("export lacks the mq, registry or gatekeeper state")
	}
	modules, err := json.Marshal(map[string]json.RawMessage{registrytypes.ModuleName: reg, gatekeepertypes.ModuleName: gk})
	if err != nil {
		t.Fatal(err)
	}
	return mq, modules
}

// registryState decodes the registry section of moduleStates' modules.
func registryState(t *testing.T, c *apptest.Chain, modules json.RawMessage) registrytypes.GenesisState {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(modules, &m); err != nil {
		t.Fatal(err)
	}
	var gs registrytypes.GenesisState
	c.App.AppCodec().MustUnmarshalJSON(m[registrytypes.ModuleName], &gs)
	return gs
}

// gatekeeperState decodes the gatekeeper section of moduleStates' modules.
func gatekeeperState(t *testing.T, c *apptest.Chain, modules json.RawMessage) gatekeepertypes.GenesisState {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(modules, &m); err != nil {
		t.Fatal(err)
	}
	var gs gatekeepertypes.GenesisState
	c.App.AppCodec().MustUnmarshalJSON(m[gatekeepertypes.ModuleName], &gs)
	return gs
}
