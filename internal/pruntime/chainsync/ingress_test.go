package chainsync_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// rawRange returns copies of the shared store's entries [start, end).
func rawRange(s *testStore, start, end uint64) [][]byte {
	var out [][]byte
	for i := start; i < end; i++ {
		out = append(out, slices.Clone(s.entries[i]))
	}
	return out
}

func TestVerifyIngressRange(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	// Another chain: the same log, other state beside it, so its own app
	// hashes.
	other := newTestStore(t)
	other.ms.GetKVStore(other.keys["bank"]).Set([]byte("another chain"), []byte{1})
	other.appendEntries(t, 100)

	type rangeCase struct {
		name    string
		version int64 // app hash of the state after this version
		start   uint64
		end     uint64
		base    protocol.IngressHead
		entries [][]byte
		// proof of the head at proofAt, from store proofStore at version proofVersion
		proofAt      uint64
		proofStore   *testStore
		proofVersion int64
		want         error
	}
	valid := func(name string, version int64, start, end uint64) rangeCase {
		return rangeCase{name: name, version: version, start: start, end: end, base: st.heads[start],
			entries: rawRange(st, start, end), proofAt: end, proofStore: st, proofVersion: version}
	}
	with := func(c rangeCase, name string, want error, mutate func(*rangeCase)) rangeCase {
		c.name, c.want = name, want
		c.entries = slices.Clone(c.entries)
		mutate(&c)
		return c
	}
	base := valid("", 1, 40, 100)
	tests := []rangeCase{
		valid("whole log from the seed", 1, 0, 100),
		valid("from a held head", 1, 40, 100),
		valid("one entry", 1, 99, 100),
		valid("part of the log, head below next", 2, 0, 120),
		valid("the next version's entries", 2, 100, 150),
		with(base, "extra entry after the range", chainsync.ErrIngressExtra, func(c *rangeCase) {
			c.entries = append(c.entries, slices.Clone(st.entries[100]))
		}),
		with(base, "extra entry inside the range", chainsync.ErrIngressExtra, func(c *rangeCase) {
			c.entries = slices.Insert(c.entries, 10, slices.Clone(st.entries[50]))
		}),
		with(base, "entry missing", chainsync.ErrIngressMissing, func(c *rangeCase) {
			c.entries = slices.Delete(c.entries, 10, 11)
		}),
		with(base, "entry missing, head claimed one lower", chainsync.ErrIngressMissing, func(c *rangeCase) {
			c.entries = slices.Delete(c.entries, 10, 11)
			c.end, c.proofAt = 99, 99
		}),
		with(base, "entry replaced by a duplicate", chainsync.ErrIngressMissing, func(c *rangeCase) {
			c.entries[11] = slices.Clone(c.entries[10])
		}),
		with(base, "two entries swapped", chainsync.ErrIngressReordered, func(c *rangeCase) {
			c.entries[10], c.entries[11] = c.entries[11], c.entries[10]
		}),
		with(base, "range reversed", chainsync.ErrIngressReordered, func(c *rangeCase) {
			slices.Reverse(c.entries)
		}),
		with(base, "payload byte flipped", chainsync.ErrIngressTampered, func(c *rangeCase) {
			c.entries[20][len(c.entries[20])-1] ^= 1
		}),
		with(base, "height changed", chainsync.ErrIngressTampered, func(c *rangeCase) {
			c.entries[0][7]++
		}),
		with(base, "entry no longer decodes", chainsync.ErrIngressTampered, func(c *rangeCase) {
			c.entries[5] = append(c.entries[5], 0)
		}),
		with(base, "held head is not the chain's", chainsync.ErrIngressTampered, func(c *rangeCase) {
			c.base = st.heads[41]
		}),
		with(base, "head from another height", chainsync.ErrBadProof, func(c *rangeCase) {
			c.proofVersion = 2 // the head at 100 holds the same value at version 2, proven under another root
		}),
		with(base, "head proof of another chain", chainsync.ErrBadProof, func(c *rangeCase) {
			c.proofStore, c.proofVersion = other, 1
		}),
		with(base, "head proof of another index", chainsync.ErrMalformedProof, func(c *rangeCase) {
			c.proofAt = 99
		}),
		with(base, "head beyond the log", chainsync.ErrBadProof, func(c *rangeCase) {
			c.entries = rawRange(st, 40, 101)
			c.end, c.proofAt = 101, 101 // at version 1 the log ends at 100
		}),
		with(base, "empty range", chainsync.ErrMalformedIngress, func(c *rangeCase) {
			c.entries, c.end = nil, 40
		}),
		{name: "chain stored a malformed entry", version: 3, start: 150, end: 151, base: st.heads[150],
			entries: rawRange(st, 150, 151), proofAt: 151, proofStore: st, proofVersion: 3, want: chainsync.ErrBadEntry},
		{name: "chain stored the wrong seq", version: 4, start: 151, end: 152, base: st.heads[151],
			entries: rawRange(st, 151, 152), proofAt: 152, proofStore: st, proofVersion: 4, want: chainsync.ErrBadEntry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			value, ops := provenHead(t, tc.proofStore, tc.proofAt, tc.proofVersion)
			msgs, head, err := chainsync.VerifyIngressRange(st.appHash[tc.version], tc.start, tc.base, tc.entries, tc.end, value, ops)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if head != st.heads[tc.end] {
				t.Errorf("head = %x, want %x", head, st.heads[tc.end])
			}
			if uint64(len(msgs)) != tc.end-tc.start {
				t.Fatalf("%d messages, want %d", len(msgs), tc.end-tc.start)
			}
			for i, m := range msgs {
				want := testMessage(tc.start + uint64(i))
				if m.Seq != want.Seq || m.Topic != want.Topic || !bytes.Equal(m.Payload, want.Payload) {
					t.Errorf("message %d = %+v, want %+v", i, m, want)
				}
			}
		})
	}
}

