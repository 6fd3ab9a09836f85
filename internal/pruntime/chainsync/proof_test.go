package chainsync_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/store/rootmulti"
	"github.com/cometbft/cometbft/crypto/merkle"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// cloneOps deep-copies proof ops so a case can tamper with them.
func cloneOps(ops *chainsync.ProofOps) *chainsync.ProofOps {
	out := &chainsync.ProofOps{}
	for _, op := range ops.Ops {
		out.Ops = append(out.Ops, chainsync.ProofOp{Type: op.Type, Key: bytes.Clone(op.Key), Data: bytes.Clone(op.Data)})
	}
	return out
}

// editOps returns a copy of ops changed by edit.
func editOps(ops *chainsync.ProofOps, edit func(*chainsync.ProofOps)) *chainsync.ProofOps {
	c := cloneOps(ops)
	edit(c)
	return c
}

// editProof decodes op's commitment proof, changes it and re-encodes it.
func editProof(t testing.TB, op *chainsync.ProofOp, edit func(*ics23.CommitmentProof)) {
	t.Helper()
	var p ics23.CommitmentProof
	if err := p.Unmarshal(op.Data); err != nil {
		t.Fatal(err)
	}
	edit(&p)
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	op.Data = b
}

func TestVerifyIngressEntry(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	v1, v2 := st.appHash[1], st.appHash[2]
	e5, ops5 := st.prove(t, "mq", protocol.IngressKey(5), 1)
	e6, ops6 := st.prove(t, "mq", protocol.IngressKey(6), 1)
	_, absent := st.prove(t, "mq", protocol.IngressKey(200), 2)
	_, bankOps := st.prove(t, "bank", []byte("key/1"), 1)

	tampered := bytes.Clone(e5)
	tampered[len(tampered)-1] ^= 1

	cases := []struct {
		name    string
		appHash []byte
		index   uint64
		entry   []byte
		ops     *chainsync.ProofOps
		want    error // nil: success
		also    error
	}{
		{name: "entry 5", appHash: v1, index: 5, entry: e5, ops: ops5},
		{name: "entry 6", appHash: v1, index: 6, entry: e6, ops: ops6},
		{name: "tampered value", appHash: v1, index: 5, entry: tampered, ops: ops5, want: chainsync.ErrBadProof},
		{name: "value of another entry", appHash: v1, index: 5, entry: e6, ops: ops5, want: chainsync.ErrBadProof},
		{name: "proof for another key", appHash: v1, index: 6, entry: e6, ops: ops5, want: chainsync.ErrMalformedProof},
		{
			name: "proof for another key, op key rewritten", appHash: v1, index: 6, entry: e6,
			ops:  editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[0].Key = protocol.IngressKey(6) }),
			want: chainsync.ErrBadProof,
		},
		{
			name: "proof for another key, op and proof keys rewritten", appHash: v1, index: 6, entry: e6,
			ops: editOps(ops5, func(o *chainsync.ProofOps) {
				o.Ops[0].Key = protocol.IngressKey(6)
				editProof(t, &o.Ops[0], func(p *ics23.CommitmentProof) {
					p.GetExist().Key = protocol.IngressKey(6)
					p.GetExist().Value = e6
				})
			}),
			want: chainsync.ErrBadProof,
		},
		{name: "proof against another height's app hash", appHash: v2, index: 5, entry: e5, ops: ops5, want: chainsync.ErrBadProof},
		{name: "proof against a made-up app hash", appHash: hash32("app", 1), index: 5, entry: e5, ops: ops5, want: chainsync.ErrBadProof},
		{name: "short app hash", appHash: v1[:31], index: 5, entry: e5, ops: ops5, want: chainsync.ErrMalformedProof},
		{name: "missing key claimed present", appHash: v2, index: 200, entry: e5, ops: absent, want: chainsync.ErrMalformedProof},
		{name: "store proof of another store", appHash: v1, index: 5, entry: e5, ops: &chainsync.ProofOps{Ops: []chainsync.ProofOp{ops5.Ops[0], bankOps.Ops[1]}}, want: chainsync.ErrMalformedProof},
		{
			name: "store proof of another store, op key rewritten", appHash: v1, index: 5, entry: e5,
			ops:  &chainsync.ProofOps{Ops: []chainsync.ProofOp{ops5.Ops[0], {Type: chainsync.ProofOpSimple, Key: []byte("mq"), Data: bankOps.Ops[1].Data}}},
			want: chainsync.ErrBadProof,
		},
		{name: "no ops", appHash: v1, index: 5, entry: e5, ops: nil, want: chainsync.ErrMalformedProof},
		{name: "one op", appHash: v1, index: 5, entry: e5, ops: &chainsync.ProofOps{Ops: ops5.Ops[:1]}, want: chainsync.ErrMalformedProof},
		{
			name: "three ops", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops = append(o.Ops, o.Ops[1]) }),
		},
		{
			name: "ops swapped", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[0], o.Ops[1] = o.Ops[1], o.Ops[0] }),
		},
		{
			name: "smt op type", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[0].Type = "ics23:smt" }),
		},
		{
			name: "oversized key proof", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[0].Data = make([]byte, chainsync.MaxIAVLProofLen+1) }),
		},
		{
			name: "oversized store proof", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[1].Data = make([]byte, chainsync.MaxStoreProofLen+1) }),
		},
		{
			name: "unknown field in key proof", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) { o.Ops[0].Data = append(o.Ops[0].Data, 0x98, 0x06, 0x01) }),
		},
		{
			name: "batch proof", appHash: v1, index: 5, entry: e5, want: chainsync.ErrMalformedProof,
			ops: editOps(ops5, func(o *chainsync.ProofOps) {
				editProof(t, &o.Ops[0], func(p *ics23.CommitmentProof) {
					p.Proof = &ics23.CommitmentProof_Batch{Batch: &ics23.BatchProof{Entries: []*ics23.BatchEntry{
						{Proof: &ics23.BatchEntry_Exist{Exist: p.GetExist()}},
					}}}
				})
			}),
		},
		{name: "oversized entry", appHash: v1, index: 5, entry: make([]byte, chainsync.MaxIngressEntryLen+1), ops: ops5, want: chainsync.ErrMalformedProof},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, m, err := chainsync.VerifyIngressEntry(tc.appHash, tc.index, tc.entry, tc.ops)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyIngressEntry: %v", err)
				}
				want := testMessage(tc.index)
				if m.Seq != tc.index || m.Topic != want.Topic || !bytes.Equal(m.Payload, want.Payload) || e.Height != 1 {
					t.Fatalf("entry %d: height %d message %+v", tc.index, e.Height, m)
				}
				return
			}
			if !errors.Is(err, tc.want) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("VerifyIngressEntry error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyIngressEntryBadEntry covers entries the chain itself stored
// wrongly: the proof holds, the entry does not.
func TestVerifyIngressEntryBadEntry(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	cases := []struct {
		name    string
		index   uint64
		version int64
		also    error
	}{
		{name: "not an ingress entry", index: 150, version: 3, also: protocol.ErrMalformed},
		{name: "message sequence is not the index", index: 151, version: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entry, ops := st.prove(t, "mq", protocol.IngressKey(tc.index), tc.version)
			if err := chainsync.VerifyMembership(st.appHash[tc.version], "mq", protocol.IngressKey(tc.index), entry, ops); err != nil {
				t.Fatalf("the proof itself must verify: %v", err)
			}
			_, _, err := chainsync.VerifyIngressEntry(st.appHash[tc.version], tc.index, entry, ops)
			if !errors.Is(err, chainsync.ErrBadEntry) || errors.Is(err, chainsync.ErrBadProof) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("VerifyIngressEntry error %v, want ErrBadEntry", err)
			}
		})
	}
}

