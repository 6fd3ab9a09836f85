package tokenomics

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Output is what the gatekeepers report for one block: the quorum message
// payload. Every list is in strictly increasing worker-key order, so equal
// outputs have equal encodings on every machine.
type Output struct {
	Height uint64
	// Offline lists workers that became unresponsive in this block.
	Offline []Ref
	// Recovered lists unresponsive workers that answered a live challenge.
	Recovered []Ref
	// Settlements lists heartbeats settled in this block (and sessions
	// stopped, with zero payout): the worker's V after the settlement, the
	// payout to pay it and the treasury's part.
	Settlements []Settlement
}

// Ref names a worker's session.
type Ref struct {
	Worker  WorkerKey
	Session uint64
}

// Settlement is one worker's settlement. The chain pays Payout and Treasury
// from the budget and records V; it must ignore a settlement whose Session is
// not the worker's current one.
type Settlement struct {
	Worker           WorkerKey
	Session          uint64
	V                Fixed
	Payout, Treasury Fixed
}

// Empty reports whether there is nothing to report: no quorum message is
// sent for such a block.
func (o Output) Empty() bool {
	return len(o.Offline) == 0 && len(o.Recovered) == 0 && len(o.Settlements) == 0
}

// Split cuts o into parts whose encodings are at most maxBytes each, for
// outputs too large for one quorum message: every part has o's height and a
// run of o's entries, offline first, then recovered, then settlements, in
// order, so that the parts together hold exactly o's entries and every
// gatekeeper cuts the same way. An empty o gives no part. maxBytes must
// leave room for the header and one settlement; Split panics otherwise.
func (o Output) Split(maxBytes int) []Output {
	const head = outputHeadLen + 3*4
	if maxBytes < head+settlementLen {
		panic(fmt.Sprintf("tokenomics: Output.Split: %d bytes cannot hold one entry", maxBytes))
	}
	if o.Empty() {
		return nil
	}
	var parts []Output
	cur, size := Output{Height: o.Height}, head
	fit := func(n int) {
		if size+n > maxBytes {
			parts = append(parts, cur)
			cur, size = Output{Height: o.Height}, head
		}
		size += n
	}
	for _, r := range o.Offline {
		fit(refLen)
		cur.Offline = append(cur.Offline, r)
	}
	for _, r := range o.Recovered {
		fit(refLen)
		cur.Recovered = append(cur.Recovered, r)
	}
	for _, s := range o.Settlements {
		fit(settlementLen)
		cur.Settlements = append(cur.Settlements, s)
	}
	return append(parts, cur)
}

const (
	outputVersion byte = 1
	refLen             = 32 + 8
	settlementLen      = 32 + 8 + 3*FixedLen
	outputHeadLen      = 1 + 8
	// MaxOutputEntries bounds each list of a decoded Output.
	MaxOutputEntries = 1 << 20
)

// Encode returns the canonical encoding:
//
//	version (1 byte, = 1) · height (u64)
//	· n (u32) · n × (worker (32) · session (u64))                 offline
//	· n (u32) · n × (worker (32) · session (u64))                 recovered
//	· n (u32) · n × (worker (32) · session (u64) · V · payout · treasury)  settlements
//
// integers big-endian, Fixed as 16 bytes big-endian (its U64F64 bits).
func (o Output) Encode() []byte {
	b := make([]byte, 0, outputHeadLen+12+refLen*(len(o.Offline)+len(o.Recovered))+settlementLen*len(o.Settlements))
	b = append(b, outputVersion)
	b = binary.BigEndian.AppendUint64(b, o.Height)
	for _, l := range [][]Ref{o.Offline, o.Recovered} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		for _, r := range l {
			b = append(b, r.Worker[:]...)
			b = binary.BigEndian.AppendUint64(b, r.Session)
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(o.Settlements)))
	for _, s := range o.Settlements {
		b = append(b, s.Worker[:]...)
		b = binary.BigEndian.AppendUint64(b, s.Session)
		b = appendFixed(b, s.V)
		b = appendFixed(b, s.Payout)
		b = appendFixed(b, s.Treasury)
	}
	return b
}

// DecodeOutput decodes the canonical encoding strictly: known version, each
// list at most MaxOutputEntries long and in strictly increasing key order,
// no trailing bytes. Every error wraps ErrMalformed. Decode(Encode(o))
// gives back o (with nil for empty lists).
func DecodeOutput(b []byte) (Output, error) {
	var o Output
	if len(b) < outputHeadLen {
		return o, fmt.Errorf("%w: output: %d bytes", ErrMalformed, len(b))
	}
	if b[0] != outputVersion {
		return o, fmt.Errorf("%w: output: version %d, want %d", ErrMalformed, b[0], outputVersion)
	}
	o.Height = binary.BigEndian.Uint64(b[1:])
	b = b[outputHeadLen:]
	count := func(what string, size int) (int, error) {
		if len(b) < 4 {
			return 0, fmt.Errorf("%w: output: %s count truncated", ErrMalformed, what)
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if n > MaxOutputEntries || uint64(n)*uint64(size) > uint64(len(b)) {
			return 0, fmt.Errorf("%w: output: %d %s entries in %d bytes", ErrMalformed, n, what, len(b))
		}
		return int(n), nil
	}
	refs := func(what string) ([]Ref, error) {
		n, err := count(what, refLen)
		if err != nil || n == 0 {
			return nil, err
		}
		l := make([]Ref, n)
		for i := range l {
			copy(l[i].Worker[:], b)
			l[i].Session = binary.BigEndian.Uint64(b[32:])
			b = b[refLen:]
			if i > 0 && bytes.Compare(l[i-1].Worker[:], l[i].Worker[:]) >= 0 {
				return nil, fmt.Errorf("%w: output: %s entry %d out of order", ErrMalformed, what, i)
			}
		}
		return l, nil
	}
	var err error
	if o.Offline, err = refs("offline"); err != nil {
		return Output{}, err
	}
	if o.Recovered, err = refs("recovered"); err != nil {
		return Output{}, err
	}
	n, err := count("settlement", settlementLen)
	if err != nil {
		return Output{}, err
	}
	if n > 0 {
		o.Settlements = make([]Settlement, n)
		for i := range o.Settlements {
			s := &o.Settlements[i]
			copy(s.Worker[:], b)
			s.Session = binary.BigEndian.Uint64(b[32:])
			s.V = fixedFrom(b[40:])
			s.Payout = fixedFrom(b[56:])
			s.Treasury = fixedFrom(b[72:])
			b = b[settlementLen:]
			if i > 0 && bytes.Compare(o.Settlements[i-1].Worker[:], s.Worker[:]) >= 0 {
				return Output{}, fmt.Errorf("%w: output: settlement entry %d out of order", ErrMalformed, i)
			}
		}
	}
	if len(b) != 0 {
		return Output{}, fmt.Errorf("%w: output: %d trailing bytes", ErrMalformed, len(b))
	}
	return o, nil
}