// provenHead proves the head at n in s's store "mq" at version, without
// requiring it to exist (a proof of absence then, which VerifyMembership
// must refuse).
func provenHead(t *testing.T, s *testStore, n uint64, version int64) ([]byte, *chainsync.ProofOps) {
	t.Helper()
	value, ops := s.prove(t, "mq", protocol.IngressHeadKey(n), version)
	if value == nil {
		value = make([]byte, protocol.IngressHeadLen)
	}
	return value, ops
}

func TestVerifyIngressHead(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	value, ops := provenHead(t, st, 40, 1)
	h, err := chainsync.VerifyIngressHead(st.appHash[1], 40, value, ops)
	if err != nil || h != st.heads[40] {
		t.Fatalf("VerifyIngressHead = %x, %v; want %x", h, err, st.heads[40])
	}
	if _, err := chainsync.VerifyIngressHead(st.appHash[1], 40, value[:31], ops); !errors.Is(err, chainsync.ErrMalformedProof) {
		t.Errorf("31-byte head: %v, want ErrMalformedProof", err)
	}
	other := slices.Clone(value)
	other[0] ^= 1
	if _, err := chainsync.VerifyIngressHead(st.appHash[1], 40, other, ops); !errors.Is(err, chainsync.ErrBadProof) {
		t.Errorf("another head: %v, want ErrBadProof", err)
	}
	seed := protocol.IngressHeadSeed()
	if h, err := chainsync.VerifyIngressHead(st.appHash[1], 0, seed[:], mustProveOps(t, st, 0, 1)); err != nil || h != seed {
		t.Errorf("head at 0 = %x, %v; want the seed", h, err)
	}
}

func mustProveOps(t *testing.T, s *testStore, n uint64, version int64) *chainsync.ProofOps {
	t.Helper()
	_, ops := s.prove(t, "mq", protocol.IngressHeadKey(n), version)
	return ops
}

func TestDecodeIngressEntries(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	entries := rawRange(st, 0, 5)
	bulk := chainsync.EncodeIngressEntries(entries)
	got, err := chainsync.DecodeIngressEntries(bulk)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, entries, bytes.Equal) {
		t.Fatalf("round trip: %x, want %x", got, entries)
	}
	if got, err := chainsync.DecodeIngressEntries(nil); err != nil || len(got) != 0 {
		t.Errorf("empty bulk: %d entries, %v", len(got), err)
	}
	tooMany := make([][]byte, chainsync.MaxIngressEntries+1)
	for i := range tooMany {
		tooMany[i] = make([]byte, 8)
	}
	tooLong := make([]byte, chainsync.MaxIngressEntryLen+1)
	tests := []struct {
		name string
		b    []byte
	}{
		{"truncated entry", bulk[:len(bulk)-1]},
		{"truncated length", append(slices.Clone(bulk), 0, 0)},
		{"entry shorter than a height", chainsync.EncodeIngressEntries([][]byte{make([]byte, 7)})},
		{"entry over the bound", chainsync.EncodeIngressEntries([][]byte{tooLong})},
		{"length past the end", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"too many entries", chainsync.EncodeIngressEntries(tooMany)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := chainsync.DecodeIngressEntries(tc.b); !errors.Is(err, chainsync.ErrMalformedIngress) {
				t.Fatalf("err = %v, want ErrMalformedIngress", err)
			}
		})
	}
}
