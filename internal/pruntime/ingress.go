package pruntime

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Ingress dispatch: one table, built once when the runtime opens, maps
// every topic the enclave handles to its role and handler. Following an
// entry from SyncIngress to the code that applies it is one lookup.
//
// An unknown topic. The chain appends ingress and the runtime proves every
// entry against the app hash, so an entry with a topic no row names is not
// an attack: it means the chain is newer than this pRuntime (a version
// mismatch). handleIngress reports it as ErrUnknownTopic; SyncIngress counts
// it (pruntime_ingress_unhandled_total{reason="unknown_topic"}), logs it and
// moves past the entry, as the runtime always did. Refusing it instead would
// wedge every pRuntime of the old version on an entry the relayer can
// neither skip nor replace; the cure for a version mismatch is a migration
// to a pRuntime that knows the topic, and the counter is what tells the
// operator one is due.

// Errors of the topic table.
var (
	// ErrUnknownTopic: an ingress entry's topic has no row in the table.
	ErrUnknownTopic = errors.New("pruntime: ingress topic unknown to this pRuntime version")
	// ErrDuplicateTopic: two rows of a table name the same topic.
	ErrDuplicateTopic = errors.New("pruntime: ingress topic handled twice")
	// ErrBadRoute: a row without a topic, a role or a handler.
	ErrBadRoute = errors.New("pruntime: malformed ingress route")
)

// Role is the part of the enclave a topic belongs to. It labels logs and
// errors; it is never chain-supplied text.
type Role string

// The enclave's roles.
const (
	RoleWorker      Role = "worker"      // registration and the gatekeeper set
	RoleGatekeeper  Role = "gatekeeper"  // master keys, quorum tasks, cluster keys
	RoleRotation    Role = "rotation"    // master key rotation and re-encryption
	RoleMigration   Role = "migration"   // handover to a new pRuntime version
	RoleComputation Role = "computation" // the tokenomic engine
)

// ingressHandler applies one verified entry's payload to tx. keys reports
// that the entry concerned this pRuntime's keys or roles, which checkpoint
// at once.
type ingressHandler func(tx *state.Tx, payload []byte) (keys bool, err error)

// ingressRoute is one row of the topic table.
type ingressRoute struct {
	topic  string
	role   Role
	handle ingressHandler
}

// topicTable maps a topic to its row. It is built once and only read.
type topicTable struct {
	routes map[string]ingressRoute
}

// newTopicTable builds the table, refusing a malformed row or a topic
// named twice.
func newTopicTable(rows []ingressRoute) (*topicTable, error) {
	t := &topicTable{routes: make(map[string]ingressRoute, len(rows))}
	for _, row := range rows {
		if row.topic == "" || row.role == "" || row.handle == nil {
			return nil, fmt.Errorf("%w: topic %q, role %q", ErrBadRoute, row.topic, row.role)
		}
		if prev, dup := t.routes[row.topic]; dup {
			return nil, fmt.Errorf("%w: %q by %s and %s", ErrDuplicateTopic, row.topic, prev.role, row.role)
		}
		t.routes[row.topic] = row
	}
	return t, nil
}

// lookup returns topic's row.
func (t *topicTable) lookup(topic string) (ingressRoute, bool) {
	row, ok := t.routes[topic]
	return row, ok
}

// ingressRoutes are the rows of the runtime's topic table.
func (r *Runtime) ingressRoutes() []ingressRoute {
	keys := func(f func(*state.Tx, []byte) error) ingressHandler {
		return func(tx *state.Tx, p []byte) (bool, error) { return true, f(tx, p) }
	}
	noKeys := func(f func(*state.Tx, []byte) error) ingressHandler {
		return func(tx *state.Tx, p []byte) (bool, error) { return false, f(tx, p) }
	}
	return []ingressRoute{
		{protocol.TopicWorkerRegistered, RoleWorker, r.onWorkerRegistered},
		{protocol.TopicGatekeeperAdded, RoleWorker, r.onGatekeeperAdded},
		{protocol.TopicGatekeeperRemoved, RoleWorker, r.onGatekeeperRemovedEntry},

		{protocol.TopicMigrationScheduled, RoleMigration, noKeys(r.onMigrationScheduled)},
		{protocol.TopicMigrationHandoverRequest, RoleMigration, r.onHandoverRequest},
		{protocol.TopicMigrationHandover, RoleMigration, r.onHandover},
		{protocol.TopicMigrationActivated, RoleMigration, r.onMigrationActivated},
		{protocol.TopicMigrationCancelled, RoleMigration, r.onMigrationCancelled},

		{protocol.TopicGatekeeperLaunch, RoleGatekeeper, keys(r.onLaunch)},
		{protocol.TopicMasterKey, RoleGatekeeper, keys(r.onMasterKey)},
		{protocol.TopicMasterKeyRequest, RoleGatekeeper, keys(r.onMasterKeyRequest)},
		{protocol.TopicMasterKeyCopy, RoleGatekeeper, keys(r.onMasterKeyCopy)},
		{protocol.TopicClusterTask, RoleGatekeeper, keys(r.onClusterTask)},
		{protocol.TopicBeaconTask, RoleGatekeeper, keys(r.onBeaconTask)},
		{protocol.TopicBeacon, RoleGatekeeper, keys(r.onBeacon)},
		{protocol.TopicClusterGrant, RoleGatekeeper, keys(r.onClusterGrant)},
		{protocol.TopicClusterKeyCopy, RoleGatekeeper, keys(r.onClusterKeyCopy)},
		{protocol.TopicClusterMemberRemoved, RoleGatekeeper, keys(r.onClusterMemberRemoved)},
		{protocol.TopicClusterKey, RoleGatekeeper, keys(r.onClusterKey)},

		{protocol.TopicRotationStart, RoleRotation, keys(r.onRotationStart)},
		{protocol.TopicRotationProposed, RoleRotation, keys(r.onRotationProposed)},
		{protocol.TopicRotationProposalRejected, RoleRotation, keys(r.onRotationRejected)},
		{protocol.TopicReencryptStart, RoleRotation, keys(r.onReencryptStart)},
		{protocol.TopicReencryptSweep, RoleRotation, keys(r.onReencryptSweep)},
		{protocol.TopicReencryptReassigned, RoleRotation, keys(r.onReencryptReassigned)},
		{protocol.TopicMasterKeyRetired, RoleRotation, keys(r.onMasterKeyRetired)},
		{protocol.TopicMasterKeyErase, RoleRotation, keys(r.onMasterKeyErase)},

		{protocol.TopicComputationParams, RoleComputation, noKeys(r.onComputationParams)},
		{protocol.TopicSessionStarted, RoleComputation, noKeys(r.onSessionStarted)},
		{protocol.TopicSessionStopped, RoleComputation, noKeys(r.onSessionStopped)},
		{protocol.TopicHeartbeat, RoleComputation, noKeys(r.onHeartbeat)},
		{protocol.TopicBlock, RoleComputation, noKeys(r.onBlock)},
	}
}

