package types

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// MinMigrationLeadBlocks is how far ahead of the block that schedules it a
// migration's activation height must be. Successors need blocks to
// register, be paired and receive their handovers (a gatekeeper's history
// may take several parts); governance picks the real lead, usually much
// longer, and this bound only stops a plan that would fire before any
// handover could land.
const MinMigrationLeadBlocks = 20

// MaxMigrationDescriptionLen bounds a migration's description, as a
// measurement's.
const MaxMigrationDescriptionLen = 256

// migrationPlanPrefix names the x/upgrade plans of migrations:
// "pruntime-migration-<id>".
const migrationPlanPrefix = "pruntime-migration-"

// MigrationPlanName is the x/upgrade plan name of migration id.
func MigrationPlanName(id uint64) string { return migrationPlanPrefix + strconv.FormatUint(id, 10) }

// ParseMigrationPlanName returns the migration id a plan name names, if it
// is the canonical name of one.
func ParseMigrationPlanName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, migrationPlanPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || id == 0 || MigrationPlanName(id) != name {
		return 0, false
	}
	return id, true
}

// MigrationPhaseName is a phase's short name, as errors and the CLI print it.
func MigrationPhaseName(p MigrationPhase) string {
	switch p {
	case MIGRATION_PHASE_SCHEDULED:
		return "SCHEDULED"
	case MIGRATION_PHASE_DONE:
		return "DONE"
	case MIGRATION_PHASE_CANCELLED:
		return "CANCELLED"
	}
	return fmt.Sprintf("UNKNOWN(%d)", int32(p))
}

// Pending reports whether the migration has not taken effect or been
// cancelled yet.
func (m Migration) Pending() bool { return m.Phase == MIGRATION_PHASE_SCHEDULED }

// BlocksErr is the error (ErrMigrationPending) refusing what, which may not
// start while pending migration m is.
func (m Migration) BlocksErr(what string) error {
	return errorsmod.Wrapf(ErrMigrationPending, "%s: migration %d of %s to %x activates at height %d",
		what, m.Id, m.TeeKind, m.Measurement, m.ActivationHeight)
}

// Replaces reports whether measurement is one the migration replaces.
func (m Migration) Replaces(measurement []byte) bool {
	for _, r := range m.ReplacedMeasurements {
		if bytes.Equal(r, measurement) {
			return true
		}
	}
	return false
}

// PairOfPredecessor returns the index of predecessor's pair, or -1.
func (m Migration) PairOfPredecessor(predecessor []byte) int {
	for i, p := range m.Pairs {
		if bytes.Equal(p.Predecessor, predecessor) {
			return i
		}
	}
	return -1
}

// PairOfSuccessor returns the index of successor's pair, or -1.
func (m Migration) PairOfSuccessor(successor []byte) int {
	for i, p := range m.Pairs {
		if bytes.Equal(p.Successor, successor) {
			return i
		}
	}
	return -1
}

// Ready counts the pairs whose successor reported ready.
func (m Migration) Ready() int {
	n := 0
	for _, p := range m.Pairs {
		if p.ReadyHeight != 0 {
			n++
		}
	}
	return n
}

// validateMigrations checks the migration history: ids 1, 2, … in order,
// only the last pending, each record consistent with its phase.
func (gs *GenesisState) validateMigrations(measurements map[string]bool) error {
	for i, m := range gs.Migrations {
		if m.Id != uint64(i)+1 {
			return fmt.Errorf("%w: migration %d has id %d, want ids 1, 2, … in order", ErrInvalidGenesis, i, m.Id)
		}
		if err := validateMigration(m, i == len(gs.Migrations)-1, measurements); err != nil {
			return fmt.Errorf("%w: migration %d: %w", ErrInvalidGenesis, m.Id, err)
		}
	}
	return nil
}

