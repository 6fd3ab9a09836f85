package attest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// KindSim is the TEE kind of the simulated backend.
const KindSim = "sim"

// SimQuoteMagic opens every sim quote: a name and a format version (1).
const SimQuoteMagic = "GKSIMQ\x00\x01"

// Sizes of the sim quote's fields, in order.
const (
	simMagicLen       = len(SimQuoteMagic)
	simMeasurementLen = 32
	simReportDataLen  = 64
	simIssuedAtLen    = 8
	simBodyLen        = simMagicLen + simMeasurementLen + simReportDataLen + simIssuedAtLen + ed25519.PublicKeySize

	// SimQuoteLen is the exact size of a sim quote.
	SimQuoteLen = simBodyLen + ed25519.SignatureSize
)

// SimQuote is a parsed sim quote. Its canonical encoding is
//
//	magic "GKSIMQ\x00\x01" (8) || measurement (32) || report data (64) ||
//	u64 BE issued-at, Unix seconds (8) || platform ed25519 public key (32) ||
//	ed25519 signature (64)
//
// where the signature is by the platform key over
// protocol.SigningBytes(protocol.ContextSimQuote, "", everything before it).
// The chain id is empty because a quote is about a platform, not a chain; the
// chain id is bound through the report data instead.
type SimQuote struct {
	Measurement [32]byte
	ReportData  [64]byte
	IssuedAt    time.Time // whole seconds, UTC
	PlatformKey ed25519.PublicKey
	Signature   []byte
}

// NewSimQuote makes a sim quote signed by platform. issuedAt is truncated to
// whole seconds and clamped to the range a sim quote can carry, the Unix epoch
// to the end of year 9999.
//
// platform must be a well-formed ed25519 private key (ed25519.PrivateKeySize
// bytes); like ed25519.Sign, NewSimQuote panics otherwise, because a bad key
// here is a programming error, not an input error.
func NewSimQuote(platform ed25519.PrivateKey, measurement [32]byte, reportData [64]byte, issuedAt time.Time) []byte {
	q := SimQuote{
		Measurement: measurement,
		ReportData:  reportData,
		IssuedAt:    issuedAt,
		PlatformKey: platform.Public().(ed25519.PublicKey),
	}
	body := q.body()
	sig := ed25519.Sign(platform, protocol.SigningBytes(protocol.ContextSimQuote, "", body))
	return append(body, sig...)
}

// body returns the signed part of the encoding, with room for the signature.
func (q *SimQuote) body() []byte {
	b := make([]byte, 0, SimQuoteLen)
	b = append(b, SimQuoteMagic...)
	b = append(b, q.Measurement[:]...)
	b = append(b, q.ReportData[:]...)
	b = binary.BigEndian.AppendUint64(b, simSeconds(q.IssuedAt))
	return append(b, q.PlatformKey...)
}

// Bytes returns the canonical encoding of q. For a quote returned by
// ParseSimQuote it is the input that was parsed.
func (q *SimQuote) Bytes() []byte { return append(q.body(), q.Signature...) }

// maxSimSeconds is 9999-12-31T23:59:59Z. Bounding the issue time keeps
// time.Time arithmetic far from overflow: an unbounded u64 would let a quote
// from the far future wrap around into the past and pass the future check.
const maxSimSeconds = 253402300799

func simSeconds(t time.Time) uint64 {
	return uint64(min(max(t.Unix(), 0), maxSimSeconds))
}

// ParseSimQuote parses a sim quote strictly. It checks the form of every field
// but not the signature; use SimVerifier for that. Errors wrap
// ErrMalformedQuote and name the field at fault.
func ParseSimQuote(b []byte) (SimQuote, error) {
	if len(b) > MaxQuoteLen {
		return SimQuote{}, fmt.Errorf("%w: sim: %d bytes exceeds limit %d", ErrMalformedQuote, len(b), MaxQuoteLen)
	}
	var q SimQuote
	p := simParser{buf: b}
	if magic := p.take("magic", simMagicLen); p.err == nil && string(magic) != SimQuoteMagic {
		p.fail("magic", "got %q, want %q", magic, SimQuoteMagic)
	}
	copy(q.Measurement[:], p.take("measurement", simMeasurementLen))
	copy(q.ReportData[:], p.take("report data", simReportDataLen))
	if s := p.take("issued at", simIssuedAtLen); p.err == nil {
		secs := binary.BigEndian.Uint64(s)
		if secs > maxSimSeconds {
			p.fail("issued at", "%d seconds is after year 9999", secs)
		} else {
			q.IssuedAt = time.Unix(int64(secs), 0).UTC()
		}
	}
	q.PlatformKey = ed25519.PublicKey(bytes.Clone(p.take("platform key", ed25519.PublicKeySize)))
	q.Signature = bytes.Clone(p.take("signature", ed25519.SignatureSize))
	if p.err == nil && len(p.buf) != 0 {
		p.fail("end", "%d trailing bytes", len(p.buf))
	}
	if p.err != nil {
		return SimQuote{}, p.err
	}
	return q, nil
}

// simParser consumes fixed-size fields; the first error sticks and names the field.
type simParser struct {
	buf []byte
	err error
}

func (p *simParser) fail(field, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: sim: %s: %s", ErrMalformedQuote, field, fmt.Sprintf(format, args...))
	}
}

func (p *simParser) take(field string, n int) []byte {
	if p.err != nil {
		return nil
	}
	if len(p.buf) < n {
		p.fail(field, "truncated: need %d bytes, have %d", n, len(p.buf))
		return nil
	}
	b := p.buf[:n:n]
	p.buf = p.buf[n:]
	return b
}

// SimVerifier verifies sim quotes. Read the package documentation before
// trusting what it returns: a sim quote attests to no hardware.
type SimVerifier struct{}

var _ Verifier = SimVerifier{}

// Kind returns KindSim.
func (SimVerifier) Kind() string { return KindSim }

// Verify parses quote, checks the platform signature over the exact bytes
// carried (ErrQuoteSignature), and rejects quotes issued more than
// MaxFutureSkew after now (ErrQuoteFromFuture). The report always has
// ConfidenceLevel ConfidenceSimulated. Sim quotes need no collateral;
// collateral is ignored and may be nil.
func (SimVerifier) Verify(quote []byte, now time.Time, _ Collateral) (Report, error) {
	q, err := ParseSimQuote(quote)
	if err != nil {
		return Report{}, err
	}
	signed := protocol.SigningBytes(protocol.ContextSimQuote, "", quote[:simBodyLen])
	if !ed25519.Verify(q.PlatformKey, signed, q.Signature) {
		return Report{}, fmt.Errorf("%w: sim: platform key %x", ErrQuoteSignature, []byte(q.PlatformKey))
	}
	if q.IssuedAt.After(now.Add(MaxFutureSkew)) {
		return Report{}, fmt.Errorf("%w: sim: issued %s, verified at %s", ErrQuoteFromFuture,
			q.IssuedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return Report{
		Kind:            KindSim,
		Measurement:     bytes.Clone(q.Measurement[:]),
		ReportData:      q.ReportData,
		ConfidenceLevel: ConfidenceSimulated,
		IssuedAt:        q.IssuedAt,
	}, nil
}