// handleIngress applies one verified chain message to tx through the topic
// table. It reports whether the message concerned keys or roles, which
// checkpoint at once. A topic without a row is ErrUnknownTopic, and tx is
// left as it was.
func (r *Runtime) handleIngress(tx *state.Tx, m protocol.Message) (bool, error) {
	if tx.Next.Retired {
		return false, nil // replaced by a migration: signs nothing more
	}
	row, ok := r.topics.lookup(m.Topic)
	if !ok {
		return false, ErrUnknownTopic
	}
	keys, err := row.handle(tx, m.Payload)
	if err != nil {
		// The chain verified and wrote this entry: a payload that does not
		// parse is a protocol mismatch between chain and pRuntime versions.
		return keys, fmt.Errorf("pruntime: ingress %s (%s): %w", m.Topic, row.role, err)
	}
	return keys, nil
}

// applyEntry applies the verified entry at index: an entry of an unknown
// topic is counted, logged and moved past (see the top of this file).
func (r *Runtime) applyEntry(tx *state.Tx, index uint64, m protocol.Message) (bool, error) {
	keys, err := r.handleIngress(tx, m)
	if errors.Is(err, ErrUnknownTopic) {
		r.skipUnknownTopic(index, m.Topic)
		return false, nil
	}
	return keys, err
}

// unknownTopicLogLen bounds the part of an unknown topic that is logged.
const unknownTopicLogLen = protocol.MaxTopicLen

// skipUnknownTopic counts and logs an entry of an unknown topic.
func (r *Runtime) skipUnknownTopic(index uint64, topic string) {
	r.metrics.ingressUnhandled.WithLabelValues("unknown_topic").Inc()
	if len(topic) > unknownTopicLogLen {
		topic = topic[:unknownTopicLogLen]
	}
	r.log.Warn("ingress entry of a topic this pRuntime version does not know; skipped: the chain is newer, migrate to a pRuntime that knows it",
		"index", index, "topic", fmt.Sprintf("%q", topic))
}

// invalidTransition logs an entry that a role's state machine cannot take
// in its phase, counts it, and moves past it: ingress is proven, so this is
// a version mismatch between chain and pRuntime, never an attack, and
// stopping on it would wedge the pRuntime (see the top of this file).
func (r *Runtime) invalidTransition(topic string, err error) error {
	r.metrics.ingressUnhandled.WithLabelValues("invalid_transition").Inc()
	r.log.Warn("ingress entry the state machine cannot take in its phase; skipped", "topic", topic, "err", err)
	return nil
}

// The worker role's rows: registration and the gatekeeper set.

func (r *Runtime) onWorkerRegistered(tx *state.Tx, payload []byte) (bool, error) {
	if bytes.Equal(payload, r.self()) && !tx.Next.Registered {
		return false, r.becomeRegistered(&tx.Next)
	}
	return false, nil
}

func (r *Runtime) onGatekeeperAdded(tx *state.Tx, payload []byte) (bool, error) {
	tx.Next.AddGatekeeper(payload)
	return bytes.Equal(payload, r.self()), nil
}

func (r *Runtime) onGatekeeperRemovedEntry(tx *state.Tx, payload []byte) (bool, error) {
	tx.Next.RemoveGatekeeper(payload)
	if bytes.Equal(payload, r.self()) {
		r.onGatekeeperRemoved(tx)
		return true, nil
	}
	return false, nil
}
