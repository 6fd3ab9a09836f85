package computation_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/computation"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// fakeCore records what the role asks of the enclave.
type fakeCore struct {
	self       []byte
	iterations uint64
	resets     int
	heartbeats int
	emitted    []string
	quorum     []state.QueuedTask
}

func (f *fakeCore) Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (f *fakeCore) Self() []byte      { return f.self }
func (f *fakeCore) Emit(next *state.State, topic string, _ []byte) error {
	f.emitted = append(f.emitted, topic)
	next.NextEgressSeq++
	return nil
}
func (f *fakeCore) AnswerOrQueue(_ *state.Tx, q state.QueuedTask) error {
	f.quorum = append(f.quorum, q)
	return nil
}
func (f *fakeCore) Iterations() uint64 { return f.iterations }
func (f *fakeCore) ResetIterations()   { f.resets++ }
func (f *fakeCore) HeartbeatSent()     { f.heartbeats++ }

func handlers(t *testing.T, c computation.Core) map[string]ingress.Handler {
	t.Helper()
	out := map[string]ingress.Handler{}
	for _, r := range computation.New(c).Routes() {
		if r.Role != ingress.RoleComputation {
			t.Fatalf("%s routed to %s", r.Topic, r.Role)
		}
		out[r.Topic] = r.Handle
	}
	return out
}

func busyParams(t *testing.T) []byte {
	t.Helper()
	p := tokenomics.DefaultParams()
	p.ExpectedHeartbeatCount = 1_000
	p.MaxHeartbeatsPerWorkerHour = 3_600_000
	p.BlockTimeMs = 1_000
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func started(t *testing.T, worker []byte, session uint64) []byte {
	t.Helper()
	sb, err := tokenomics.FromInt(20_000).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return protocol.SessionStarted{Worker: worker, Session: session, Score: 1_000, Level: 1, Stake: sb}.Encode()
}

func block(h uint64) []byte {
	return protocol.ComputationBlock{Height: h, Time: h * 1000, Seed: bytes.Repeat([]byte{byte(h)}, 32)}.Encode()
}

// TestComputationRole drives the role's handlers through a fake core: a
// session of this worker resets the iteration count and is answered with
// heartbeats when challenged; a gatekeeper hands the engine's outputs to
// the quorum (a stop settles, so its block has an output); another
// worker's session is only engine input.
func TestComputationRole(t *testing.T) {
	t.Parallel()
	self := bytes.Repeat([]byte{1}, 32)
	other := bytes.Repeat([]byte{2}, 32)
	tests := []struct {
		name           string
		worker         []byte
		gatekeeper     bool
		wantSession    uint64
		wantHeartbeats bool
		wantQuorum     bool
	}{
		{"own session", self, false, 7, true, false},
		{"another worker's session", other, false, 0, false, false},
		{"gatekeeper publishes outputs", other, true, 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			core := &fakeCore{self: self, iterations: 42}
			h := handlers(t, core)
			tx := &state.Tx{Next: state.State{Version: state.SchemaVersion}}
			if tc.gatekeeper {
				tx.Next.AddGatekeeper(self)
			}
			apply := func(topic string, payload []byte) {
				t.Helper()
				keys, err := h[topic](tx, payload)
				if err != nil || keys {
					t.Fatalf("%s: keys %v, err %v", topic, keys, err)
				}
			}
			apply(protocol.TopicComputationParams, busyParams(t))
			apply(protocol.TopicSessionStarted, started(t, tc.worker, 7))
			if got := tx.Next.Computation.Session; got != tc.wantSession {
				t.Fatalf("session %d, want %d", got, tc.wantSession)
			}
			if (core.resets == 1) != (tc.wantSession != 0) {
				t.Fatalf("%d iteration resets", core.resets)
			}
			apply(protocol.TopicBlock, block(1))
			apply(protocol.TopicSessionStopped, protocol.SessionRef{Worker: tc.worker, Session: 7}.Encode())
			apply(protocol.TopicBlock, block(2))
			if tx.Next.Computation.Session != 0 {
				t.Fatal("session still running after its stop")
			}
			if (core.heartbeats > 0) != tc.wantHeartbeats || len(core.emitted) != core.heartbeats {
				t.Fatalf("%d heartbeats, emitted %v", core.heartbeats, core.emitted)
			}
			if (len(core.quorum) > 0) != tc.wantQuorum {
				t.Fatalf("quorum outputs %v", core.quorum)
			}
			for i, q := range core.quorum {
				if q.Topic != protocol.TopicBlock || q.Lane != protocol.LaneComputation || q.Seq != uint64(i) {
					t.Fatalf("output %d: %+v", i, q)
				}
			}
		})
	}
}

func TestComputationRefusesMalformedPayloads(t *testing.T) {
	t.Parallel()
	h := handlers(t, &fakeCore{self: []byte{1}})
	for _, topic := range []string{protocol.TopicComputationParams, protocol.TopicSessionStarted, protocol.TopicSessionStopped, protocol.TopicHeartbeat, protocol.TopicBlock} {
		t.Run(topic, func(t *testing.T) {
			t.Parallel()
			tx := &state.Tx{}
			if _, err := h[topic](tx, []byte{0xff}); err == nil {
				t.Fatal("a malformed payload applied")
			}
		})
	}
}