func validateMigration(m Migration, last bool, measurements map[string]bool) error {
	switch {
	case m.TeeKind == "" || len(m.TeeKind) > protocol.MaxTEEKindLen:
		return fmt.Errorf("tee kind %q", m.TeeKind)
	case len(m.Measurement) == 0 || len(m.Measurement) > MaxMeasurementLen:
		return fmt.Errorf("measurement of %d bytes", len(m.Measurement))
	case len(m.Description) > MaxMigrationDescriptionLen:
		return fmt.Errorf("description of %d bytes", len(m.Description))
	case len(m.ReplacedMeasurements) == 0 || len(m.ReplacedMeasurements) > protocol.MaxReplacedMeasurements:
		return fmt.Errorf("%d replaced measurements, want 1-%d", len(m.ReplacedMeasurements), protocol.MaxReplacedMeasurements)
	case m.Phase < MIGRATION_PHASE_SCHEDULED || m.Phase > MIGRATION_PHASE_CANCELLED:
		return fmt.Errorf("phase %d", int32(m.Phase))
	case m.Pending() && !last:
		return fmt.Errorf("pending, but a later migration exists")
	case m.PlanName != MigrationPlanName(m.Id):
		return fmt.Errorf("plan %q, want %q", m.PlanName, MigrationPlanName(m.Id))
	case m.ScheduledHeight < 0 || m.ActivationHeight <= m.ScheduledHeight || m.ActivatedHeight < 0 || m.CancelledHeight < 0:
		return fmt.Errorf("heights: scheduled %d, activation %d", m.ScheduledHeight, m.ActivationHeight)
	case len(m.Pairs) > protocol.MaxMigrationPairs:
		return fmt.Errorf("%d pairs, at most %d", len(m.Pairs), protocol.MaxMigrationPairs)
	case (m.Phase == MIGRATION_PHASE_DONE) != (m.ActivatedHeight != 0):
		return fmt.Errorf("phase %s, activated at %d", MigrationPhaseName(m.Phase), m.ActivatedHeight)
	case (m.Phase == MIGRATION_PHASE_CANCELLED) != (m.CancelledHeight != 0):
		return fmt.Errorf("phase %s, cancelled at %d", MigrationPhaseName(m.Phase), m.CancelledHeight)
	}
	for i, r := range m.ReplacedMeasurements {
		if len(r) == 0 || len(r) > MaxMeasurementLen || bytes.Equal(r, m.Measurement) {
			return fmt.Errorf("replaced measurement %d", i)
		}
		if i > 0 && bytes.Compare(m.ReplacedMeasurements[i-1], r) >= 0 {
			return fmt.Errorf("replaced measurements are not ascending without duplicates")
		}
	}
	if m.Pending() && measurements != nil && !measurements[m.TeeKind+"/"+string(m.Measurement)] {
		return fmt.Errorf("pending, but the successor measurement is not allowed")
	}
	seen := make(map[string]bool, 2*len(m.Pairs))
	for i, p := range m.Pairs {
		for _, k := range [][]byte{p.Predecessor, p.Successor} {
			if len(k) != ed25519.PublicKeySize {
				return fmt.Errorf("pair %d: key of %d bytes", i, len(k))
			}
			if seen[string(k)] {
				return fmt.Errorf("pair %d: key %x appears twice", i, k)
			}
			seen[string(k)] = true
		}
		if p.PairedHeight <= 0 || p.HandoverHeight < 0 || p.ReadyHeight < 0 {
			return fmt.Errorf("pair %d: heights", i)
		}
		if p.ReadyHeight != 0 && p.HandoverParts == 0 {
			return fmt.Errorf("pair %d: ready without a handover", i)
		}
		if p.Replaced && (m.Phase != MIGRATION_PHASE_DONE || p.ReadyHeight == 0) {
			return fmt.Errorf("pair %d: replaced, but not a ready pair of an activated migration", i)
		}
	}
	for _, g := range m.LostGatekeepers {
		if len(g) != ed25519.PublicKeySize {
			return fmt.Errorf("lost gatekeeper key of %d bytes", len(g))
		}
	}
	return nil
}
