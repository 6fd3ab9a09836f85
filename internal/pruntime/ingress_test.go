package pruntime

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// TestIngressTopicsRouted pins every topic the chain appends to ingress to
// the role that handles it: one row each, none missing.
func TestIngressTopicsRouted(t *testing.T) {
	t.Parallel()
	want := map[string]ingress.Role{
		protocol.TopicWorkerRegistered:  ingress.RoleWorker,
		protocol.TopicGatekeeperAdded:   ingress.RoleWorker,
		protocol.TopicGatekeeperRemoved: ingress.RoleWorker,

		protocol.TopicMigrationScheduled:       ingress.RoleMigration,
		protocol.TopicMigrationHandoverRequest: ingress.RoleMigration,
		protocol.TopicMigrationHandover:        ingress.RoleMigration,
		protocol.TopicMigrationActivated:       ingress.RoleMigration,
		protocol.TopicMigrationCancelled:       ingress.RoleMigration,

		protocol.TopicGatekeeperLaunch:     ingress.RoleGatekeeper,
		protocol.TopicMasterKey:            ingress.RoleGatekeeper,
		protocol.TopicMasterKeyRequest:     ingress.RoleGatekeeper,
		protocol.TopicMasterKeyCopy:        ingress.RoleGatekeeper,
		protocol.TopicClusterTask:          ingress.RoleGatekeeper,
		protocol.TopicBeaconTask:           ingress.RoleGatekeeper,
		protocol.TopicBeacon:               ingress.RoleGatekeeper,
		protocol.TopicClusterGrant:         ingress.RoleGatekeeper,
		protocol.TopicClusterKeyCopy:       ingress.RoleGatekeeper,
		protocol.TopicClusterMemberRemoved: ingress.RoleGatekeeper,
		protocol.TopicClusterKey:           ingress.RoleGatekeeper,

		protocol.TopicRotationStart:            ingress.RoleRotation,
		protocol.TopicRotationProposed:         ingress.RoleRotation,
		protocol.TopicRotationProposalRejected: ingress.RoleRotation,
		protocol.TopicReencryptStart:           ingress.RoleRotation,
		protocol.TopicReencryptSweep:           ingress.RoleRotation,
		protocol.TopicReencryptReassigned:      ingress.RoleRotation,
		protocol.TopicMasterKeyRetired:         ingress.RoleRotation,
		protocol.TopicMasterKeyErase:           ingress.RoleRotation,

		protocol.TopicComputationParams: ingress.RoleComputation,
		protocol.TopicSessionStarted:    ingress.RoleComputation,
		protocol.TopicSessionStopped:    ingress.RoleComputation,
		protocol.TopicHeartbeat:         ingress.RoleComputation,
		protocol.TopicBlock:             ingress.RoleComputation,
	}
	n := newTestNode(t)
	if got := n.r.topics.Len(); got != len(want) {
		t.Errorf("%d rows, want %d", got, len(want))
	}
	for topic, role := range want {
		row, ok := n.r.topics.Lookup(topic)
		if !ok || row.Role != role {
			t.Errorf("topic %s: row %v role %q, want %q", topic, ok, row.Role, role)
		}
	}
	// Egress-only topics are the chain's to handle, not the enclave's.
	for _, topic := range []string{protocol.TopicRotationAck, protocol.TopicGatekeeperLive, protocol.TopicSettlement} {
		if _, ok := n.r.topics.Lookup(topic); ok {
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

	if _, err := r.dispatch.handleIngress(tx, m); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("handleIngress: %v, want ErrUnknownTopic", err)
	}
	keys, err := r.dispatch.applyEntry(tx, 7, m)
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
