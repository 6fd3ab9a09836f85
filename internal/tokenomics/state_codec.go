package tokenomics

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

const (
	stateVersion byte = 2
	workerLen         = 32 + 8 + FixedLen + 2*4 + 3*FixedLen + 4*8 + 1 + FixedLen + 2*8
	roundLen          = 8 + 8 + 32 + 32
	stateHeadLen      = 1 + 8 + 4
	// MaxStateWorkers bounds the workers of a decoded State.
	MaxStateWorkers = 1 << 24
)

// MarshalBinary returns the canonical encoding of the state, for a
// gatekeeper to seal it and for gatekeepers to compare states:
//
//	version (1) · height (u64) · n (u32) · n × worker · m (u32) · m × round
//	worker = key (32) · session (u64) · p_instant (Fixed) · p_bench, level (u32)
//	         · stake · V · V_deductible (Fixed) · since · last_settled
//	         · pending · answered (u64) · status (1) · total_paid (Fixed)
//	         · iterations · measured_at (u64)
//	round  = height (u64) · time (u64, unix ms) · seed (32) · target (32)
//
// big-endian, workers in key order, rounds oldest first.
func (s *State) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, stateHeadLen+4+workerLen*len(s.workers)+roundLen*len(s.rounds))
	b = append(b, stateVersion)
	b = binary.BigEndian.AppendUint64(b, s.height)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.workers)))
	for i := range s.workers {
		w := &s.workers[i]
		b = append(b, w.Key[:]...)
		b = binary.BigEndian.AppendUint64(b, w.Session)
		b = appendFixed(b, w.P)
		b = binary.BigEndian.AppendUint32(b, w.PBench)
		b = binary.BigEndian.AppendUint32(b, w.Level)
		b = appendFixed(b, w.Stake)
		b = appendFixed(b, w.V)
		b = appendFixed(b, w.VDeductible)
		for _, n := range []uint64{w.Since, w.LastSettled, w.Pending, w.Answered} {
			b = binary.BigEndian.AppendUint64(b, n)
		}
		b = append(b, byte(w.Status))
		b = appendFixed(b, w.TotalPaid)
		b = binary.BigEndian.AppendUint64(b, w.Iterations)
		b = binary.BigEndian.AppendUint64(b, w.MeasuredAt)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.rounds)))
	for _, r := range s.rounds {
		b = binary.BigEndian.AppendUint64(b, r.height)
		b = binary.BigEndian.AppendUint64(b, r.time)
		b = append(b, r.seed[:]...)
		b = append(b, r.target[:]...)
	}
	return b, nil
}

// UnmarshalBinary decodes the canonical encoding strictly: known version,
// workers in strictly increasing key order with a known status and
// confidence level and consistent heights, rounds at consecutive heights
// ending at the state's height, no trailing bytes. Errors wrap ErrMalformed.
func (s *State) UnmarshalBinary(b []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: state: "+format, append([]any{ErrMalformed}, args...)...)
	}
	if len(b) < stateHeadLen {
		return bad("%d bytes", len(b))
	}
	if b[0] != stateVersion {
		return bad("version %d, want %d", b[0], stateVersion)
	}
	var ns State
	ns.height = binary.BigEndian.Uint64(b[1:])
	n := binary.BigEndian.Uint32(b[9:])
	b = b[stateHeadLen:]
	if n > MaxStateWorkers || uint64(n)*workerLen > uint64(len(b)) {
		return bad("%d workers in %d bytes", n, len(b))
	}
	ns.workers = make([]Worker, n)
	for i := range ns.workers {
		w := &ns.workers[i]
		copy(w.Key[:], b)
		w.Session = binary.BigEndian.Uint64(b[32:])
		w.P = fixedFrom(b[40:])
		w.PBench = binary.BigEndian.Uint32(b[56:])
		w.Level = binary.BigEndian.Uint32(b[60:])
		w.Stake = fixedFrom(b[64:])
		w.V = fixedFrom(b[80:])
		w.VDeductible = fixedFrom(b[96:])
		w.Since = binary.BigEndian.Uint64(b[112:])
		w.LastSettled = binary.BigEndian.Uint64(b[120:])
		w.Pending = binary.BigEndian.Uint64(b[128:])
		w.Answered = binary.BigEndian.Uint64(b[136:])
		w.Status = Status(b[144])
		w.TotalPaid = fixedFrom(b[145:])
		w.Iterations = binary.BigEndian.Uint64(b[161:])
		w.MeasuredAt = binary.BigEndian.Uint64(b[169:])
		b = b[workerLen:]
		switch {
		case i > 0 && bytes.Compare(ns.workers[i-1].Key[:], w.Key[:]) >= 0:
			return bad("worker %d out of order", i)
		case w.Status != StatusComputing && w.Status != StatusUnresponsive:
			return bad("worker %d status %d", i, w.Status)
		case w.PBench > MaxP:
			return bad("worker %d score above %d", i, MaxP)
		case FromInt(uint64(w.PBench)).Mul(pInstantCap).Less(w.P):
			return bad("worker %d p_instant %s above 1.2·p_bench", i, w.P)
		case w.Since == 0 || w.Since > ns.height || w.LastSettled < w.Since || w.LastSettled > ns.height ||
			w.Pending > ns.height || w.Answered > ns.height || (w.Pending != 0 && w.Pending < w.Since):
			return bad("worker %d heights inconsistent with %d", i, ns.height)
		}
		if _, err := ConfFactor(w.Level); err != nil {
			return bad("worker %d: %v", i, err)
		}
		w.keyHash = KeyHash(w.Key[:])
	}
	if len(b) < 4 {
		return bad("round count truncated")
	}
	m := binary.BigEndian.Uint32(b)
	b = b[4:]
	if m > MaxHeartbeatWindow+1 || uint64(m) > ns.height || uint64(m)*roundLen != uint64(len(b)) {
		return bad("%d rounds in %d bytes", m, len(b))
	}
	if m > 0 {
		ns.rounds = make([]round, m)
	}
	for i := range ns.rounds {
		r := &ns.rounds[i]
		r.height = binary.BigEndian.Uint64(b)
		r.time = binary.BigEndian.Uint64(b[8:])
		copy(r.seed[:], b[16:])
		copy(r.target[:], b[48:])
		b = b[roundLen:]
		if r.height != ns.height-uint64(m)+1+uint64(i) {
			return bad("round %d at height %d, want consecutive heights ending at %d", i, r.height, ns.height)
		}
		if i > 0 && r.time < ns.rounds[i-1].time {
			return bad("round %d time %d before the previous round's", i, r.time)
		}
	}
	*s = ns
	return nil
}
