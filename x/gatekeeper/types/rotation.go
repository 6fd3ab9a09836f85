package types

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math"
	"slices"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// PhaseName is a phase's short name, as errors and the CLI print it.
func PhaseName(p RotationPhase) string {
	switch p {
	case ROTATION_PHASE_PROPOSING:
		return "PROPOSING"
	case ROTATION_PHASE_ACKING:
		return "ACKING"
	case ROTATION_PHASE_REENCRYPTING:
		return "REENCRYPTING"
	case ROTATION_PHASE_RETIRING:
		return "RETIRING"
	case ROTATION_PHASE_DONE:
		return "DONE"
	}
	return fmt.Sprintf("UNKNOWN(%d)", int32(p))
}

// Running reports whether the rotation has not finished (phase before DONE).
func (r Rotation) Running() bool { return r.Phase != ROTATION_PHASE_DONE }

// LocksGatekeeperSet reports whether the rotation forbids gatekeeper-set
// changes: from its start until re-encryption ends, the snapshot is the set
// that proposes, acknowledges and re-encrypts.
func (r Rotation) LocksGatekeeperSet() bool {
	return r.Phase >= ROTATION_PHASE_PROPOSING && r.Phase <= ROTATION_PHASE_REENCRYPTING
}

// Member returns the index of gatekeeper key in the snapshot (its
// re-encryption range), or -1.
func (r Rotation) Member(key []byte) int {
	for i, g := range r.Gatekeepers {
		if bytes.Equal(g.IdentityKey, key) {
			return i
		}
	}
	return -1
}

// Acks counts the snapshot gatekeepers that acknowledged to_version.
func (r Rotation) Acks() int {
	n := 0
	for _, g := range r.Gatekeepers {
		if g.AckedHeight != 0 {
			n++
		}
	}
	return n
}

// Retirable reports whether every cluster member acknowledged the new
// version (sweep_height set) and every range finished without failures with
// a verify pass that began at or after the sweep height: no blob saved under
// the old version can be left behind by a member that lagged.
func (r Rotation) Retirable() bool {
	if r.SweepHeight == 0 {
		return false
	}
	for _, g := range r.Gatekeepers {
		if !g.Finished || g.Failed != 0 || g.VerifiedHeight < r.SweepHeight {
			return false
		}
	}
	return len(r.Gatekeepers) > 0
}

// RangeAssignee returns the gatekeeper range i is assigned to: its
// snapshot gatekeeper, or the one it was reassigned to after a stall.
func (g RotationGatekeeper) RangeAssignee() []byte {
	if len(g.Assignee) != 0 {
		return g.Assignee
	}
	return g.IdentityKey
}

// WorkerAcked reports whether worker acknowledged to_version.
func (r Rotation) WorkerAcked(worker []byte) bool {
	_, found := slices.BinarySearchFunc(r.WorkerAcks, worker, bytes.Compare)
	return found
}

// ValidateProgress checks one range's counts as the chain accepts them from
// registry/reencrypt_progress.
func ValidateProgress(done, total, failed uint64, finished bool, names []string) error {
	if done > total || failed > total-done {
		return fmt.Errorf("%w: done %d + failed %d exceed total %d", ErrInvalidProgress, done, failed, total)
	}
	if finished && done+failed != total {
		return fmt.Errorf("%w: finished with %d of %d objects handled", ErrInvalidProgress, done+failed, total)
	}
	if uint64(len(names)) > failed || len(names) > protocol.MaxFailedNames {
		return fmt.Errorf("%w: %d failed names for %d failures (at most %d names)", ErrInvalidProgress, len(names), failed, protocol.MaxFailedNames)
	}
	for i, s := range names {
		if len(s) == 0 || len(s) > protocol.MaxFailedNameLen {
			return fmt.Errorf("%w: failed name %d is %d bytes, want 1-%d", ErrInvalidProgress, i, len(s), protocol.MaxFailedNameLen)
		}
	}
	return nil
}

