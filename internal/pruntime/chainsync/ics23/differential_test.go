package ics23_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	cics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// provenClaim is a claim with the proof the store gave for it.
type provenClaim struct {
	name  string
	claim claim
	proof []byte
}

// realClaims are true claims with real proofs: keys present and absent in
// store "mq" (between keys, before the first, after the last), and every
// store's root in the multistore.
func realClaims(t testing.TB) []provenClaim {
	t.Helper()
	f := sharedFixture()
	var out []provenClaim
	for _, i := range []int{0, 1, 77, 128, mqKeys - 1} {
		q := f.query(t, "mq", mqKey(i))
		out = append(out, provenClaim{
			name:  fmt.Sprintf("mq key %d", i),
			claim: claim{spec: ics23.IAVL, exist: true, root: f.roots["mq"], key: mqKey(i), value: q.value},
			proof: q.keyProof,
		})
	}
	for _, key := range [][]byte{
		append(mqKey(0), 0), append(mqKey(77), 0x80), append(mqKey(127), 0xff), // between keys
		{0x00}, {0x01}, // before the first
		append(mqKey(mqKeys-1), 0), {0x02}, // after the last
	} {
		q := f.query(t, "mq", key)
		if q.value != nil {
			t.Fatalf("key %X is present", key)
		}
		out = append(out, provenClaim{
			name:  fmt.Sprintf("mq absent %X", key),
			claim: claim{spec: ics23.IAVL, root: f.roots["mq"], key: key},
			proof: q.keyProof,
		})
	}
	for _, name := range storeNames {
		q := f.query(t, name, []byte("k/"+name))
		out = append(out, provenClaim{
			name:  "store " + name,
			claim: claim{spec: ics23.Tendermint, exist: true, root: f.appHash, key: []byte(name), value: f.roots[name]},
			proof: q.storeProof,
		})
	}
	return out
}

func TestRealProofsVerify(t *testing.T) {
	t.Parallel()
	for _, pc := range realClaims(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			if !compare(t, "real proof", pc.claim, pc.proof) {
				t.Fatal("a real proof does not verify")
			}
		})
	}
}

// TestEveryByteFlipAgrees flips four bits of every byte of every real proof
// in turn: this package and ics23 give the same verdict on each, and the
// only flips that still verify are those in the key a non-existence proof
// names, which neither checks (chainsync does).
func TestEveryByteFlipAgrees(t *testing.T) {
	t.Parallel()
	for _, pc := range realClaims(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			for i := range pc.proof {
				for _, mask := range []byte{0x01, 0x02, 0x40, 0x80} {
					b := bytes.Clone(pc.proof)
					b[i] ^= mask
					if compare(t, fmt.Sprintf("byte %d ^ %#x", i, mask), pc.claim, b) && !onlyNonexistKey(t, pc.proof, b) {
						t.Fatalf("byte %d ^ %#x still verifies", i, mask)
					}
				}
			}
		})
	}
}

// mutation changes a decoded proof; it returns false if it does not apply.
type mutation struct {
	name string
	edit func(p *cics23.CommitmentProof) bool
}

