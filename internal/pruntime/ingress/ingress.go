// Package ingress is the enclave's topic table: one row per ingress topic
// the enclave handles, naming the role it belongs to and its handler. The
// program builds the table once from the roles' rows and hands it to the
// runtime core (package pruntime), which looks up every verified ingress
// entry in it: following an entry from the RPC to the code that applies it
// is one lookup. A topic no row names is ErrUnknownTopic.
package ingress

import (
	"errors"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Errors of the topic table.
var (
	// ErrUnknownTopic: an ingress entry's topic has no row in the table.
	ErrUnknownTopic = errors.New("ingress: topic unknown to this pRuntime version")
	// ErrDuplicateTopic: two rows of a table name the same topic.
	ErrDuplicateTopic = errors.New("ingress: topic handled twice")
	// ErrBadRoute: a row without a topic, a role or a handler.
	ErrBadRoute = errors.New("ingress: malformed route")
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

// Handler applies one verified entry's payload to tx. keys reports that the
// entry concerned this pRuntime's keys or roles, which checkpoint at once.
type Handler func(tx *state.Tx, payload []byte) (keys bool, err error)

// Keys wraps a handler whose entries always concern keys or roles.
func Keys(f func(*state.Tx, []byte) error) Handler {
	return func(tx *state.Tx, p []byte) (bool, error) { return true, f(tx, p) }
}

// NoKeys wraps a handler whose entries never concern keys or roles.
func NoKeys(f func(*state.Tx, []byte) error) Handler {
	return func(tx *state.Tx, p []byte) (bool, error) { return false, f(tx, p) }
}

// Route is one row of the topic table.
type Route struct {
	Topic  string
	Role   Role
	Handle Handler
}

// Table maps a topic to its row. It is built once and only read.
type Table struct {
	routes map[string]Route
}

// NewTable builds the table, refusing a malformed row or a topic named
// twice.
func NewTable(rows []Route) (*Table, error) {
	t := &Table{routes: make(map[string]Route, len(rows))}
	for _, row := range rows {
		if row.Topic == "" || row.Role == "" || row.Handle == nil {
			return nil, fmt.Errorf("%w: topic %q, role %q", ErrBadRoute, row.Topic, row.Role)
		}
		if prev, dup := t.routes[row.Topic]; dup {
			return nil, fmt.Errorf("%w: %q by %s and %s", ErrDuplicateTopic, row.Topic, prev.Role, row.Role)
		}
		t.routes[row.Topic] = row
	}
	return t, nil
}

// Lookup returns topic's row.
func (t *Table) Lookup(topic string) (Route, bool) {
	row, ok := t.routes[topic]
	return row, ok
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.routes) }
