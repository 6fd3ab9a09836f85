package ics23_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	cics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// leafHash and innerHash hash as the IAVL and Tendermint specs do; the
// tests use them to build proofs no real tree produces.
func leafHash(prefix, key, value []byte) []byte {
	vh := sha256.Sum256(value)
	pre := append(bytes.Clone(prefix), binary.AppendUvarint(nil, uint64(len(key)))...)
	pre = append(append(pre, key...), byte(len(vh)))
	s := sha256.Sum256(append(pre, vh[:]...))
	return s[:]
}

func innerHash(prefix, child, suffix []byte) []byte {
	s := sha256.Sum256(append(append(bytes.Clone(prefix), child...), suffix...))
	return s[:]
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	iavlLeafPrefix  = []byte{0x00, 0x02, 0x02} // height 0, size 1, version 1
	iavlInnerHeader = []byte{0x02, 0x04, 0x02} // height 1, size 2, version 1
)

func iavlLeaf() *cics23.LeafOp {
	return &cics23.LeafOp{Hash: cics23.HashOp_SHA256, PrehashValue: cics23.HashOp_SHA256, Length: cics23.LengthOp_VAR_PROTO, Prefix: iavlLeafPrefix}
}

// paddingFitsNoChild is a non-existence proof that satisfies the IAVL spec
// and whose neighbours share a root through top inner ops that differ but
// hash the same preimage, the left one with a 66-byte suffix: a padding
// that fits neither child position. ics23 v0.11.0 panics on it.
func paddingFitsNoChild() (root []byte, p *cics23.CommitmentProof) {
	cl := leafHash(iavlLeafPrefix, []byte("a"), []byte("x"))
	cr := leafHash(iavlLeafPrefix, []byte("c"), []byte("y"))
	filler := bytes.Repeat([]byte{0x11}, 32)
	suffix := cat([]byte{0x20}, cr, []byte{0x20}, filler)
	topLeft := &cics23.InnerOp{Hash: cics23.HashOp_SHA256, Prefix: cat(iavlInnerHeader, []byte{0x20}), Suffix: suffix}
	topRight := &cics23.InnerOp{Hash: cics23.HashOp_SHA256, Prefix: cat(iavlInnerHeader, []byte{0x20}, cl, []byte{0x20}), Suffix: suffix[33:]}
	root = innerHash(topLeft.Prefix, cl, topLeft.Suffix)
	if !bytes.Equal(root, innerHash(topRight.Prefix, cr, topRight.Suffix)) {
		panic("crafted ops do not share a root")
	}
	return root, &cics23.CommitmentProof{Proof: &cics23.CommitmentProof_Nonexist{Nonexist: &cics23.NonExistenceProof{
		Key:   []byte("b"),
		Left:  &cics23.ExistenceProof{Key: []byte("a"), Value: []byte("x"), Leaf: iavlLeaf(), Path: []*cics23.InnerOp{topLeft}},
		Right: &cics23.ExistenceProof{Key: []byte("c"), Value: []byte("y"), Leaf: iavlLeaf(), Path: []*cics23.InnerOp{topRight}},
	}}}
}

// TestICS23PanicIsRejection pins a proof on which ics23 panics: this
// package rejects it with ErrNotProven.
func TestICS23PanicIsRejection(t *testing.T) {
	t.Parallel()
	root, p := paddingFitsNoChild()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	panicked := func() (panicked bool) {
		defer func() { panicked = recover() != nil }()
		cics23.VerifyNonMembership(cics23.IavlSpec, root, p, []byte("b"))
		return false
	}()
	if !panicked {
		t.Error("ics23 no longer panics on this proof; keep the test, drop this check")
	}
	q, err := ics23.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ics23.VerifyNonMembership(ics23.IAVL, root, q, []byte("b")); !errors.Is(err, ics23.ErrNotProven) {
		t.Fatalf("VerifyNonMembership: %v, want ErrNotProven", err)
	}
	compare(t, "padding fits no child", claim{spec: ics23.IAVL, root: root, key: []byte("b")}, b)
}