// existMutations change an existence proof reached through get.
func existMutations(prefix string, get func(*cics23.CommitmentProof) *cics23.ExistenceProof) []mutation {
	ep := func(edit func(*cics23.ExistenceProof) bool) func(*cics23.CommitmentProof) bool {
		return func(p *cics23.CommitmentProof) bool {
			e := get(p)
			return e != nil && edit(e)
		}
	}
	ms := []mutation{
		{"key dropped", ep(func(e *cics23.ExistenceProof) bool { e.Key = nil; return true })},
		{"key extended", ep(func(e *cics23.ExistenceProof) bool { e.Key = append(e.Key, 0); return true })},
		{"value dropped", ep(func(e *cics23.ExistenceProof) bool { e.Value = nil; return true })},
		{"value changed", ep(func(e *cics23.ExistenceProof) bool { e.Value = append(e.Value, 'x'); return true })},
		{"leaf dropped", ep(func(e *cics23.ExistenceProof) bool { e.Leaf = nil; return true })},
		{"leaf emptied", ep(func(e *cics23.ExistenceProof) bool { e.Leaf = &cics23.LeafOp{}; return true })},
		{"path dropped", ep(func(e *cics23.ExistenceProof) bool { e.Path = nil; return true })},
		{"path reversed", ep(func(e *cics23.ExistenceProof) bool { slices.Reverse(e.Path); return len(e.Path) > 1 })},
		{"path over 128", ep(func(e *cics23.ExistenceProof) bool {
			for len(e.Path) <= 128 {
				e.Path = append(e.Path, e.Path[len(e.Path)-1])
			}
			return true
		})},
	}
	for _, h := range []cics23.HashOp{cics23.HashOp_NO_HASH, cics23.HashOp_SHA256, cics23.HashOp_SHA512, cics23.HashOp_BLAKE2B_512, -1} {
		ms = append(ms,
			mutation{fmt.Sprintf("leaf hash %d", h), ep(func(e *cics23.ExistenceProof) bool { e.Leaf.Hash = h; return true })},
			mutation{fmt.Sprintf("leaf prehash key %d", h), ep(func(e *cics23.ExistenceProof) bool { e.Leaf.PrehashKey = h; return true })},
			mutation{fmt.Sprintf("leaf prehash value %d", h), ep(func(e *cics23.ExistenceProof) bool { e.Leaf.PrehashValue = h; return true })},
			mutation{fmt.Sprintf("all inner hashes %d", h), ep(func(e *cics23.ExistenceProof) bool {
				for _, op := range e.Path {
					op.Hash = h
				}
				return true
			})},
		)
	}
	for _, l := range []cics23.LengthOp{cics23.LengthOp_NO_PREFIX, cics23.LengthOp_FIXED32_BIG, cics23.LengthOp_REQUIRE_32_BYTES} {
		ms = append(ms, mutation{fmt.Sprintf("leaf length %d", l), ep(func(e *cics23.ExistenceProof) bool { e.Leaf.Length = l; return true })})
	}
	for _, pre := range []struct {
		name string
		f    func([]byte) []byte
	}{
		{"emptied", func([]byte) []byte { return nil }},
		{"extended", func(b []byte) []byte { return append(b, 0) }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"first byte 1", func(b []byte) []byte { return append([]byte{1}, b[1:]...) }},
		{"first byte 0", func(b []byte) []byte { return append([]byte{0}, b[1:]...) }},
		{"negative height", func(b []byte) []byte { return append([]byte{1}, b[1:]...) }},
		{"overlong header varint", func(b []byte) []byte { return append([]byte{b[0] | 0x80, 0}, b[1:]...) }},
	} {
		ms = append(ms, mutation{"leaf prefix " + pre.name, ep(func(e *cics23.ExistenceProof) bool {
			if len(e.Leaf.GetPrefix()) == 0 {
				return false
			}
			e.Leaf.Prefix = pre.f(e.Leaf.Prefix)
			return true
		})})
		for i := range 16 {
			ms = append(ms,
				mutation{fmt.Sprintf("inner %d prefix %s", i, pre.name), ep(func(e *cics23.ExistenceProof) bool {
					if i >= len(e.Path) || len(e.Path[i].Prefix) == 0 {
						return false
					}
					e.Path[i].Prefix = pre.f(e.Path[i].Prefix)
					return true
				})},
				mutation{fmt.Sprintf("inner %d suffix %s", i, pre.name), ep(func(e *cics23.ExistenceProof) bool {
					if i >= len(e.Path) || len(e.Path[i].Suffix) == 0 {
						return false
					}
					e.Path[i].Suffix = pre.f(e.Path[i].Suffix)
					return true
				})},
			)
		}
	}
	for i := range 16 {
		ms = append(ms,
			mutation{fmt.Sprintf("inner %d dropped", i), ep(func(e *cics23.ExistenceProof) bool {
				if i >= len(e.Path) {
					return false
				}
				e.Path = slices.Delete(e.Path, i, i+1)
				return true
			})},
			mutation{fmt.Sprintf("inner %d duplicated", i), ep(func(e *cics23.ExistenceProof) bool {
				if i >= len(e.Path) {
					return false
				}
				e.Path = slices.Insert(e.Path, i, e.Path[i])
				return true
			})},
			mutation{fmt.Sprintf("inner %d swapped with next", i), ep(func(e *cics23.ExistenceProof) bool {
				if i+1 >= len(e.Path) {
					return false
				}
				e.Path[i], e.Path[i+1] = e.Path[i+1], e.Path[i]
				return true
			})},
			mutation{fmt.Sprintf("inner %d sibling moved to the other side", i), ep(func(e *cics23.ExistenceProof) bool {
				// Keeps the IAVL framing: header || len || [sibling] || len.
				if i >= len(e.Path) {
					return false
				}
				op := e.Path[i]
				switch {
				case len(op.Suffix) == 33:
					op.Prefix = append(append(bytes.Clone(op.Prefix), op.Suffix[1:]...), 0x20)
					op.Suffix = nil
				case len(op.Suffix) == 32: // tendermint: 0x01 || left || right
					op.Prefix = append(bytes.Clone(op.Prefix), op.Suffix...)
					op.Suffix = nil
				case len(op.Prefix) > 33:
					op.Suffix = append([]byte{0x20}, op.Prefix[len(op.Prefix)-33:len(op.Prefix)-1]...)
					op.Prefix = op.Prefix[:len(op.Prefix)-33]
				default:
					return false
				}
				return true
			})},
		)
	}
	for i := range ms {
		ms[i].name = prefix + ms[i].name
	}
	return ms
}

