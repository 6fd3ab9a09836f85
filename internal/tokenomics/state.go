package tokenomics

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// WorkerKey is a worker's identity public key (ed25519, 32 bytes).
type WorkerKey [32]byte

// Status is a computing worker's state.
type Status uint8

// Worker states.
const (
	// StatusComputing: the worker answers its challenges.
	StatusComputing Status = iota + 1
	// StatusUnresponsive: a challenge went unanswered for more than
	// heartbeat_window blocks; V is slashed every block until the worker
	// answers a live challenge.
	StatusUnresponsive
)

func (s Status) String() string {
	switch s {
	case StatusComputing:
		return "computing"
	case StatusUnresponsive:
		return "unresponsive"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Worker is one computing worker as the engine tracks it.
type Worker struct {
	Key     WorkerKey
	Session uint64 // the chain's computing-session id
	// P is the instantaneous performance p_instant that share and ΔV use;
	// PBench is the score the session started with (p_init). P starts at
	// PBench and is re-measured on every heartbeat from the benchmark
	// iterations the worker reports (see measure), capped at 1.2·PBench.
	P      Fixed
	PBench uint32
	Level  uint32 // attestation confidence level
	// Iterations and MeasuredAt are the last measurement: the iteration
	// count of the last heartbeat and the block time (unix ms) of the
	// challenge it answered; at the start, 0 and the start block's time, so
	// that the first heartbeat measures from the session start, as in the
	// reference. MeasuredAt 0 (a start block without a time): the first
	// heartbeat only sets the baseline.
	Iterations, MeasuredAt uint64
	Stake                  Fixed
	// V is the worker's value; VDeductible is what V gained since the last
	// settlement and may be taken back from the next payout.
	V, VDeductible Fixed
	Since          uint64 // height the session started
	LastSettled    uint64 // height of the last settlement (or recovery, or start)
	// Pending is the height of the oldest challenge still to be answered
	// and not yet expired (0: none); Answered the latest one answered.
	Pending, Answered uint64
	Status            Status
	TotalPaid         Fixed // sum of payouts in this session

	keyHash [32]byte // KeyHash(Key), cached: the challenge test runs per block
	beat    bool     // answered a challenge in the block being applied
}

// round is one past block's challenge: the seed and the target it used,
// and the block's time.
type round struct {
	height uint64
	time   uint64 // unix ms
	seed   [32]byte
	target Target
}

// State is every computing worker, in key order, plus the last
// heartbeat_window+1 blocks' challenge seeds so that heartbeats can be
// checked against the challenges actually issued. It holds no map: every
// walk over it is in key order.
type State struct {
	height  uint64
	workers []Worker
	rounds  []round // consecutive heights, oldest first
	conf    []Fixed // scratch: conf_f per worker for the block being applied
}

// NewState returns an empty state whose last applied block is height; the
// first block applied must be height+1.
func NewState(height uint64) *State { return &State{height: height} }

// Height is the last applied block.
func (s *State) Height() uint64 { return s.height }

// Len is the number of computing workers (responsive or not).
func (s *State) Len() int { return len(s.workers) }

// Workers returns a copy of every worker, in key order.
func (s *State) Workers() []Worker { return slices.Clone(s.workers) }

// Worker returns the worker with key k.
func (s *State) Worker(k WorkerKey) (Worker, bool) {
	i, ok := s.find(k)
	if !ok {
		return Worker{}, false
	}
	return s.workers[i], true
}

// SumShare is Σ share over responsive workers: the denominator of the next
// block's budget split, taken before that block's stops and starts.
func (s *State) SumShare() Fixed {
	var sum Fixed
	for i := range s.workers {
		w := &s.workers[i]
		if w.Status == StatusComputing {
			conf, _ := ConfFactor(w.Level)
			sum = sum.Add(Share(w.V, w.P, conf))
		}
	}
	return sum
}

// pInstantCap bounds p_instant at 1.2·p_bench, as the reference does: a
// worker cannot earn more share than its benchmark promised plus a margin
// for measurement noise. 1.2 rounded toward zero, as Parse("1.2") gives.
var pInstantCap = Fixed{hi: 1, lo: 0x3333333333333333}

// ScoreSeconds is the unit of performance: scores and p_instant are
// benchmark iterations per 6 seconds, the reference's unit (its standard
// block time), so that p has the magnitude the reference's params (rig_k,
// cost_k, k, the 2·p in share) were set for.
const ScoreSeconds = 6

// MaxScore caps a performance score where the chain records it, as the
// reference's registry does: beyond it, faster hardware earns no more
// weight, and stake (through V) decides.
const MaxScore = 6000

// measure updates w's p_instant from a heartbeat answering the challenge of
// a block with time t (unix ms) and carrying iteration count it:
//
//	p_instant = min((it − it_last) / ((t − t_last)/1000) · 6, 1.2·p_bench)
//
// iterations per 6 s, as the reference measures it (divide, then
// multiply). The first heartbeat of a session measures from the session
// start (count 0 at the start block's time). A count that went backwards (the pRuntime restarted and
// its counter with it) sets the baseline and p_instant to 0 until the next
// heartbeat measures again, as in the reference: otherwise a host that
// restarts its pRuntime before every heartbeat would keep its last p without
// ever being measured again. Both ends of the interval are challenge-block
// times, so relaying delay does not enter the measurement. A block time that
// does not advance (two challenges answered from one block) changes nothing.
func measure(w *Worker, t, it uint64) {
	switch {
	case w.MeasuredAt == 0:
	case t <= w.MeasuredAt:
		return
	case it < w.Iterations:
		w.P = Zero
	default:
		dt, _ := FromRatio(t-w.MeasuredAt, 1000) // t − t_last < 2^64: no overflow
		w.P = FromInt(it - w.Iterations).Div(dt).MulInt(ScoreSeconds).Min(FromInt(uint64(w.PBench)).Mul(pInstantCap))
	}
	w.Iterations, w.MeasuredAt = it, t
}

// Clone returns a deep copy.
func (s *State) Clone() *State {
	return &State{height: s.height, workers: slices.Clone(s.workers), rounds: slices.Clone(s.rounds)}
}

func (s *State) find(k WorkerKey) (int, bool) {
	return slices.BinarySearchFunc(s.workers, k, func(w Worker, k WorkerKey) int {
		return bytes.Compare(w.Key[:], k[:])
	})
}

// Block is what the engine consumes per block, all of it verified chain
// data: the beacon seed for this height's challenges, the sessions the chain
// stopped and started in this block, and the heartbeats it carried.
type Block struct {
	Height     uint64
	Time       uint64   // the block's time, unix ms (consensus time, not a clock)
	Seed       [32]byte // the gatekeepers' random beacon for this height
	Stopped    []Stop
	Started    []Start
	Heartbeats []Heartbeat
}

// Start is a computing session the chain started.
type Start struct {
	Worker  WorkerKey
	Session uint64
	P       uint32 // p_init from the performance test
	Level   uint32 // attestation confidence level
	Stake   Fixed
}

// Stop is a computing session the chain stopped.
type Stop struct {
	Worker  WorkerKey
	Session uint64
}

// Heartbeat is a worker's answer to the challenge of height Challenge.
// Iterations is the worker's benchmark iteration counter when it saw that
// challenge: the work its pRuntime has done since the session started (or
// since the pRuntime restarted, if later), in units of the performance test
// (one iteration per MiB hashed, so that iterations per 6 s and the score
// p_init share a unit).
type Heartbeat struct {
	Worker     WorkerKey
	Session    uint64
	Challenge  uint64
	Iterations uint64
}

// Step is the pure form of Apply: it leaves s untouched and returns the
// next state. Apply is the same computation in place, without the copy.
func Step(p Params, s *State, b Block) (*State, Output, []Rejection, error) {
	next := s.Clone()
	out, rej, err := next.Apply(p, b)
	if err != nil {
		return s, Output{}, nil, err
	}
	return next, out, rej, nil
}

// Apply runs the model for block b and returns the quorum output and the
// inputs it rejected. It fails, changing nothing, only when p is invalid or
// b.Height is not s.Height()+1; a bad input (see Rejection) is skipped.
//
// Order within a block:
//
//  0. Σshare is taken over the responsive workers the previous block left,
//     before this block's stops, starts and heartbeats (the reference takes
//     it before it processes the block's messages): a worker stopped in
//     this block still counts, one started in it does not yet.
//  1. Stops: the session ends; a settlement with the final V and zero
//     payout is reported (the reference reports the final V the same way).
//  2. Starts: V = InitialV; the session's last settlement is this height;
//     its p_instant is measured from this block's time, count 0.
//  3. This height's challenge round (seed, OnlineTarget of the number of
//     computing workers) is recorded.
//  4. conf_f is cached per worker.
//  5. Heartbeats, in block order. Every valid one re-measures the worker's
//     p_instant (see measure). The first valid one of a worker in the
//     block: if the worker is unresponsive it recovers (V_deductible = 0,
//     last settlement = now, no payout); otherwise it settles:
//     budget = share/Σshare · budget_per_block · (now − last settlement),
//     payout = budget·(1 − treasury_ratio), treasury = budget·treasury_ratio,
//     V −= min(V_deductible, payout), V_deductible = 0, last settlement = now.
//     Further valid heartbeats of the worker in the same block only mark
//     their challenges answered.
//  6. Per worker, in key order: a challenge of this height becomes pending;
//     a responsive worker whose oldest pending challenge is more than
//     heartbeat_window blocks old becomes unresponsive (and expired
//     challenges are dropped: answering them now is ErrLate); then an
//     unresponsive worker loses V·slash_rate (V_deductible = 0), and a
//     responsive worker that did not answer this block gains
//     ΔV = IdleDelta, V = min(V + ΔV, v_max), V_deductible += ΔV.
func (s *State) Apply(p Params, b Block) (Output, []Rejection, error) {
	if err := p.Validate(); err != nil {
		return Output{}, nil, err
	}
	if b.Height != s.height+1 {
		return Output{}, nil, fmt.Errorf("%w: block %d after %d", ErrHeight, b.Height, s.height)
	}
	h := b.Height
	out := Output{Height: h}
	var rej []Rejection

	if b.Time < s.lastTime() {
		return Output{}, nil, fmt.Errorf("%w: block %d time %d before the previous block's %d", ErrHeight, b.Height, b.Time, s.lastTime())
	}

	// 0. Σshare, before anything of this block changes the worker set.
	sum := s.SumShare()

	// 1. Stops.
	removed := 0
	for i, st := range b.Stopped {
		j, ok := s.find(st.Worker)
		if !ok || s.workers[j].Status == 0 {
			rej = append(rej, Rejection{Input: InputStop, Index: i, Worker: st.Worker, Session: st.Session, Reason: ErrNotComputing})
			continue
		}
		w := &s.workers[j]
		if w.Session != st.Session {
			rej = append(rej, Rejection{Input: InputStop, Index: i, Worker: st.Worker, Session: st.Session, Reason: ErrWrongSession})
			continue
		}
		out.Settlements = append(out.Settlements, Settlement{Worker: w.Key, Session: w.Session, V: w.V})
		w.Status = 0
		removed++
	}
	if removed > 0 {
		s.workers = slices.DeleteFunc(s.workers, func(w Worker) bool { return w.Status == 0 })
	}

	// 2. Starts: sort by key (stable, so the first of duplicates wins), then
	// merge into the sorted worker list.
	if len(b.Started) > 0 {
		order := make([]int, len(b.Started))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int {
			return bytes.Compare(b.Started[x].Worker[:], b.Started[y].Worker[:])
		})
		added := make([]Worker, 0, len(order))
		for n, i := range order {
			st := b.Started[i]
			reject := func(err error) {
				rej = append(rej, Rejection{Input: InputStart, Index: i, Worker: st.Worker, Session: st.Session, Reason: err})
			}
			if _, ok := s.find(st.Worker); ok || (n > 0 && b.Started[order[n-1]].Worker == st.Worker) {
				reject(ErrAlreadyComputing)
				continue
			}
			v, err := p.InitialV(st.P, st.Stake, st.Level)
			if err != nil {
				reject(err)
				continue
			}
			added = append(added, Worker{
				Key: st.Worker, Session: st.Session, P: FromInt(uint64(st.P)), PBench: st.P, Level: st.Level,
				Stake: st.Stake, V: v, Since: h, LastSettled: h, Status: StatusComputing, MeasuredAt: b.Time,
				keyHash: KeyHash(st.Worker[:]),
			})
		}
		s.workers = mergeWorkers(s.workers, added)
	}

	// 3. This height's challenge round; keep what heartbeats may still name.
	target := p.OnlineTarget(uint32(min(len(s.workers), 1<<32-1)))
	s.rounds = append(s.rounds, round{height: h, time: b.Time, seed: b.Seed, target: target})
	window := uint64(p.HeartbeatWindow)
	if keep := h - min(h, window); s.rounds[0].height < keep {
		drop := int(keep - s.rounds[0].height)
		s.rounds = append(s.rounds[:0], s.rounds[drop:]...)
	}

	// 4. conf_f cached per worker.
	if cap(s.conf) < len(s.workers) {
		s.conf = make([]Fixed, len(s.workers))
	}
	s.conf = s.conf[:len(s.workers)]
	for i := range s.workers {
		s.conf[i], _ = ConfFactor(s.workers[i].Level) // checked at start
	}
	payoutRatio := One.Sub(p.TreasuryRatio)

	// 5. Heartbeats.
	for i, hb := range b.Heartbeats {
		reject := func(err error) {
			rej = append(rej, Rejection{Input: InputHeartbeat, Index: i, Worker: hb.Worker, Session: hb.Session, Challenge: hb.Challenge, Reason: err})
		}
		j, ok := s.find(hb.Worker)
		if !ok {
			reject(ErrNotComputing)
			continue
		}
		w := &s.workers[j]
		c := hb.Challenge
		switch {
		case w.Session != hb.Session:
			reject(ErrWrongSession)
			continue
		case c >= h || c < w.Since:
			reject(ErrNotIssued)
			continue
		case h-c > window:
			reject(ErrLate)
			continue
		case c <= w.Answered:
			reject(ErrAnswered)
			continue
		case !s.challengedAt(w, c):
			reject(ErrNotIssued)
			continue
		}
		w.Answered = c
		w.Pending = s.nextChallenge(w, c+1, h-1)
		measure(w, s.rounds[c-s.rounds[0].height].time, hb.Iterations)
		if w.beat {
			continue
		}
		w.beat = true
		if w.Status == StatusUnresponsive {
			w.Status = StatusComputing
			w.VDeductible = Zero
			w.LastSettled = h
			out.Recovered = append(out.Recovered, Ref{Worker: w.Key, Session: w.Session})
			continue
		}
		st := Settlement{Worker: w.Key, Session: w.Session}
		share := Share(w.V, w.P, s.conf[j])
		if !sum.IsZero() && !w.VDeductible.IsZero() && h > w.LastSettled && !share.IsZero() {
			budget := share.Div(sum).Mul(p.BudgetPerBlock).MulInt(h - w.LastSettled)
			st.Payout = budget.Mul(payoutRatio)
			st.Treasury = budget.Mul(p.TreasuryRatio)
			w.V = w.V.Sub(w.VDeductible.Min(st.Payout))
			w.VDeductible = Zero
			w.LastSettled = h
			w.TotalPaid = w.TotalPaid.Add(st.Payout)
		}
		st.V = w.V
		out.Settlements = append(out.Settlements, st)
	}

	// 6. Challenges of this height, expiry, slash and idle growth.
	cur := &s.rounds[len(s.rounds)-1]
	for i := range s.workers {
		w := &s.workers[i]
		if w.Pending == 0 && challenged(&w.keyHash, &cur.seed, &cur.target) {
			w.Pending = h
		}
		if w.Pending != 0 && h-w.Pending > window {
			if w.Status == StatusComputing {
				w.Status = StatusUnresponsive
				out.Offline = append(out.Offline, Ref{Worker: w.Key, Session: w.Session})
			}
			w.Pending = s.nextChallenge(w, max(w.Pending+1, h-window), h)
		}
		switch {
		case w.Status == StatusUnresponsive:
			w.V = w.V.Sub(w.V.Mul(p.SlashRate))
			w.VDeductible = Zero
		case !w.beat:
			dv := p.IdleDelta(w.V, w.P, w.PBench)
			w.V = w.V.Add(dv).Min(p.VMax)
			w.VDeductible = w.VDeductible.Add(dv)
		}
		w.beat = false
	}

	s.height = h
	sortRefs(out.Recovered)
	slices.SortFunc(out.Settlements, func(x, y Settlement) int { return bytes.Compare(x.Worker[:], y.Worker[:]) })
	slices.SortStableFunc(rej, func(x, y Rejection) int {
		return cmp.Or(cmp.Compare(x.Input, y.Input), cmp.Compare(x.Index, y.Index))
	})
	return out, rej, nil
}

// lastTime is the time of the last applied block, or 0.
func (s *State) lastTime() uint64 {
	if len(s.rounds) == 0 {
		return 0
	}
	return s.rounds[len(s.rounds)-1].time
}

// Challenged reports whether the computing worker k was challenged at
// height c, one of the last heartbeat_window+1 blocks applied. A worker's
// pRuntime, running the same engine on the same blocks, asks this after
// applying block c to decide whether to send a heartbeat.
func (s *State) Challenged(k WorkerKey, c uint64) bool {
	i, ok := s.find(k)
	return ok && s.workers[i].Status != 0 && s.challengedAt(&s.workers[i], c)
}

// challengedAt reports whether w was challenged at height c (a recorded round).
func (s *State) challengedAt(w *Worker, c uint64) bool {
	if len(s.rounds) == 0 || c < s.rounds[0].height {
		return false
	}
	i := c - s.rounds[0].height
	if i >= uint64(len(s.rounds)) {
		return false
	}
	r := &s.rounds[i]
	return challenged(&w.keyHash, &r.seed, &r.target)
}

// nextChallenge returns the first height in [from, to] at which w was
// challenged, among the recorded rounds and not before its session, or 0.
func (s *State) nextChallenge(w *Worker, from, to uint64) uint64 {
	for c := max(from, w.Since); c <= to; c++ {
		if s.challengedAt(w, c) {
			return c
		}
	}
	return 0
}

func mergeWorkers(a, b []Worker) []Worker {
	if len(b) == 0 {
		return a
	}
	out := make([]Worker, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if bytes.Compare(a[i].Key[:], b[j].Key[:]) < 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func sortRefs(r []Ref) {
	slices.SortFunc(r, func(x, y Ref) int { return bytes.Compare(x.Worker[:], y.Worker[:]) })
}