func TestAdjacent(t *testing.T) {
	t.Parallel()
	op := func(prefixLen, suffixLen int, fill byte) ics23.InnerOp {
		return ics23.InnerOp{Hash: ics23.SHA256, Prefix: bytes.Repeat([]byte{fill}, prefixLen), Suffix: bytes.Repeat([]byte{fill}, suffixLen)}
	}
	leftChild, rightChild := op(4, 33, 1), op(37, 0, 1) // siblings of one node
	top := op(4, 33, 9)
	cases := []struct {
		name        string
		left, right []ics23.InnerOp
		want        bool
	}{
		{name: "siblings", left: []ics23.InnerOp{leftChild, top}, right: []ics23.InnerOp{rightChild, top}, want: true},
		{name: "siblings under the root", left: []ics23.InnerOp{leftChild}, right: []ics23.InnerOp{rightChild}, want: true},
		{name: "order reversed", left: []ics23.InnerOp{rightChild}, right: []ics23.InnerOp{leftChild}},
		{name: "empty left path", right: []ics23.InnerOp{rightChild}},
		{name: "empty right path", left: []ics23.InnerOp{leftChild}},
		{name: "paths never split", left: []ics23.InnerOp{top}, right: []ics23.InnerOp{top}},
		{name: "left path ends inside right", left: []ics23.InnerOp{top}, right: []ics23.InnerOp{rightChild, top}},
		{name: "padding fits no child", left: []ics23.InnerOp{op(4, 66, 1)}, right: []ics23.InnerOp{rightChild}},
		{
			name: "left subtree not rightmost", want: false,
			left: []ics23.InnerOp{op(4, 33, 2), leftChild}, right: []ics23.InnerOp{rightChild},
		},
		{
			name: "deeper neighbours", want: true,
			left: []ics23.InnerOp{op(37, 0, 2), leftChild}, right: []ics23.InnerOp{op(4, 33, 3), rightChild},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ics23.Adjacent(ics23.IAVL, tc.left, tc.right)
			if err != nil || got != tc.want {
				t.Fatalf("Adjacent = %v, %v; want %v", got, err, tc.want)
			}
			ref := noPanic(func() bool {
				return cics23.IsLeftNeighbor(cics23.IavlSpec.InnerSpec, refOps(tc.left), refOps(tc.right))
			})
			if ref != got {
				t.Fatalf("ics23 IsLeftNeighbor = %v", ref)
			}
		})
	}
}

func refOps(ops []ics23.InnerOp) []*cics23.InnerOp {
	out := make([]*cics23.InnerOp, len(ops))
	for i, op := range ops {
		out[i] = &cics23.InnerOp{Hash: cics23.HashOp(op.Hash), Prefix: op.Prefix, Suffix: op.Suffix}
	}
	return out
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	f := sharedFixture()
	present := f.query(t, "mq", mqKey(3))
	absent := f.query(t, "mq", append(mqKey(3), 0))
	exist, err := ics23.Decode(present.keyProof)
	if err != nil {
		t.Fatal(err)
	}
	nonexist, err := ics23.Decode(absent.keyProof)
	if err != nil {
		t.Fatal(err)
	}
	root := f.roots["mq"]
	member := func(spec ics23.Spec, root []byte, p *ics23.CommitmentProof, key, value []byte) func() error {
		return func() error { return ics23.VerifyMembership(spec, root, p, key, value) }
	}
	nonMember := func(spec ics23.Spec, root []byte, p *ics23.CommitmentProof, key []byte) func() error {
		return func() error { return ics23.VerifyNonMembership(spec, root, p, key) }
	}
	cases := []struct {
		name   string
		verify func() error
		want   error
	}{
		{name: "member", verify: member(ics23.IAVL, root, exist, mqKey(3), present.value)},
		{name: "non-member", verify: nonMember(ics23.IAVL, root, nonexist, append(mqKey(3), 0))},
		{name: "unknown spec", verify: member(ics23.Spec(9), root, exist, mqKey(3), present.value), want: ics23.ErrSpec},
		{name: "wrong spec", verify: member(ics23.Tendermint, root, exist, mqKey(3), present.value), want: ics23.ErrSpec},
		{name: "nil proof", verify: member(ics23.IAVL, root, nil, mqKey(3), present.value), want: ics23.ErrSpec},
		{name: "non-existence proof for membership", verify: member(ics23.IAVL, root, nonexist, mqKey(3), present.value), want: ics23.ErrSpec},
		{name: "existence proof for non-membership", verify: nonMember(ics23.IAVL, root, exist, mqKey(3)), want: ics23.ErrSpec},
		{name: "wrong key", verify: member(ics23.IAVL, root, exist, mqKey(4), present.value), want: ics23.ErrNotProven},
		{name: "wrong value", verify: member(ics23.IAVL, root, exist, mqKey(3), []byte("other")), want: ics23.ErrNotProven},
		{name: "wrong root", verify: member(ics23.IAVL, f.roots["bank"], exist, mqKey(3), present.value), want: ics23.ErrNotProven},
		{name: "absent key outside the gap", verify: nonMember(ics23.IAVL, root, nonexist, append(mqKey(4), 0)), want: ics23.ErrNotProven},
		{name: "present key claimed absent", verify: nonMember(ics23.IAVL, root, nonexist, mqKey(3)), want: ics23.ErrNotProven},
		{name: "non-membership against wrong root", verify: nonMember(ics23.IAVL, f.appHash, nonexist, append(mqKey(3), 0)), want: ics23.ErrNotProven},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.verify()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}