func TestVerifyNonMembership(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	v1, v2 := st.appHash[1], st.appHash[2]
	prove := func(key []byte, version int64) *chainsync.ProofOps {
		value, ops := st.prove(t, "mq", key, version)
		if value != nil {
			t.Fatalf("key %X is present at %d", key, version)
		}
		return ops
	}
	_, present := st.prove(t, "mq", protocol.IngressKey(5), 1)
	absent100 := prove(protocol.IngressKey(100), 1)
	cases := []struct {
		name    string
		appHash []byte
		key     []byte
		ops     *chainsync.ProofOps
		want    error
	}{
		{name: "next index", appHash: v1, key: protocol.IngressKey(100), ops: absent100},
		{name: "far index, right of every key", appHash: v2, key: protocol.IngressKey(1 << 40), ops: prove(protocol.IngressKey(1<<40), 2)},
		{name: "left of every key", appHash: v2, key: []byte{0x00, 0x01}, ops: prove([]byte{0x00, 0x01}, 2)},
		{name: "absence proven against a later app hash where the key exists", appHash: v2, key: protocol.IngressKey(100), ops: absent100, want: chainsync.ErrBadProof},
		{name: "present key claimed absent", appHash: v1, key: protocol.IngressKey(5), ops: present, want: chainsync.ErrMalformedProof},
		{name: "absence proof of another key", appHash: v1, key: protocol.IngressKey(5), ops: absent100, want: chainsync.ErrMalformedProof},
		{
			name: "absence proof of another key, keys rewritten", appHash: v1, key: protocol.IngressKey(5), want: chainsync.ErrBadProof,
			ops: editOps(absent100, func(o *chainsync.ProofOps) {
				o.Ops[0].Key = protocol.IngressKey(5)
				editProof(t, &o.Ops[0], func(p *ics23.CommitmentProof) { p.GetNonexist().Key = protocol.IngressKey(5) })
			}),
		},
		{
			name: "neighbour dropped", appHash: v1, key: protocol.IngressKey(100), want: chainsync.ErrBadProof,
			ops: editOps(absent100, func(o *chainsync.ProofOps) {
				editProof(t, &o.Ops[0], func(p *ics23.CommitmentProof) { p.GetNonexist().Right = nil })
			}),
		},
		{name: "wrong store name", appHash: v1, key: protocol.IngressKey(100), ops: absent100, want: chainsync.ErrMalformedProof},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := "mq"
			if tc.name == "wrong store name" {
				store = "bank"
			}
			err := chainsync.VerifyNonMembership(tc.appHash, store, tc.key, tc.ops)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyNonMembership: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyNonMembership error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestProofEveryByteMatters changes each byte of a real proof and of the
// value in turn: every change must be rejected.
func TestProofEveryByteMatters(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	entry, ops := st.prove(t, "mq", protocol.IngressKey(42), 1)
	_, absent := st.prove(t, "mq", protocol.IngressKey(100), 1)
	for opIdx := range ops.Ops {
		for i := range ops.Ops[opIdx].Data {
			for _, mask := range []byte{0x01, 0x80} {
				bad := cloneOps(ops)
				bad.Ops[opIdx].Data[i] ^= mask
				if _, _, err := chainsync.VerifyIngressEntry(st.appHash[1], 42, entry, bad); !errors.Is(err, chainsync.ErrBadProof) {
					t.Fatalf("op %d byte %d ^ %#x: %v", opIdx, i, mask, err)
				}
				badAbsent := cloneOps(absent)
				if i < len(badAbsent.Ops[opIdx].Data) {
					badAbsent.Ops[opIdx].Data[i] ^= mask
					if err := chainsync.VerifyNonMembership(st.appHash[1], "mq", protocol.IngressKey(100), badAbsent); !errors.Is(err, chainsync.ErrBadProof) {
						t.Fatalf("absence op %d byte %d ^ %#x: %v", opIdx, i, mask, err)
					}
				}
			}
		}
	}
	for i := range entry {
		bad := bytes.Clone(entry)
		bad[i] ^= 1
		if _, _, err := chainsync.VerifyIngressEntry(st.appHash[1], 42, bad, ops); !errors.Is(err, chainsync.ErrBadProof) {
			t.Fatalf("entry byte %d: %v", i, err)
		}
	}
}

// TestProofsAgreeWithSDK checks that the SDK's own proof runtime accepts
// the proofs chainsync accepts, for every entry of the shared store.
func TestProofsAgreeWithSDK(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	prt := rootmulti.DefaultProofRuntime()
	for i := range uint64(150) {
		version := int64(1)
		if i >= 100 {
			version = 2
		}
		key := protocol.IngressKey(i)
		entry, ops := st.prove(t, "mq", key, version)
		if _, _, err := chainsync.VerifyIngressEntry(st.appHash[version], i, entry, ops); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		path := merkle.KeyPath{}.AppendKey([]byte("mq"), merkle.KeyEncodingURL).AppendKey(key, merkle.KeyEncodingHex)
		if err := prt.VerifyValue(cmtOps(ops), st.appHash[version], path.String(), entry); err != nil {
			t.Fatalf("SDK rejects entry %d: %v", i, err)
		}
	}
}

// TestEndToEnd follows a chain whose headers commit to the test store's app
// hashes and proves ingress entries against the verified header only.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	st := newTestStore(t)
	vals := newValSet("e2e", 4)
	opts := chainsync.DefaultOptions()
	// State after version v is committed to by header v+1.
	header := func(h int64) chainsync.HeaderUpdate {
		return hdr{height: h, time: timeAt(h), vals: vals, appHash: st.appHash[h-1]}.build()
	}
	st.appHash[0] = hash32("genesis app", 0)
	s, err := chainsync.Init(testChainID, protocol.TrustRoot{Hash: vals.set.Hash()}, header(1), opts)
	if err != nil {
		t.Fatal(err)
	}
	var next uint64
	for range 3 {
		version := st.appendEntries(t, 10)
		for range 5 { // empty blocks: the enclave skips them
			st.commit()
		}
		if s, err = s.Verify(header(st.ms.LastCommitID().Version+1), opts); err != nil {
			t.Fatal(err)
		}
		queryAt := s.Height() - 1
		for ; next < st.next; next++ {
			entry, ops := st.prove(t, "mq", protocol.IngressKey(next), queryAt)
			e, m, err := chainsync.VerifyIngressEntry(s.AppHash(), next, entry, ops)
			if err != nil {
				t.Fatalf("entry %d at height %d: %v", next, s.Height(), err)
			}
			if m.Seq != next || e.Height != uint64(version) {
				t.Fatalf("entry %d: seq %d height %d, want height %d", next, m.Seq, e.Height, version)
			}
		}
		_, ops := st.prove(t, "mq", protocol.IngressKey(next), queryAt)
		if err := chainsync.VerifyNonMembership(s.AppHash(), "mq", protocol.IngressKey(next), ops); err != nil {
			t.Fatalf("absence of entry %d: %v", next, err)
		}
	}
	if next != 30 {
		t.Fatalf("proved %d entries, want 30", next)
	}
}
