package pruntime

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Roles builds the roles that live outside the core on the core's Enclave.
// The program supplies it (package roles); the core never imports a role.
type Roles func(e *Enclave) RoleSet

// RoleSet is what the roles add to the core: their rows of the topic table
// and the rotation role, which the core calls around a commit.
type RoleSet struct {
	Routes   []ingress.Route
	Rotation Rotation
}

// Rotation is what the core (and the gatekeeper role, still in it) needs
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

// ErrNoRotation: the roles handed to New hold no rotation role.
var ErrNoRotation = errors.New("pruntime: no rotation role")

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
	return e.r.invalidTransition(topic, err)
}

// KeyFault counts a key copy that failed verification.
func (e *Enclave) KeyFault(kind string) { e.r.metrics.keyFaults.WithLabelValues(kind).Inc() }

// WakeReencrypt tells RunReencryption that a job may be ready.
func (e *Enclave) WakeReencrypt() { e.r.wakeReencrypt() }

// Log is the runtime's logger.
func (e *Enclave) Log() *slog.Logger { return e.r.log }

// Self is this pRuntime's identity key.
func (e *Enclave) Self() []byte { return e.r.self() }

// Emit signs a worker egress message with the next sequence into next.
func (e *Enclave) Emit(next *state.State, topic string, payload []byte) error {
	return e.r.emit(next, topic, payload)
}

// AnswerOrQueue publishes a gatekeeper quorum output now if this gatekeeper
// is live, or queues it until it is.
func (e *Enclave) AnswerOrQueue(tx *state.Tx, q state.QueuedTask) error {
	return e.r.answerOrQueue(tx, q)
}

// Iterations is the benchmark loop's count since ResetIterations.
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
	if set.Rotation == nil {
		return nil, ErrNoRotation
	}
	r.rotation = set.Rotation
	t, err := ingress.NewTable(append(r.workerRoutes(), set.Routes...))
	if err != nil {
		return nil, fmt.Errorf("pruntime: topic table: %w", err)
	}
	return t, nil
}
