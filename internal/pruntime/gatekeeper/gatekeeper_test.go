package gatekeeper_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/gatekeeper"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// fakeCore is the enclave as the gatekeeper role sees it.
type fakeCore struct {
	self    []byte
	emitted []string
	quorum  []string
	payload map[string][]byte
}

func (f *fakeCore) Log() *slog.Logger    { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (f *fakeCore) Self() []byte         { return f.self }
func (f *fakeCore) ChainID() string      { return "test-chain" }
func (f *fakeCore) HasPredecessor() bool { return false }
func (f *fakeCore) KeyFault(string)      {}
func (f *fakeCore) BeaconMismatch()      {}
func (f *fakeCore) OpenSealed(string, []byte, []byte) ([]byte, error) {
	return nil, errors.New("fake: nothing is sealed to this pRuntime")
}
func (f *fakeCore) Emit(next *state.State, topic string, payload []byte) error {
	f.emitted = append(f.emitted, topic)
	f.payload[topic] = payload
	next.NextEgressSeq++
	return nil
}
func (f *fakeCore) EmitGatekeeper(_ *state.State, _ protocol.Origin, _ uint64, topic string, _ []byte) error {
	f.quorum = append(f.quorum, topic)
	return nil
}

// fakeRotation is a rotation that never runs.
type fakeRotation struct{}

func (fakeRotation) NoteClusterTask(*state.Tx, []byte)           {}
func (fakeRotation) NoteClusterKey(*state.Tx, []byte) error      { return nil }
func (fakeRotation) OnActivated(*state.Tx, uint32, []byte) error { return nil }

func setup(t *testing.T) (*fakeCore, *gatekeeper.Role, map[string]ingress.Handler, *state.Tx) {
	t.Helper()
	core := &fakeCore{self: bytes.Repeat([]byte{1}, protocol.IdentityKeyLen), payload: map[string][]byte{}}
	role := gatekeeper.New(core, fakeRotation{}, rand.Reader)
	rows := map[string]ingress.Handler{}
	for _, r := range role.Routes() {
		if r.Role != ingress.RoleGatekeeper {
			t.Fatalf("%s routed to %s", r.Topic, r.Role)
		}
		rows[r.Topic] = r.Handle
	}
	tx := &state.Tx{Next: state.State{Version: state.SchemaVersion}}
	tx.Next.AddGatekeeper(core.self)
	return core, role, rows, tx
}

// TestGatekeeperRole drives the gatekeeper's handlers through a fake core.
func TestGatekeeperRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, core *fakeCore, role *gatekeeper.Role, rows map[string]ingress.Handler, tx *state.Tx)
	}{
		{"a malformed launch is refused", func(t *testing.T, _ *fakeCore, _ *gatekeeper.Role, rows map[string]ingress.Handler, tx *state.Tx) {
			if _, err := rows[protocol.TopicGatekeeperLaunch](tx, []byte{1}); !errors.Is(err, gatekeeper.ErrMalformed) {
				t.Fatalf("launch: %v, want ErrMalformed", err)
			}
		}},
		{"a launch goes live once the chain records its key", func(t *testing.T, core *fakeCore, _ *gatekeeper.Role, rows map[string]ingress.Handler, tx *state.Tx) {
			if _, err := rows[protocol.TopicGatekeeperLaunch](tx, core.self); err != nil {
				t.Fatal(err)
			}
			if !tx.Next.GK.Launching || tx.Master.Get(0) == nil || !slices.Equal(core.emitted, []string{protocol.TopicMasterKey}) {
				t.Fatalf("after launch: launching %v, emitted %v", tx.Next.GK.Launching, core.emitted)
			}
			if _, err := rows[protocol.TopicMasterKey](tx, core.payload[protocol.TopicMasterKey]); err != nil {
				t.Fatal(err)
			}
			if !tx.Next.GK.Live || tx.Next.GK.Launching {
				t.Fatalf("after the record: %+v", tx.Next.GK)
			}
		}},
		{"a key recorded that is not its own does not go live", func(t *testing.T, core *fakeCore, _ *gatekeeper.Role, rows map[string]ingress.Handler, tx *state.Tx) {
			if _, err := rows[protocol.TopicGatekeeperLaunch](tx, core.self); err != nil {
				t.Fatal(err)
			}
			other := protocol.MasterKeyRecord{Version: 0, PublicKey: bytes.Repeat([]byte{2}, 33)}.Encode()
			if _, err := rows[protocol.TopicMasterKey](tx, other); err != nil {
				t.Fatal(err)
			}
			if tx.Next.GK.Live || tx.Master.Count() != 0 {
				t.Fatal("went live on a key it did not generate")
			}
		}},
		{"a designated gatekeeper queues outputs until live", func(t *testing.T, core *fakeCore, role *gatekeeper.Role, _ map[string]ingress.Handler, tx *state.Tx) {
			q := state.QueuedTask{Topic: protocol.TopicBlock, Lane: protocol.LaneComputation, Seq: 0, Reply: []byte("out")}
			if err := role.AnswerOrQueue(tx, q); err != nil {
				t.Fatal(err)
			}
			if len(tx.Next.GK.Tasks) != 1 || len(core.quorum) != 0 {
				t.Fatalf("tasks %d, quorum %v", len(tx.Next.GK.Tasks), core.quorum)
			}
		}},
		{"a removed gatekeeper erases its keys", func(t *testing.T, core *fakeCore, role *gatekeeper.Role, rows map[string]ingress.Handler, tx *state.Tx) {
			if _, err := rows[protocol.TopicGatekeeperLaunch](tx, core.self); err != nil {
				t.Fatal(err)
			}
			role.OnGatekeeperRemoved(tx)
			if tx.Master.Count() != 0 || tx.Next.GK.Launching {
				t.Fatal("a removed gatekeeper kept its keys")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			core, role, rows, tx := setup(t)
			tc.run(t, core, role, rows, tx)
		})
	}
}
