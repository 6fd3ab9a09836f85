package migration_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/ingress"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/migration"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/state"
)

// fakeCore is the enclave as the migration role sees it.
type fakeCore struct {
	predecessor []byte
}

func (f *fakeCore) Log() *slog.Logger   { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (f *fakeCore) Self() []byte        { return bytes.Repeat([]byte{1}, protocol.IdentityKeyLen) }
func (f *fakeCore) ChainID() string     { return "test-chain" }
func (f *fakeCore) Predecessor() []byte { return f.predecessor }
func (f *fakeCore) TEEKind() string     { return "sim" }
func (f *fakeCore) Measurement() []byte { return []byte("old-measurement") }
func (f *fakeCore) KeyFault(string)     {}
func (f *fakeCore) Emit(next *state.State, _ string, _ []byte) error {
	next.NextEgressSeq++
	return nil
}
func (f *fakeCore) OpenSealed(string, []byte, []byte) ([]byte, error) {
	return nil, errors.New("fake: nothing is sealed to this pRuntime")
}

type fakeGatekeeper struct{}

func (fakeGatekeeper) GoLive(*state.Tx) error { return nil }

func rows(t *testing.T, core migration.Core) map[string]ingress.Handler {
	t.Helper()
	out := map[string]ingress.Handler{}
	for _, r := range migration.New(core, fakeGatekeeper{}).Routes() {
		if r.Role != ingress.RoleMigration {
			t.Fatalf("%s routed to %s", r.Topic, r.Role)
		}
		out[r.Topic] = r.Handle
	}
	return out
}

// TestMigrationScheduleAndCancel drives the role through a fake core: a
// schedule marks this pRuntime old exactly when it replaces its own TEE
// kind and measurement, and a cancellation ends the migration, erasing
// what a successor was handed.
func TestMigrationScheduleAndCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		kind        string
		replaced    []byte
		predecessor []byte
		wantOld     bool
		wantErase   bool
	}{
		{"this version replaced", "sim", []byte("old-measurement"), nil, true, false},
		{"another measurement replaced", "sim", []byte("other"), nil, false, false},
		{"another TEE kind", "sgx", []byte("old-measurement"), nil, false, false},
		{"a successor erases on cancel", "sim", []byte("other"), bytes.Repeat([]byte{2}, protocol.IdentityKeyLen), false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := rows(t, &fakeCore{predecessor: tc.predecessor})
			tx := &state.Tx{Next: state.State{Version: state.SchemaVersion}}
			sched := protocol.MigrationScheduled{ID: 1, ActivationHeight: 50, TEEKind: tc.kind, Measurement: []byte("new"), Replaced: [][]byte{tc.replaced}}
			if keys, err := h[protocol.TopicMigrationScheduled](tx, sched.Encode()); err != nil || keys {
				t.Fatalf("scheduled: keys %v, err %v", keys, err)
			}
			if m := tx.Next.Migration; m == nil || m.Old != tc.wantOld || m.Phase != state.MigrationScheduled {
				t.Fatalf("migration %+v, want old %v", m, tc.wantOld)
			}
			keys, err := h[protocol.TopicMigrationCancelled](tx, protocol.MigrationCancelled{ID: 1, Reason: 1}.Encode())
			if err != nil || keys != tc.wantErase || tx.Erased != tc.wantErase || tx.Next.Migration != nil {
				t.Fatalf("cancelled: keys %v, erased %v, err %v, migration %+v", keys, tx.Erased, err, tx.Next.Migration)
			}
		})
	}
}
