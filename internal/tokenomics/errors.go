package tokenomics

import (
	"errors"
	"fmt"
)

// Arithmetic and encoding errors.
var (
	ErrOverflow  = errors.New("tokenomics: overflow")
	ErrUnderflow = errors.New("tokenomics: underflow")
	ErrDivByZero = errors.New("tokenomics: division by zero")
	ErrSyntax    = errors.New("tokenomics: invalid decimal")
	ErrMalformed = errors.New("tokenomics: malformed encoding")
	// ErrInvalidParams wraps every Params.Validate failure; the message
	// names the field.
	ErrInvalidParams = errors.New("tokenomics: invalid params")
	// ErrHeight is returned by Step when the block does not follow the
	// state's last height; nothing is applied.
	ErrHeight = errors.New("tokenomics: block out of order")
)

// Reasons an input of a block is rejected. Step reports them per input as a
// Rejection and otherwise ignores the input: nothing is paid, no state
// changes because of it.
var (
	// ErrNotComputing: a heartbeat or stop names a worker that is not in a
	// computing session.
	ErrNotComputing = errors.New("tokenomics: worker not computing")
	// ErrWrongSession: a heartbeat carries another session's id (an answer
	// to a challenge of an earlier session).
	ErrWrongSession = errors.New("tokenomics: heartbeat for another session")
	// ErrNotIssued: the heartbeat names a height at which this worker was
	// not challenged (or a height not yet past, or before its session).
	ErrNotIssued = errors.New("tokenomics: challenge not issued")
	// ErrLate: the challenge is more than heartbeat_window blocks old.
	ErrLate = errors.New("tokenomics: heartbeat after the window")
	// ErrAnswered: the challenge was already answered, or a later one was.
	ErrAnswered = errors.New("tokenomics: challenge already answered")
	// ErrAlreadyComputing: a start names a worker that is computing.
	ErrAlreadyComputing = errors.New("tokenomics: worker already computing")
	// ErrPerformanceTooLow: a start with p < min_init_p.
	ErrPerformanceTooLow = errors.New("tokenomics: performance below min_init_p")
	// ErrStakeTooLow: a start with stake < k·√p.
	ErrStakeTooLow = errors.New("tokenomics: stake below k·√p")
	// ErrStakeTooHigh: a start whose initial V would exceed v_max.
	ErrStakeTooHigh = errors.New("tokenomics: stake gives an initial V above v_max")
	// ErrConfidenceLevel: a start with a confidence level outside 1–5, 128.
	ErrConfidenceLevel = errors.New("tokenomics: unknown confidence level")
)

// Input names the kind of block input a Rejection refers to.
type Input uint8

// Kinds of block input, in the order Apply processes them.
const (
	InputStop Input = iota + 1
	InputStart
	InputHeartbeat
)

func (k Input) String() string {
	switch k {
	case InputHeartbeat:
		return "heartbeat"
	case InputStart:
		return "start"
	case InputStop:
		return "stop"
	}
	return fmt.Sprintf("input(%d)", uint8(k))
}

// Rejection is one block input that Step ignored, with the reason. It is an
// error: errors.Is(r, ErrLate) etc. match its reason.
type Rejection struct {
	Input     Input
	Index     int // position in the block's list of that input kind
	Worker    WorkerKey
	Session   uint64
	Challenge uint64 // heartbeats only
	Reason    error  // one of the sentinel reasons above, possibly wrapped
}

func (r Rejection) Error() string {
	if r.Input == InputHeartbeat {
		return fmt.Sprintf("%s %d (worker %x, session %d, challenge %d): %v", r.Input, r.Index, r.Worker[:8], r.Session, r.Challenge, r.Reason)
	}
	return fmt.Sprintf("%s %d (worker %x, session %d): %v", r.Input, r.Index, r.Worker[:8], r.Session, r.Reason)
}

func (r Rejection) Unwrap() error { return r.Reason }