// validateRotations checks the rotation history against the master keys
// and the gatekeeper set: ascending consecutive versions, only the last
// running, each record consistent with its phase.
func (gs *GenesisState) validateRotations(gks map[string]bool) error {
	n := uint32(len(gs.MasterKeys))
	for i, r := range gs.Rotations {
		if err := gs.validateRotation(r, i == len(gs.Rotations)-1, n, gks); err != nil {
			return fmt.Errorf("%w: rotation to v%d: %w", ErrInvalidGenesis, r.ToVersion, err)
		}
		if i > 0 {
			prev := gs.Rotations[i-1]
			if r.FromVersion < prev.ToVersion {
				return fmt.Errorf("%w: rotation to v%d follows the rotation to v%d, want ascending versions", ErrInvalidGenesis, r.ToVersion, prev.ToVersion)
			}
			if r.StartHeight < prev.ErasedHeight {
				return fmt.Errorf("%w: rotation to v%d starts at %d, before the previous one ended at %d", ErrInvalidGenesis, r.ToVersion, r.StartHeight, prev.ErasedHeight)
			}
		}
	}
	for _, mk := range gs.MasterKeys {
		if mk.RetiredHeight < 0 || mk.ErasedHeight < 0 || mk.ErasedHeight != 0 && (mk.RetiredHeight == 0 || mk.ErasedHeight < mk.RetiredHeight) {
			return fmt.Errorf("%w: master key version %d: retired at %d, erased at %d", ErrInvalidGenesis, mk.Version, mk.RetiredHeight, mk.ErasedHeight)
		}
		if mk.RetiredHeight != 0 && mk.Version+1 >= n {
			return fmt.Errorf("%w: master key version %d is retired, but it is the newest", ErrInvalidGenesis, mk.Version)
		}
	}
	return nil
}

func (gs *GenesisState) validateRotation(r Rotation, last bool, n uint32, gks map[string]bool) error {
	if r.FromVersion == math.MaxUint32 || r.ToVersion != r.FromVersion+1 {
		return fmt.Errorf("from version %d, want to_version - 1", r.FromVersion)
	}
	if r.Phase < ROTATION_PHASE_PROPOSING || r.Phase > ROTATION_PHASE_DONE {
		return fmt.Errorf("phase %d", int32(r.Phase))
	}
	if r.Running() && !last {
		return fmt.Errorf("phase %s, but a later rotation exists", PhaseName(r.Phase))
	}
	activated := r.Phase >= ROTATION_PHASE_REENCRYPTING
	switch {
	case activated && r.ToVersion >= n:
		return fmt.Errorf("activated, but master key v%d does not exist", r.ToVersion)
	case !activated && r.ToVersion != n:
		return fmt.Errorf("not activated, so the newest master key must be v%d; the chain has %d versions", r.FromVersion, n)
	}
	if r.StartHeight < 0 || r.ProposedHeight < 0 || r.ActivatedHeight < 0 || r.RetiredHeight < 0 || r.EraseHeight < 0 || r.ErasedHeight < 0 {
		return fmt.Errorf("negative height")
	}
	if err := validateSnapshot(r, gks); err != nil {
		return err
	}
	if r.Phase == ROTATION_PHASE_PROPOSING {
		if len(r.Proposer) != 0 || len(r.PublicKey) != 0 || r.Acks() != 0 {
			return fmt.Errorf("proposing, but a proposal or acknowledgements are recorded")
		}
	} else {
		if r.Member(r.Proposer) < 0 {
			return fmt.Errorf("proposer %x is not in the snapshot", r.Proposer)
		}
		if err := crypto.ValidateMasterPublicKey(r.PublicKey); err != nil {
			return fmt.Errorf("proposed public key: %w", err)
		}
	}
	for _, p := range r.RejectedProposers {
		if r.Member(p) < 0 {
			return fmt.Errorf("rejected proposer %x is not in the snapshot", p)
		}
	}
	if activated {
		mk := gs.MasterKeys[r.ToVersion]
		if !bytes.Equal(mk.PublicKey, r.PublicKey) || !bytes.Equal(mk.GeneratedBy, r.Proposer) {
			return fmt.Errorf("master key v%d differs from the accepted proposal", r.ToVersion)
		}
	}
	old := gs.MasterKeys[r.FromVersion]
	if r.Phase >= ROTATION_PHASE_RETIRING {
		// Rotations retired before sweep heights existed have none.
		if !r.Retirable() && (r.SweepHeight != 0 || !r.rangesFinished()) {
			return fmt.Errorf("phase %s, but not every range finished without failures", PhaseName(r.Phase))
		}
		if r.RetiredHeight == 0 || old.RetiredHeight != r.RetiredHeight || r.EraseHeight < r.RetiredHeight {
			return fmt.Errorf("retired at %d, master key v%d retired at %d, erase at %d", r.RetiredHeight, r.FromVersion, old.RetiredHeight, r.EraseHeight)
		}
	}
	if r.Phase == ROTATION_PHASE_DONE {
		if r.ErasedHeight == 0 || old.ErasedHeight != r.ErasedHeight {
			return fmt.Errorf("erased at %d, master key v%d erased at %d", r.ErasedHeight, r.FromVersion, old.ErasedHeight)
		}
	} else if old.ErasedHeight != 0 {
		return fmt.Errorf("phase %s, but master key v%d is already erased", PhaseName(r.Phase), r.FromVersion)
	}
	return nil
}

