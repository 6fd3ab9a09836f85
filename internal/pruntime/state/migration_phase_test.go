package state

import (
	"errors"
	"reflect"
	"testing"
)

// TestMigrationTransitions walks the enclave's migration state machine:
// phase × event, to the next phase or a named error that leaves the state
// as it was.
func TestMigrationTransitions(t *testing.T) {
	t.Parallel()
	at := func(p MigrationPhase, parts ...[]byte) Migration {
		m := *NewMigration(7, 100, []byte("measurement"), false)
		m.Phase, m.Parts = p, parts
		return m
	}
	cluster := &MemberCluster{ID: 5}
	tests := []struct {
		name    string
		from    Migration
		do      func(*Migration) error
		want    MigrationPhase
		wantErr error
	}{
		{name: "first of two parts", from: at(MigrationScheduled), want: MigrationScheduled,
			do: func(m *Migration) error { return wantComplete(m.AddPart(0, 2, []byte("a")))(false) }},
		{name: "last part", from: at(MigrationScheduled, nil, []byte("b")), want: MigrationScheduled,
			do: func(m *Migration) error { return wantComplete(m.AddPart(0, 2, []byte("a")))(true) }},
		{name: "a new handover of another size starts over", from: at(MigrationScheduled, []byte("a"), []byte("b")), want: MigrationScheduled,
			do: func(m *Migration) error { return wantComplete(m.AddPart(0, 3, []byte("a")))(false) }},
		{name: "part out of range", from: at(MigrationScheduled), wantErr: ErrMigrationPart,
			do: func(m *Migration) error { _, err := m.AddPart(2, 2, []byte("a")); return err }},
		{name: "part after ready", from: at(MigrationReady), wantErr: ErrMigrationReady,
			do: func(m *Migration) error { _, err := m.AddPart(0, 1, []byte("a")); return err }},
		{name: "ready", from: at(MigrationScheduled, []byte("a")), want: MigrationReady,
			do: func(m *Migration) error { return m.Ready(true, cluster) }},
		{name: "ready twice", from: at(MigrationReady), wantErr: ErrMigrationReady,
			do: func(m *Migration) error { return m.Ready(true, cluster) }},
		{name: "take over when ready", from: at(MigrationReady), want: MigrationReady,
			do: (*Migration).TakeOver},
		{name: "take over without a handover", from: at(MigrationScheduled), wantErr: ErrMigrationNotReady,
			do: (*Migration).TakeOver},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := *tc.from.Clone()
			err := tc.do(&m)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("%v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if !reflect.DeepEqual(m, tc.from) {
					t.Fatalf("failed but changed the state: %+v", m)
				}
				return
			}
			if m.Phase != tc.want {
				t.Fatalf("phase %s, want %s", m.Phase, tc.want)
			}
		})
	}
}

var errCompleteness = errors.New("addPart: wrong completeness")

// wantComplete turns addPart's result into an error if it is not want.
func wantComplete(complete bool, err error) func(want bool) error {
	return func(want bool) error {
		if err != nil {
			return err
		}
		if complete != want {
			return errCompleteness
		}
		return nil
	}
}

// TestMigrationReadyKeepsTheHandover: ready records what the handover
// carried and drops the sealed parts.
func TestMigrationReadyKeepsTheHandover(t *testing.T) {
	t.Parallel()
	m := NewMigration(7, 100, []byte("measurement"), false)
	if _, err := m.AddPart(0, 1, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	c := &MemberCluster{ID: 5}
	if err := m.Ready(true, c); err != nil {
		t.Fatal(err)
	}
	if m.Parts != nil || !m.WasGK || m.Handed != c {
		t.Fatalf("after ready: %+v", m)
	}
	s := State{Migration: m}
	if !s.PendingGatekeeper() {
		t.Fatal("a ready successor of a gatekeeper is not a pending gatekeeper")
	}
}