// nonexistMutations change a non-existence proof as a whole.
func nonexistMutations(other *cics23.CommitmentProof) []mutation {
	np := func(edit func(*cics23.NonExistenceProof) bool) func(*cics23.CommitmentProof) bool {
		return func(p *cics23.CommitmentProof) bool {
			n := p.GetNonexist()
			return n != nil && edit(n)
		}
	}
	ms := []mutation{
		{"neighbours swapped", np(func(n *cics23.NonExistenceProof) bool { n.Left, n.Right = n.Right, n.Left; return true })},
		{"left dropped", np(func(n *cics23.NonExistenceProof) bool { n.Left = nil; return true })},
		{"right dropped", np(func(n *cics23.NonExistenceProof) bool { n.Right = nil; return true })},
		{"both dropped", np(func(n *cics23.NonExistenceProof) bool { n.Left, n.Right = nil, nil; return true })},
		{"left as right", np(func(n *cics23.NonExistenceProof) bool { n.Right = n.Left; return n.Left != nil })},
		{"right as left", np(func(n *cics23.NonExistenceProof) bool { n.Left = n.Right; return n.Right != nil })},
		{"key dropped", np(func(n *cics23.NonExistenceProof) bool { n.Key = nil; return true })},
		{"as existence proof", func(p *cics23.CommitmentProof) bool {
			n := p.GetNonexist()
			if n == nil || n.Left == nil {
				return false
			}
			p.Proof = &cics23.CommitmentProof_Exist{Exist: n.Left}
			return true
		}},
	}
	if o := other.GetNonexist(); o != nil {
		ms = append(ms,
			mutation{"left from another gap", np(func(n *cics23.NonExistenceProof) bool { n.Left = o.Left; return o.Left != nil })},
			mutation{"right from another gap", np(func(n *cics23.NonExistenceProof) bool { n.Right = o.Right; return o.Right != nil })},
		)
	}
	return append(append(ms,
		existMutations("left ", func(p *cics23.CommitmentProof) *cics23.ExistenceProof { return p.GetNonexist().GetLeft() })...),
		existMutations("right ", func(p *cics23.CommitmentProof) *cics23.ExistenceProof { return p.GetNonexist().GetRight() })...)
}

// TestMutationsAgree applies every structural mutation to every real proof
// and checks that this package and ics23 agree on the result, for the true
// claim and for a wrong key or value.
func TestMutationsAgree(t *testing.T) {
	t.Parallel()
	f := sharedFixture()
	other := mustRefDecode(t, f.query(t, "mq", append(mqKey(150), 0)).keyProof)
	for _, pc := range realClaims(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			ms := nonexistMutations(other)
			if pc.claim.exist {
				ms = existMutations("", func(p *cics23.CommitmentProof) *cics23.ExistenceProof { return p.GetExist() })
			}
			claims := []claim{pc.claim}
			wrongKey := pc.claim
			wrongKey.key = append(bytes.Clone(pc.claim.key), 0)
			claims = append(claims, wrongKey)
			if pc.claim.exist {
				wrongValue := pc.claim
				wrongValue.value = append(bytes.Clone(pc.claim.value), 0)
				claims = append(claims, wrongValue)
			}
			applied := 0
			for _, m := range ms {
				p := mustRefDecode(t, pc.proof)
				if !m.edit(p) {
					continue
				}
				applied++
				b, err := p.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range claims {
					compare(t, m.name, c, b)
				}
			}
			if applied < 40 {
				t.Fatalf("only %d mutations applied", applied)
			}
		})
	}
}

// onlyNonexistKey reports whether b differs from the non-existence proof
// orig only in the key it names.
func onlyNonexistKey(t testing.TB, orig, b []byte) bool {
	t.Helper()
	o, p := mustRefDecode(t, orig), mustRefDecode(t, b)
	if o.GetNonexist() == nil || p.GetNonexist() == nil {
		return false
	}
	p.GetNonexist().Key = o.GetNonexist().Key
	again, err := p.Marshal()
	return err == nil && bytes.Equal(again, orig)
}

func mustRefDecode(t testing.TB, b []byte) *cics23.CommitmentProof {
	t.Helper()
	p, ok := refDecode(b)
	if !ok {
		t.Fatalf("proof %X does not decode", b)
	}
	return p
}
