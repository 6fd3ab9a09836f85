package state

import (
	"bytes"
	"errors"
	"fmt"
)

// The enclave's rotation state machine. It mirrors the chain's
// (x/registry rotation phases), which it follows on ingress:
//
//	            take              startReencrypt         retire             erase
//	proposing ──────▶ acking ───────────────▶ reencrypting ──────▶ retiring ──────▶ (none)
//	    ▲               │
//	    └──── reject ───┘
//
// Two smaller machines ride on it. This gatekeeper's part in the proposal
// round (CopyState):
//
//	none ──propose──▶ proposed        (phase proposing)
//	none|proposed ──ack──▶ acked      (phase acking or later)
//	none|proposed ──fault──▶ faulted  (phase acking or later)
//	faulted ──ack──▶ acked            (a bootstrap found the key sealed)
//	any ──reject──▶ none
//
// and its own re-encryption range (RangeState):
//
//	none ──startReencrypt (a member with a range)──▶ assigned
//	assigned ──loseRange──▶ lost ──regainRange──▶ assigned
//
// Each transition is one method; an event the machine cannot take in its
// phase is a named error, and the state is left as it was. The chain's
// machine never produces one of those in ingress order: a handler that
// meets one logs it and moves past the entry (a version mismatch, not an
// attack: ingress is proven). Replays that a bootstrap causes (it reads the
// rotation record, then applies the retained entries that led to it) are
// allowed where the target phase is already reached.

// RotationPhase is the phase of a rotation as this pRuntime knows it.
type RotationPhase uint8

// The rotation phases (zero: unspecified, never in a running rotation).
const (
	RotationProposing RotationPhase = iota + 1
	RotationAcking
	RotationReencrypting
	RotationRetiring
)

func (p RotationPhase) String() string {
	switch p {
	case RotationProposing:
		return "proposing"
	case RotationAcking:
		return "acking"
	case RotationReencrypting:
		return "reencrypting"
	case RotationRetiring:
		return "retiring"
	}
	return fmt.Sprintf("phase(%d)", uint8(p))
}

// CopyState is this gatekeeper's part in the current proposal round.
type CopyState uint8

// The copy states.
const (
	CopyNone     CopyState = iota // nothing sent in this round
	CopyProposed                  // it sent its own proposal
	CopyAcked                     // it sealed the taken version and acknowledged it
	CopyFaulted                   // its copy did not verify; it reported the proposer
)

// RangeState is this gatekeeper's own re-encryption range.
type RangeState uint8

// The range states.
const (
	RangeNone     RangeState = iota // no range of its own
	RangeAssigned                   // it re-encrypts range Range
	RangeLost                       // the chain reassigned its range to another after it stalled
)

// Invalid rotation transitions.
var (
	ErrRotationNotProposing = errors.New("state: rotation: a proposal is already taken")
	ErrRotationNoProposal   = errors.New("state: rotation: no proposal is taken")
	ErrRotationActivated    = errors.New("state: rotation: the proposed version is already active")
	ErrRotationNotActivated = errors.New("state: rotation: the new version is not active yet")
	ErrRotationAlreadySent  = errors.New("state: rotation: this gatekeeper already proposed in this round")
	ErrRotationAlreadyAcked = errors.New("state: rotation: this gatekeeper already acknowledged the proposal")
	ErrRotationCopyFaulted  = errors.New("state: rotation: this gatekeeper already reported the proposal's copy")
	ErrRotationNoRange      = errors.New("state: rotation: this gatekeeper has no re-encryption range")
)

// NewRotation is a rotation just started, at the synced height.
func NewRotation(from, to uint32, height int64) *Rotation {
	return &Rotation{From: from, To: to, Phase: RotationProposing, ClockHeight: height}
}

// Taken reports whether the chain took a proposal in this rotation.
func (s *Rotation) Taken() bool { return s.Phase >= RotationAcking }

