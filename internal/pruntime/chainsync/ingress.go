package chainsync

import (
	"encoding/binary"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// MaxIngressEntries bounds the entries of one bulk (DecodeIngressEntries).
const MaxIngressEntries = 10_000

// ingressFrameLen is the length prefix of each entry in a bulk.
const ingressFrameLen = 4

// EncodeIngressEntries frames raw ingress values (each the exact bytes the
// chain stores at protocol.IngressKey) for DecodeIngressEntries: for each
// entry, its length as a u32 big-endian, then its bytes.
func EncodeIngressEntries(entries [][]byte) []byte {
	n := 0
	for _, e := range entries {
		n += ingressFrameLen + len(e)
	}
	b := make([]byte, 0, n)
	for _, e := range entries {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

// DecodeIngressEntries parses what EncodeIngressEntries produces. Each entry
// is 8 to MaxIngressEntryLen bytes (a u64 height and a message), at most
// MaxIngressEntries of them, and nothing may follow the last. The entries
// alias b. Errors match ErrMalformedIngress.
func DecodeIngressEntries(b []byte) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(b); {
		if len(out) == MaxIngressEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrMalformedIngress, MaxIngressEntries)
		}
		if len(b)-off < ingressFrameLen {
			return nil, fmt.Errorf("%w: entry %d: %d bytes left, want a %d-byte length", ErrMalformedIngress, len(out), len(b)-off, ingressFrameLen)
		}
		n := binary.BigEndian.Uint32(b[off:])
		off += ingressFrameLen
		switch {
		case n < 8 || n > MaxIngressEntryLen:
			return nil, fmt.Errorf("%w: entry %d is %d bytes, want 8-%d", ErrMalformedIngress, len(out), n, MaxIngressEntryLen)
		case uint64(n) > uint64(len(b)-off):
			return nil, fmt.Errorf("%w: entry %d is %d bytes, %d left", ErrMalformedIngress, len(out), n, len(b)-off)
		}
		out = append(out, b[off:off+int(n):off+int(n)])
		off += int(n)
	}
	return out, nil
}

// VerifyIngressHead checks that value is the ingress head at n (key
// protocol.IngressHeadKey(n) in store protocol.MQStoreName) under appHash,
// and returns it.
func VerifyIngressHead(appHash []byte, n uint64, value []byte, ops *ProofOps) (protocol.IngressHead, error) {
	head, err := protocol.ParseIngressHead(value)
	if err != nil {
		return protocol.IngressHead{}, fmt.Errorf("%w: %w", ErrMalformedProof, err)
	}
	if err := VerifyMembership(appHash, protocol.MQStoreName, protocol.IngressHeadKey(n), value, ops); err != nil {
		return protocol.IngressHead{}, err
	}
	return head, nil
}

// VerifyIngressRange checks that entries are exactly the ingress log
// entries [start, end) under appHash, given base, the head at start that
// the caller already holds (verified earlier, or the seed), and headValue
// with ops, the proof of the head at end. It recomputes the hash chain from
// base over the raw entries and accepts them only if it reaches the proven
// head; then it decodes each strictly and checks that the message at index
// i has Seq i. It returns the messages (aliasing entries) and the head at
// end, which the caller keeps for the next range.
//
// One proof covers the whole range, whatever its length: the cost is one
// ICS23 verification plus one SHA-256 block or two per entry. A range that
// fails says why, as far as the entries' own sequence numbers tell:
// ErrIngressExtra or ErrIngressMissing when their count is not end-start,
// ErrIngressReordered when they are the right indexes in another order,
// ErrIngressMissing when an index is absent, ErrIngressTampered otherwise.
// An entry that hashes to the proven head but does not decode, or carries
// the wrong Seq, is ErrBadEntry: the chain stored it.
func VerifyIngressRange(appHash []byte, start uint64, base protocol.IngressHead, entries [][]byte, end uint64, headValue []byte, ops *ProofOps) ([]protocol.Message, protocol.IngressHead, error) {
	switch {
	case end <= start:
		return nil, protocol.IngressHead{}, fmt.Errorf("%w: range [%d, %d) is empty", ErrMalformedIngress, start, end)
	case uint64(len(entries)) > end-start:
		return nil, protocol.IngressHead{}, fmt.Errorf("%w: %d entries from %d, the head at %d covers %d", ErrIngressExtra, len(entries), start, end, end-start)
	case uint64(len(entries)) < end-start:
		return nil, protocol.IngressHead{}, fmt.Errorf("%w: %d entries from %d, the head at %d covers %d", ErrIngressMissing, len(entries), start, end, end-start)
	}
	head, err := VerifyIngressHead(appHash, end, headValue, ops)
	if err != nil {
		return nil, protocol.IngressHead{}, fmt.Errorf("ingress head at %d: %w", end, err)
	}
	var c protocol.IngressHeadChain
	c.Reset(base)
	for _, e := range entries {
		c.Add(e)
	}
	if c.Head() != head {
		return nil, protocol.IngressHead{}, classifyMismatch(start, entries)
	}
	msgs := make([]protocol.Message, len(entries))
	for i, e := range entries {
		index := start + uint64(i)
		_, m, err := protocol.DecodeIngressEntry(e)
		if err != nil {
			return nil, protocol.IngressHead{}, fmt.Errorf("%w: index %d: %w", ErrBadEntry, index, err)
		}
		if m.Seq != index {
			return nil, protocol.IngressHead{}, fmt.Errorf("%w: index %d holds message with seq %d", ErrBadEntry, index, m.Seq)
		}
		msgs[i] = m
	}
	return msgs, head, nil
}

// classifyMismatch names what is wrong with entries [start, start+n) that
// do not hash to the proven head, from the sequence numbers they carry. It
// runs only on a failed range, so its cost is the attacker's bounded input.
func classifyMismatch(start uint64, entries [][]byte) error {
	n := uint64(len(entries))
	seen := make([]bool, n)
	inOrder := true
	for i, e := range entries {
		_, m, err := protocol.DecodeIngressEntry(e)
		switch {
		case err != nil:
			return fmt.Errorf("%w: position %d does not decode: %w", ErrIngressTampered, i, err)
		case m.Seq < start || m.Seq-start >= n || seen[m.Seq-start]:
			// Not one of the range's indexes, or one given twice: with
			// the count right, some index is absent.
			return fmt.Errorf("%w: position %d carries seq %d, not an index of [%d, %d) given once", ErrIngressMissing, i, m.Seq, start, start+n)
		}
		seen[m.Seq-start] = true
		inOrder = inOrder && m.Seq == start+uint64(i)
	}
	if !inOrder {
		return fmt.Errorf("%w: entries %d to %d", ErrIngressReordered, start, start+n-1)
	}
	return fmt.Errorf("%w: entries %d to %d", ErrIngressTampered, start, start+n-1)
}
