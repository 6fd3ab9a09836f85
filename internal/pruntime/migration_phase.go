package pruntime

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// The enclave's migration state machine (migration.go has the protocol):
//
//	           addPart ×count           ready
//	scheduled ───────────────▶ scheduled ─────▶ ready ──takeOver──▶ (none)
//	                                                  (activation)
//
// A predecessor (Old) stays scheduled until the activation retires it. A
// successor collects the handover's parts while scheduled; a handover
// that fails verification leaves it scheduled with no part, for the next
// one. Activation and cancellation end the migration (the state goes).

// MigrationPhase is where a pending migration stands for this pRuntime.
type MigrationPhase uint8

// The migration phases (zero: unspecified, never in a pending migration).
const (
	MigrationScheduled MigrationPhase = iota + 1 // announced; a successor collects the handover
	MigrationReady                               // a successor verified and sealed its handover
)

func (p MigrationPhase) String() string {
	switch p {
	case MigrationScheduled:
		return "scheduled"
	case MigrationReady:
		return "ready"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// Invalid migration transitions.
var (
	ErrMigrationReady    = errors.New("pruntime: migration: the handover is already verified")
	ErrMigrationNotReady = errors.New("pruntime: migration: no verified handover")
	ErrMigrationPart     = errors.New("pruntime: migration: handover part out of range")
)

func newMigration(id, activation uint64, measurement []byte, old bool) *migrationState {
	return &migrationState{ID: id, Activation: activation, Measurement: bytes.Clone(measurement), Old: old, Phase: MigrationScheduled}
}

// addPart keeps part index of a handover of count parts and reports
// whether all of them are in. A handover of another part count (a new one,
// after a fault) starts over.
func (m *migrationState) addPart(index, count uint16, sealed []byte) (complete bool, err error) {
	switch {
	case m.Phase == MigrationReady:
		return false, ErrMigrationReady
	case index >= count:
		return false, fmt.Errorf("%w: part %d of %d", ErrMigrationPart, index, count)
	}
	if len(m.Parts) != int(count) {
		m.Parts = make([][]byte, count)
	}
	m.Parts[index] = bytes.Clone(sealed)
	return !slices.ContainsFunc(m.Parts, func(p []byte) bool { return p == nil }), nil
}

// ready: the handover verified; the predecessor was a gatekeeper (wasGK)
// and handed over its cluster's keys (handed, or nil).
func (m *migrationState) ready(wasGK bool, handed *memberCluster) error {
	if m.Phase == MigrationReady {
		return ErrMigrationReady
	}
	m.Phase, m.Parts, m.WasGK, m.Handed = MigrationReady, nil, wasGK, handed
	return nil
}

// takeOver: at activation, a successor takes its predecessor's place only
// with a verified handover.
func (m *migrationState) takeOver() error {
	if m.Phase != MigrationReady {
		return ErrMigrationNotReady
	}
	return nil
}
