package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// The enclave's migration state machine (package migration has the protocol):
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
	ErrMigrationReady    = errors.New("state: migration: the handover is already verified")
	ErrMigrationNotReady = errors.New("state: migration: no verified handover")
	ErrMigrationPart     = errors.New("state: migration: handover part out of range")
)

func NewMigration(id, activation uint64, measurement []byte, old bool) *Migration {
	return &Migration{ID: id, Activation: activation, Measurement: bytes.Clone(measurement), Old: old, Phase: MigrationScheduled}
}

// AddPart keeps part index of a handover of count parts and reports
// whether all of them are in. A handover of another part count (a new one,
// after a fault) starts over.
func (m *Migration) AddPart(index, count uint16, sealed []byte) (complete bool, err error) {
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

// Ready: the handover verified; the predecessor was a gatekeeper (wasGK)
// and handed over its cluster's keys (handed, or nil).
func (m *Migration) Ready(wasGK bool, handed *MemberCluster) error {
	if m.Phase == MigrationReady {
		return ErrMigrationReady
	}
	m.Phase, m.Parts, m.WasGK, m.Handed = MigrationReady, nil, wasGK, handed
	return nil
}

// TakeOver: at activation, a successor takes its predecessor's place only
// with a verified handover.
func (m *Migration) TakeOver() error {
	if m.Phase != MigrationReady {
		return ErrMigrationNotReady
	}
	return nil
}
