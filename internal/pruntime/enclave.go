package pruntime

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Roles builds the roles that live outside the core on the core's Enclave.
// The program supplies it (package roles); the core never imports a role.
type Roles func(e *Enclave) RoleSet

// RoleSet is what the roles add to the core: their rows of the topic table
// and the rotation role, which the core calls around a commit.
type RoleSet struct {
	Routes     []ingress.Route
	Rotation   Rotation
	Gatekeeper Gatekeeper
}

// Gatekeeper is what the core needs
// from the gatekeeper role.
type Gatekeeper interface {
	// GoLive makes a designated gatekeeper that holds every master key
	// version live and answers its queued tasks.
	GoLive(tx *state.Tx) error
	// OnGatekeeperRemoved erases a removed gatekeeper's keys and tasks.
	OnGatekeeperRemoved(tx *state.Tx)
	// SealCopies seals the cluster key copies of tx's grants before the
	// commit.
	SealCopies(tx *state.Tx) error
	// AnswerOrQueue publishes a quorum output now if this gatekeeper is
	// live, or queues it until it is.
	AnswerOrQueue(tx *state.Tx, q state.QueuedTask) error
}

// Rotation is what the core needs
// from the rotation role.
type Rotation interface {
	// ProposalDue reports whether this gatekeeper should propose the
	// rotation's new version at height; MaybePropose proposes it then.
	ProposalDue(s *state.State, height int64) bool
	MaybePropose(tx *state.Tx) error
	// NoteClusterTask and NoteClusterKey track the rotation's new cluster
	// keys; OnActivated checks a newly recorded master key version.
	NoteClusterTask(tx *state.Tx, payload []byte)
	NoteClusterKey(tx *state.Tx, payload []byte) error
	OnActivated(tx *state.Tx, v uint32, pub []byte) error
}

// ErrMissingRole: the roles handed to New lack one the core calls.
var ErrMissingRole = errors.New("pruntime: a role the core calls is missing")

// Enclave is what the core offers the roles: each role package defines the
// small interface it needs, and Enclave has the methods they name. It is
// valid only inside a sync call: the roles use it from their handlers,
// under the runtime's lock.
type Enclave struct {
	r *Runtime
}

// ProposeBlocks is each rotation proposer's turn in blocks.
func (e *Enclave) ProposeBlocks() int64 { return e.r.cfg.RotationProposeBlocks }

// Rand is the randomness of key generation (crypto/rand).
func (e *Enclave) Rand() io.Reader { return e.r.rand }

// ChainID is the chain this pRuntime follows.
func (e *Enclave) ChainID() string { return e.r.id.ChainID }

// Height is the synced height. The roles call it from their handlers,
// under the runtime's lock.
func (e *Enclave) Height() int64 { return e.r.height() }

// OpenSealed opens a transfer sealed to this pRuntime's receive key.
func (e *Enclave) OpenSealed(context string, what, sealed []byte) ([]byte, error) {
	return crypto.Open(e.r.id.Receive, crypto.Info{
		Context: context, ChainID: e.r.id.ChainID, Recipient: e.r.id.Receive.PublicKey().Bytes(), What: what,
	}, sealed)
}

// InvalidTransition counts and logs an entry a role's state machine cannot
// take in its phase, and moves past it.
func (e *Enclave) InvalidTransition(topic string, err error) error {
	return e.r.dispatch.invalidTransition(topic, err)
}

// Predecessor is the pRuntime this one succeeds, empty unless it is a
// migration's successor.
func (e *Enclave) Predecessor() []byte { return e.r.cfg.Predecessor }

// TEEKind is this pRuntime's TEE kind.
func (e *Enclave) TEEKind() string { return e.r.tee.Kind() }

// Measurement is this pRuntime's TEE measurement.
func (e *Enclave) Measurement() []byte { return e.r.tee.Measurement() }

// HasPredecessor: this pRuntime is a migration's successor.
func (e *Enclave) HasPredecessor() bool { return len(e.r.cfg.Predecessor) > 0 }

// EmitGatekeeper signs a quorum message from origin at seq into next.
func (e *Enclave) EmitGatekeeper(next *state.State, origin protocol.Origin, seq uint64, topic string, payload []byte) error {
	return e.r.sign.emitGatekeeper(next, origin, seq, topic, payload)
}

// BeaconMismatch counts an accepted beacon that differs from this
// gatekeeper's own.
func (e *Enclave) BeaconMismatch() { e.r.metrics.beaconMismatches.Inc() }

// KeyFault counts a key copy that failed verification.
func (e *Enclave) KeyFault(kind string) { e.r.metrics.keyFaults.WithLabelValues(kind).Inc() }

// WakeReencrypt tells RunReencryption that a job may be ready.
func (e *Enclave) WakeReencrypt() { e.r.reencWork.wakeReencrypt() }

// Log is the runtime's logger.
func (e *Enclave) Log() *slog.Logger { return e.r.log }

// Self is this pRuntime's identity key.
func (e *Enclave) Self() []byte { return e.r.self() }

// Emit signs a worker egress message with the next sequence into next.
func (e *Enclave) Emit(next *state.State, topic string, payload []byte) error {
	return e.r.sign.emit(next, topic, payload)
}

// AnswerOrQueue publishes a gatekeeper quorum output now if this gatekeeper
// is live, or queues it until it is.
func (e *Enclave) AnswerOrQueue(tx *state.Tx, q state.QueuedTask) error {
	return e.r.gatekeeper.AnswerOrQueue(tx, q)
}

// Iterations is the benchmark iteration counter: iterations run since this
// worker's session started (ResetIterations), or since this process
// started if later (the counter is not saved). Heartbeats carry it.
func (e *Enclave) Iterations() uint64 { return e.r.iterations.Load() }

// ResetIterations restarts the benchmark count (a computing session began).
func (e *Enclave) ResetIterations() { e.r.iterations.Store(0) }

// HeartbeatSent counts a heartbeat answer to a challenge.
func (e *Enclave) HeartbeatSent() { e.r.metrics.heartbeats.Inc() }

// buildRoles builds the roles and the topic table from the core's rows and
// theirs.
func (r *Runtime) buildRoles(roles Roles) (*ingress.Table, error) {
	var set RoleSet
	if roles != nil {
		set = roles(&Enclave{r: r})
	}
	if set.Rotation == nil || set.Gatekeeper == nil {
		return nil, ErrMissingRole
	}
	r.rotation, r.gatekeeper = set.Rotation, set.Gatekeeper
	t, err := ingress.NewTable(append(r.dispatch.workerRoutes(), set.Routes...))
	if err != nil {
		return nil, fmt.Errorf("pruntime: topic table: %w", err)
	}
	return t, nil
}
