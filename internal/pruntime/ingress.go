package pruntime

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
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

// ErrUnknownTopic: an ingress entry's topic has no row in the table.
var ErrUnknownTopic = ingress.ErrUnknownTopic

// dispatcher applies verified ingress entries through the topic table
// (package ingress) and holds the core's own rows: registration and the
// gatekeeper set.
type dispatcher struct {
	r *Runtime
}

// workerRoutes are the core's own rows of the topic table: registration
// and the gatekeeper set.
func (dp *dispatcher) workerRoutes() []ingress.Route {
	return []ingress.Route{
		{Topic: protocol.TopicWorkerRegistered, Role: ingress.RoleWorker, Handle: dp.onWorkerRegistered},
		{Topic: protocol.TopicGatekeeperAdded, Role: ingress.RoleWorker, Handle: dp.onGatekeeperAdded},
		{Topic: protocol.TopicGatekeeperRemoved, Role: ingress.RoleWorker, Handle: dp.onGatekeeperRemovedEntry},
	}
}

// handleIngress applies one verified chain message to tx through the topic
// table. It reports whether the message concerned keys or roles, which
// checkpoint at once. A topic without a row is ErrUnknownTopic, and tx is
// left as it was.
func (dp *dispatcher) handleIngress(tx *state.Tx, m protocol.Message) (bool, error) {
	if tx.Next.Retired {
		return false, nil // replaced by a migration: signs nothing more
	}
	row, ok := dp.r.topics.Lookup(m.Topic)
	if !ok {
		return false, ErrUnknownTopic
	}
	keys, err := row.Handle(tx, m.Payload)
	if err != nil {
		// The chain verified and wrote this entry: a payload that does not
		// parse is a protocol mismatch between chain and pRuntime versions.
		return keys, fmt.Errorf("pruntime: ingress %s (%s): %w", m.Topic, row.Role, err)
	}
	return keys, nil
}

// applyEntry applies the verified entry at index: an entry of an unknown
// topic is counted, logged and moved past (see the top of this file).
func (dp *dispatcher) applyEntry(tx *state.Tx, index uint64, m protocol.Message) (bool, error) {
	keys, err := dp.handleIngress(tx, m)
	if errors.Is(err, ErrUnknownTopic) {
		dp.skipUnknownTopic(index, m.Topic)
		return false, nil
	}
	return keys, err
}

// unknownTopicLogLen bounds the part of an unknown topic that is logged.
const unknownTopicLogLen = protocol.MaxTopicLen

// skipUnknownTopic counts and logs an entry of an unknown topic.
func (dp *dispatcher) skipUnknownTopic(index uint64, topic string) {
	dp.r.metrics.ingressUnhandled.WithLabelValues("unknown_topic").Inc()
	if len(topic) > unknownTopicLogLen {
		topic = topic[:unknownTopicLogLen]
	}
	dp.r.log.Warn("ingress entry of a topic this pRuntime version does not know; skipped: the chain is newer, migrate to a pRuntime that knows it",
		"index", index, "topic", fmt.Sprintf("%q", topic))
}

// invalidTransition logs an entry that a role's state machine cannot take
// in its phase, counts it, and moves past it: ingress is proven, so this is
// a version mismatch between chain and pRuntime, never an attack, and
// stopping on it would wedge the pRuntime (see the top of this file).
func (dp *dispatcher) invalidTransition(topic string, err error) error {
	dp.r.metrics.ingressUnhandled.WithLabelValues("invalid_transition").Inc()
	dp.r.log.Warn("ingress entry the state machine cannot take in its phase; skipped", "topic", topic, "err", err)
	return nil
}

// The worker role's rows: registration and the gatekeeper set.

func (dp *dispatcher) onWorkerRegistered(tx *state.Tx, payload []byte) (bool, error) {
	if bytes.Equal(payload, dp.r.self()) && !tx.Next.Registered {
		return false, dp.becomeRegistered(&tx.Next)
	}
	return false, nil
}

func (dp *dispatcher) onGatekeeperAdded(tx *state.Tx, payload []byte) (bool, error) {
	tx.Next.AddGatekeeper(payload)
	return bytes.Equal(payload, dp.r.self()), nil
}

func (dp *dispatcher) onGatekeeperRemovedEntry(tx *state.Tx, payload []byte) (bool, error) {
	tx.Next.RemoveGatekeeper(payload)
	if bytes.Equal(payload, dp.r.self()) {
		dp.r.gatekeeper.OnGatekeeperRemoved(tx)
		return true, nil
	}
	return false, nil
}
