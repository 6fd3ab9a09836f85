package pruntime

import (
	"bytes"
	"errors"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestTopicTableRefusesBadRows(t *testing.T) {
	t.Parallel()
	nop := func(*state.Tx, []byte) (bool, error) { return false, nil }
	tests := []struct {
		name string
		rows []ingressRoute
		want error
	}{
		{"distinct topics", []ingressRoute{{"a/x", RoleWorker, nop}, {"a/y", RoleGatekeeper, nop}}, nil},
		{"duplicate topic in one role", []ingressRoute{{"a/x", RoleWorker, nop}, {"a/x", RoleWorker, nop}}, ErrDuplicateTopic},
		{"duplicate topic across roles", []ingressRoute{{"a/x", RoleMigration, nop}, {"a/y", RoleWorker, nop}, {"a/x", RoleGatekeeper, nop}}, ErrDuplicateTopic},
		{"empty topic", []ingressRoute{{"", RoleWorker, nop}}, ErrBadRoute},
		{"no role", []ingressRoute{{"a/x", "", nop}}, ErrBadRoute},
		{"no handler", []ingressRoute{{"a/x", RoleWorker, nil}}, ErrBadRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab, err := newTopicTable(tc.rows)
			if !errors.Is(err, tc.want) {
				t.Fatalf("newTopicTable: %v, want %v", err, tc.want)
			}
			if err == nil && len(tab.routes) != len(tc.rows) {
				t.Fatalf("%d routes from %d rows", len(tab.routes), len(tc.rows))
			}
		})
	}
}

// TestIngressTopicsRouted pins every topic the chain appends to ingress to
// the role that handles it: one row each, none missing.
func TestIngressTopicsRouted(t *testing.T) {
	t.Parallel()
	want := map[string]Role{
		protocol.TopicWorkerRegistered:  RoleWorker,
		protocol.TopicGatekeeperAdded:   RoleWorker,
		protocol.TopicGatekeeperRemoved: RoleWorker,

		protocol.TopicMigrationScheduled:       RoleMigration,
		protocol.TopicMigrationHandoverRequest: RoleMigration,
		protocol.TopicMigrationHandover:        RoleMigration,
		protocol.TopicMigrationActivated:       RoleMigration,
		protocol.TopicMigrationCancelled:       RoleMigration,

		protocol.TopicGatekeeperLaunch:     RoleGatekeeper,
		protocol.TopicMasterKey:            RoleGatekeeper,
		protocol.TopicMasterKeyRequest:     RoleGatekeeper,
		protocol.TopicMasterKeyCopy:        RoleGatekeeper,
		protocol.TopicClusterTask:          RoleGatekeeper,
		protocol.TopicBeaconTask:           RoleGatekeeper,
		protocol.TopicBeacon:               RoleGatekeeper,
		protocol.TopicClusterGrant:         RoleGatekeeper,
		protocol.TopicClusterKeyCopy:       RoleGatekeeper,
		protocol.TopicClusterMemberRemoved: RoleGatekeeper,
		protocol.TopicClusterKey:           RoleGatekeeper,

		protocol.TopicRotationStart:            RoleRotation,
		protocol.TopicRotationProposed:         RoleRotation,
		protocol.TopicRotationProposalRejected: RoleRotation,
		protocol.TopicReencryptStart:           RoleRotation,
		protocol.TopicReencryptSweep:           RoleRotation,
		protocol.TopicReencryptReassigned:      RoleRotation,
		protocol.TopicMasterKeyRetired:         RoleRotation,
		protocol.TopicMasterKeyErase:           RoleRotation,

		protocol.TopicComputationParams: RoleComputation,
		protocol.TopicSessionStarted:    RoleComputation,
		protocol.TopicSessionStopped:    RoleComputation,
		protocol.TopicHeartbeat:         RoleComputation,
		protocol.TopicBlock:             RoleComputation,
	}
	n := newTestNode(t)
	rows := n.r.ingressRoutes()
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for topic, role := range want {
		row, ok := n.r.topics.lookup(topic)
		if !ok || row.role != role {
			t.Errorf("topic %s: row %v role %q, want %q", topic, ok, row.role, role)
		}
	}
	// Egress-only topics are the chain's to handle, not the enclave's.
	for _, topic := range []string{protocol.TopicRotationAck, protocol.TopicGatekeeperLive, protocol.TopicSettlement} {
		if _, ok := n.r.topics.lookup(topic); ok {
			t.Errorf("egress topic %s has an ingress row", topic)
		}
	}
}

// TestUnknownTopicIsCountedAndSkipped: an entry the chain proved but this
// pRuntime version does not know leaves the state as it was, is counted
// under a fixed reason (never the topic text) and logged, and does not stop
// the sync call.
func TestUnknownTopicIsCountedAndSkipped(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	var logs bytes.Buffer
	n.r.log = slog.New(slog.NewTextHandler(&logs, nil))
	r := n.r
	tx := &state.Tx{Next: r.st.Clone(), Master: r.master.Clone()}
	before, err := tx.Next.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m := protocol.Message{Origin: protocol.ModuleOrigin("registry"), Topic: "registry/from_a_newer_chain", Payload: []byte{1, 2, 3}}

	if _, err := r.handleIngress(tx, m); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("handleIngress: %v, want ErrUnknownTopic", err)
	}
	keys, err := r.applyEntry(tx, 7, m)
	if err != nil || keys {
		t.Fatalf("applyEntry: keys %v, %v; want skipped", keys, err)
	}
	after, err := tx.Next.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("an unknown topic changed the state")
	}
	families, err := r.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range families {
		if f.GetName() != "pruntime_ingress_unhandled_total" {
			continue
		}
		found = true
		// One series per reason, never one per topic.
		for _, m := range f.GetMetric() {
			reason, value := m.GetLabel()[0].GetValue(), m.GetCounter().GetValue()
			switch {
			case reason == "unknown_topic" && value != 1:
				t.Fatalf("unknown_topic counted %v times, want 1", value)
			case reason != "unknown_topic" && reason != "invalid_transition":
				t.Fatalf("pruntime_ingress_unhandled_total has reason %q", reason)
			}
		}
	}
	if !found {
		t.Fatal("no pruntime_ingress_unhandled_total")
	}
	if !strings.Contains(logs.String(), "from_a_newer_chain") || !strings.Contains(logs.String(), "index=7") {
		t.Fatalf("log does not name the skipped entry: %s", logs.String())
	}
	// A known topic still applies after it.
	n.mustApply(protocol.Message{Topic: protocol.TopicGatekeeperAdded, Payload: n.id()})
	if !r.st.IsGatekeeper(n.id()) {
		t.Fatal("gatekeeper_added not applied")
	}
}
