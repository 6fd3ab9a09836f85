package state

import (
	"errors"
	"reflect"
	"testing"
)

// TestRotationTransitions walks the enclave's rotation state machine: every
// phase × event, to the next state or a named error that leaves the state
// as it was.
func TestRotationTransitions(t *testing.T) {
	t.Parallel()
	proposer, pub := []byte("proposer"), []byte("pubkey")
	at := func(p RotationPhase, c CopyState, rg RangeState) Rotation {
		s := Rotation{From: 0, To: 1, Phase: p, Copy: c, RangeState: rg, Members: [][]byte{proposer, []byte("other")}}
		if p >= RotationAcking {
			s.Proposer, s.PublicKey = proposer, pub
		}
		return s
	}
	type event struct {
		name string
		do   func(*Rotation) error
	}
	var (
		propose     = event{"propose", (*Rotation).Propose}
		takeSame    = event{"take", func(s *Rotation) error { return s.Take(proposer, pub) }}
		takeOther   = event{"take another", func(s *Rotation) error { return s.Take([]byte("other"), pub) }}
		ack         = event{"ack", (*Rotation).Ack}
		fault       = event{"fault", (*Rotation).Fault}
		reject      = event{"reject", func(s *Rotation) error { return s.Reject(proposer, 9) }}
		reencrypt   = event{"start re-encryption", func(s *Rotation) error { return s.StartReencrypt(2, 1, 9) }}
		loseRange   = event{"lose range", (*Rotation).LoseRange}
		regainRange = event{"regain range", (*Rotation).RegainRange}
		retire      = event{"retire", func(s *Rotation) error { return s.Retire(40) }}
	)
	const (
		proposing    = RotationProposing
		acking       = RotationAcking
		reencrypting = RotationReencrypting
		retiring     = RotationRetiring
	)
	tests := []struct {
		from    Rotation
		ev      event
		want    Rotation // when err is nil: the phase, copy and range state
		wantErr error
	}{
		// proposing
		{from: at(proposing, CopyNone, RangeNone), ev: propose, want: at(proposing, CopyProposed, RangeNone)},
		{from: at(proposing, CopyProposed, RangeNone), ev: propose, wantErr: ErrRotationAlreadySent},
		{from: at(proposing, CopyNone, RangeNone), ev: takeSame, want: at(acking, CopyNone, RangeNone)},
		{from: at(proposing, CopyProposed, RangeNone), ev: takeSame, want: at(acking, CopyProposed, RangeNone)},
		{from: at(proposing, CopyNone, RangeNone), ev: ack, wantErr: ErrRotationNoProposal},
		{from: at(proposing, CopyNone, RangeNone), ev: fault, wantErr: ErrRotationNoProposal},
		{from: at(proposing, CopyNone, RangeNone), ev: reject, want: at(proposing, CopyNone, RangeNone)},
		{from: at(proposing, CopyNone, RangeNone), ev: reencrypt, wantErr: ErrRotationNoProposal},
		{from: at(proposing, CopyNone, RangeNone), ev: retire, wantErr: ErrRotationNotActivated},
		// acking
		{from: at(acking, CopyNone, RangeNone), ev: propose, wantErr: ErrRotationNotProposing},
		{from: at(acking, CopyNone, RangeNone), ev: takeSame, want: at(acking, CopyNone, RangeNone)}, // a bootstrap's replay
		{from: at(acking, CopyNone, RangeNone), ev: takeOther, wantErr: ErrRotationNotProposing},
		{from: at(acking, CopyAcked, RangeNone), ev: takeSame, wantErr: ErrRotationNotProposing},
		{from: at(acking, CopyNone, RangeNone), ev: ack, want: at(acking, CopyAcked, RangeNone)},
		{from: at(acking, CopyProposed, RangeNone), ev: ack, want: at(acking, CopyAcked, RangeNone)},
		{from: at(acking, CopyFaulted, RangeNone), ev: ack, want: at(acking, CopyAcked, RangeNone)}, // a bootstrap found the key sealed
		{from: at(acking, CopyAcked, RangeNone), ev: ack, wantErr: ErrRotationAlreadyAcked},
		{from: at(acking, CopyNone, RangeNone), ev: fault, want: at(acking, CopyFaulted, RangeNone)},
		{from: at(acking, CopyAcked, RangeNone), ev: fault, wantErr: ErrRotationAlreadyAcked},
		{from: at(acking, CopyFaulted, RangeNone), ev: fault, wantErr: ErrRotationCopyFaulted},
		{from: at(acking, CopyAcked, RangeNone), ev: reject, want: at(proposing, CopyNone, RangeNone)},
		{from: at(acking, CopyAcked, RangeNone), ev: reencrypt, want: at(reencrypting, CopyAcked, RangeAssigned)},
		{from: at(acking, CopyAcked, RangeNone), ev: retire, wantErr: ErrRotationNotActivated},
		{from: at(acking, CopyAcked, RangeNone), ev: loseRange, wantErr: ErrRotationNoRange},
		// reencrypting
		{from: at(reencrypting, CopyAcked, RangeAssigned), ev: reject, wantErr: ErrRotationActivated},
		{from: at(reencrypting, CopyAcked, RangeAssigned), ev: reencrypt, want: at(reencrypting, CopyAcked, RangeAssigned)}, // replay
		{from: at(reencrypting, CopyAcked, RangeLost), ev: reencrypt, want: at(reencrypting, CopyAcked, RangeLost)},
		{from: at(reencrypting, CopyAcked, RangeAssigned), ev: loseRange, want: at(reencrypting, CopyAcked, RangeLost)},
		{from: at(reencrypting, CopyAcked, RangeLost), ev: regainRange, want: at(reencrypting, CopyAcked, RangeAssigned)},
		{from: at(reencrypting, CopyAcked, RangeNone), ev: regainRange, wantErr: ErrRotationNoRange},
		{from: at(reencrypting, CopyAcked, RangeAssigned), ev: retire, want: at(retiring, CopyAcked, RangeAssigned)},
		{from: at(reencrypting, CopyAcked, RangeAssigned), ev: propose, wantErr: ErrRotationNotProposing},
		// retiring
		{from: at(retiring, CopyAcked, RangeAssigned), ev: retire, want: at(retiring, CopyAcked, RangeAssigned)}, // replay
		{from: at(retiring, CopyAcked, RangeAssigned), ev: reencrypt, want: at(retiring, CopyAcked, RangeAssigned)},
		{from: at(retiring, CopyAcked, RangeAssigned), ev: reject, wantErr: ErrRotationActivated},
		{from: at(retiring, CopyAcked, RangeAssigned), ev: takeOther, wantErr: ErrRotationNotProposing},
	}
	for _, tc := range tests {
		name := tc.from.Phase.String() + "/" + tc.ev.name
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := *tc.from.Clone()
			err := tc.ev.do(&s)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("%s: %v, want %v", name, err, tc.wantErr)
			}
			if err != nil {
				if !reflect.DeepEqual(s, tc.from) {
					t.Fatalf("%s failed but changed the state: %+v", name, s)
				}
				return
			}
			if s.Phase != tc.want.Phase || s.Copy != tc.want.Copy || s.RangeState != tc.want.RangeState {
				t.Fatalf("%s: phase %s copy %d range %d, want %s %d %d", name, s.Phase, s.Copy, s.RangeState,
					tc.want.Phase, tc.want.Copy, tc.want.RangeState)
			}
		})
	}
}

// TestRotationRejectStartsTheRoundOver: the barred proposer is recorded
// once and the proposers' clock restarts.
func TestRotationRejectStartsTheRoundOver(t *testing.T) {
	t.Parallel()
	s := NewRotation(0, 1, 5)
	if err := s.Take([]byte("a"), []byte("k")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Reject([]byte("a"), 12); err != nil {
			t.Fatal(err)
		}
	}
	if s.Phase != RotationProposing || s.Proposer != nil || s.PublicKey != nil || s.ClockHeight != 12 || len(s.Rejected) != 1 {
		t.Fatalf("after rejection: %+v", s)
	}
}

func TestRotationPhaseNames(t *testing.T) {
	t.Parallel()
	// The names are the API's (api.RotationInfo.Phase) and the chain's.
	for p, want := range map[RotationPhase]string{RotationProposing: "proposing", RotationAcking: "acking",
		RotationReencrypting: "reencrypting", RotationRetiring: "retiring"} {
		if p.String() != want {
			t.Errorf("%d: %q, want %q", p, p.String(), want)
		}
	}
}