// Propose: this gatekeeper sends its own proposal.
func (s *Rotation) Propose() error {
	switch {
	case s.Phase != RotationProposing:
		return ErrRotationNotProposing
	case s.Copy != CopyNone:
		return ErrRotationAlreadySent
	}
	s.Copy = CopyProposed
	return nil
}

// Take: the chain took proposer's proposal of pub. Taking the very proposal
// again, before this gatekeeper decided on its copy, is the replay of a
// bootstrap that read the taken proposal without its copies.
func (s *Rotation) Take(proposer, pub []byte) error {
	if s.Phase != RotationProposing {
		replay := bytes.Equal(s.Proposer, proposer) && bytes.Equal(s.PublicKey, pub) &&
			(s.Copy == CopyNone || s.Copy == CopyProposed)
		if !replay {
			return ErrRotationNotProposing
		}
		return nil
	}
	s.Phase, s.Proposer, s.PublicKey = RotationAcking, bytes.Clone(proposer), bytes.Clone(pub)
	return nil
}

// Ack: this gatekeeper sealed the taken version and acknowledges it.
func (s *Rotation) Ack() error {
	switch {
	case !s.Taken():
		return ErrRotationNoProposal
	case s.Copy == CopyAcked:
		return ErrRotationAlreadyAcked
	}
	s.Copy = CopyAcked
	return nil
}

// Fault: this gatekeeper's copy did not verify; it reports the proposer.
func (s *Rotation) Fault() error {
	switch {
	case !s.Taken():
		return ErrRotationNoProposal
	case s.Copy == CopyAcked:
		return ErrRotationAlreadyAcked
	case s.Copy == CopyFaulted:
		return ErrRotationCopyFaulted
	}
	s.Copy = CopyFaulted
	return nil
}

// Reject: the chain barred the taken proposal's proposer (or one whose
// proposal never got taken); the round starts over at height.
func (s *Rotation) Reject(proposer []byte, height int64) error {
	if s.Phase > RotationAcking {
		return ErrRotationActivated
	}
	if !s.IsRejected(proposer) {
		s.Rejected = append(s.Rejected, bytes.Clone(proposer))
	}
	s.Phase, s.Copy, s.Proposer, s.PublicKey = RotationProposing, CopyNone, nil, nil
	s.ClockHeight = height
	return nil
}

// StartReencrypt: the new version is active and re-encryption starts in
// ranges ranges; member is this gatekeeper's index in the snapshot (-1: not
// a member), range member is its own if there is one.
func (s *Rotation) StartReencrypt(ranges uint32, member int, height int64) error {
	switch s.Phase {
	case RotationProposing:
		return ErrRotationNoProposal
	case RotationAcking:
		s.Phase = RotationReencrypting
	}
	s.Ranges = ranges
	s.ClustersHeight = max(s.ClustersHeight, height)
	if member >= 0 && uint32(member) < ranges {
		if s.RangeState == RangeNone {
			s.RangeState = RangeAssigned
		}
		s.Range = uint32(member)
	}
	return nil
}

// LoseRange: the chain reassigned this gatekeeper's own range to another.
func (s *Rotation) LoseRange() error {
	if s.RangeState == RangeNone {
		return ErrRotationNoRange
	}
	s.RangeState = RangeLost
	return nil
}

// RegainRange: the chain gave this gatekeeper's own range back to it; it
// re-encrypts it anew.
func (s *Rotation) RegainRange() error {
	if s.RangeState == RangeNone {
		return ErrRotationNoRange
	}
	s.RangeState, s.Finished = RangeAssigned, false
	return nil
}

// Retire: the old version is retired, to be erased at eraseHeight.
func (s *Rotation) Retire(eraseHeight uint64) error {
	if s.Phase < RotationReencrypting {
		return ErrRotationNotActivated
	}
	s.Phase, s.EraseHeight = RotationRetiring, eraseHeight
	return nil
}

// Reencrypts reports whether this gatekeeper has a range of its own (it
// may have lost it since).
func (s *Rotation) Reencrypts() bool { return s.RangeState != RangeNone }