// validateSnapshot checks the snapshot: 1..MaxRotationGatekeepers identity
// keys in ascending order, each row's progress well formed, and, while the
// set is locked, every member a current gatekeeper.
func validateSnapshot(r Rotation, gks map[string]bool) error {
	if len(r.Gatekeepers) == 0 || len(r.Gatekeepers) > protocol.MaxRotationGatekeepers {
		return fmt.Errorf("%d gatekeepers in the snapshot, want 1-%d", len(r.Gatekeepers), protocol.MaxRotationGatekeepers)
	}
	for i, g := range r.Gatekeepers {
		if len(g.IdentityKey) != ed25519.PublicKeySize {
			return fmt.Errorf("snapshot gatekeeper %d: identity key is %d bytes", i, len(g.IdentityKey))
		}
		if i > 0 && bytes.Compare(r.Gatekeepers[i-1].IdentityKey, g.IdentityKey) >= 0 {
			return fmt.Errorf("snapshot gatekeepers are not in ascending key order without duplicates")
		}
		if r.LocksGatekeeperSet() && !gks[string(g.IdentityKey)] {
			return fmt.Errorf("snapshot gatekeeper %x is not a gatekeeper, but the set is locked", g.IdentityKey)
		}
		if g.AckedHeight < 0 || g.FaultedHeight < 0 || g.ProgressHeight < 0 {
			return fmt.Errorf("snapshot gatekeeper %x: negative height", g.IdentityKey)
		}
		if err := ValidateProgress(g.Done, g.Total, g.Failed, g.Finished, g.FailedNames); err != nil {
			return fmt.Errorf("range %d: %w", i, err)
		}
		if g.AssignedHeight < 0 || g.VerifiedHeight < 0 {
			return fmt.Errorf("range %d: negative height", i)
		}
		if len(g.Assignee) != 0 && (r.Member(g.Assignee) < 0 || bytes.Equal(g.Assignee, g.IdentityKey)) {
			return fmt.Errorf("range %d: assignee %x is not another gatekeeper of the snapshot", i, g.Assignee)
		}
	}
	if r.SweepHeight < 0 {
		return fmt.Errorf("negative sweep height")
	}
	for i, w := range r.WorkerAcks {
		if len(w) != ed25519.PublicKeySize {
			return fmt.Errorf("worker acknowledgement %d: identity key is %d bytes", i, len(w))
		}
		if i > 0 && bytes.Compare(r.WorkerAcks[i-1], w) >= 0 {
			return fmt.Errorf("worker acknowledgements are not in ascending key order without duplicates")
		}
	}
	return nil
}

// rangesFinished reports whether every range finished without failures,
// whatever the sweep height.
func (r Rotation) rangesFinished() bool {
	for _, g := range r.Gatekeepers {
		if !g.Finished || g.Failed != 0 {
			return false
		}
	}
	return len(r.Gatekeepers) > 0
}
