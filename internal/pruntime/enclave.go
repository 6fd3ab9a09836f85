package pruntime

import (
	"fmt"
	"log/slog"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// Roles builds the roles that live outside the core on the core's Enclave
// and returns their rows of the topic table. The program supplies it
// (package roles); the core never imports a role.
type Roles func(e *Enclave) []ingress.Route

// Enclave is what the core offers the roles: each role package defines the
// small interface it needs, and Enclave has the methods they name. It is
// valid only inside a sync call: the roles use it from their handlers,
// under the runtime's lock.
type Enclave struct {
	r *Runtime
}

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

// buildTopics builds the topic table from the core's rows and the roles'.
func (r *Runtime) buildTopics(roles Roles) (*ingress.Table, error) {
	rows := r.workerRoutes()
	if roles != nil {
		rows = append(rows, roles(&Enclave{r: r})...)
	}
	t, err := ingress.NewTable(rows)
	if err != nil {
		return nil, fmt.Errorf("pruntime: topic table: %w", err)
	}
	return t, nil
}
