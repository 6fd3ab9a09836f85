package attest

import (
	"errors"
	"time"
)

// Report is what a verified quote states.
type Report struct {
	// Kind is the TEE kind of the quote (KindSim, …).
	Kind string
	// Measurement is the code identity of the attested program (sim: 32 bytes).
	Measurement []byte
	// ReportData is the 64 bytes the program bound into the quote.
	ReportData [64]byte
	// ConfidenceLevel grades the platform (DESIGN.md §7); ConfidenceSimulated
	// for the sim backend.
	ConfidenceLevel uint32
	// IssuedAt is when the quote was made; zero when the quote format carries no time.
	IssuedAt time.Time
}

// Verifier verifies quotes of one TEE kind. Implementations are
// deterministic: same input, same output.
type Verifier interface {
	// Kind names the TEE kind this verifier accepts.
	Kind() string
	// Verify checks quote at time now (block time, never the host clock) and
	// returns what it states.
	Verify(quote []byte, now time.Time) (Report, error)
}

// Errors that callers branch on; returned wrapped with detail.
var (
	ErrMalformedQuote  = errors.New("attest: malformed quote")
	ErrQuoteSignature  = errors.New("attest: quote signature does not verify")
	ErrQuoteFromFuture = errors.New("attest: quote issued after verification time")
)

const (
	// MaxQuoteLen bounds a quote of any kind; larger input is rejected unread.
	MaxQuoteLen = 64 << 10

	// MaxFutureSkew is how far a quote's issue time may lie after the
	// verification time. Block time and the enclave host's clock are not
	// synchronized, so a little skew is tolerated; more means a wrong or
	// manipulated clock.
	MaxFutureSkew = time.Minute
)

// ConfidenceSimulated is the confidence level of a simulated quote: no
// hardware attestation at all (DESIGN.md §7).
const ConfidenceSimulated uint32 = 128
