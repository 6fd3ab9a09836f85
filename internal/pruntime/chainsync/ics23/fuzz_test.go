package ics23_test

import (
	"bytes"
	"testing"

	cics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// The fuzz targets hold this package to cosmos/ics23/go: the decoder
// accepts exactly the canonical encodings ics23 decodes (less batch and
// compressed proofs and over-long paths) and reads them the same, and the
// verifier gives ics23's verdict on the same bytes. Seeds come from
// testdata/fuzz/<FuzzName>/ and from the real proofs added below.

func FuzzDecode(f *testing.F) {
	for _, pc := range realClaims(f) {
		f.Add(pc.proof)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ics23.Decode(b)
		ref, refOK := refDecode(b)
		if err != nil {
			checkSentinel(t, err, ics23.ErrMalformed, ics23.ErrUnsupported)
			if refOK && decodable(ref) {
				t.Fatalf("ics23 decodes %X canonically, Decode: %v", b, err)
			}
			return
		}
		if !refOK {
			t.Fatalf("Decode accepts %X, which ics23 does not decode canonically", b)
		}
		if !sameProof(p, ref) {
			t.Fatalf("Decode reads %X as %+v, ics23 as %v", b, p, ref)
		}
	})
}

// decodable reports whether Decode must accept a canonically encoded
// proof: a single proof with no path over MaxPathLen.
func decodable(p *cics23.CommitmentProof) bool {
	short := func(e *cics23.ExistenceProof) bool { return e == nil || len(e.Path) <= ics23.MaxPathLen }
	switch {
	case p.GetExist() != nil:
		return short(p.GetExist())
	case p.GetNonexist() != nil:
		return short(p.GetNonexist().Left) && short(p.GetNonexist().Right)
	default:
		return false
	}
}

func sameProof(p *ics23.CommitmentProof, ref *cics23.CommitmentProof) bool {
	if p.Nonexist != nil {
		n := ref.GetNonexist()
		return n != nil && bytes.Equal(p.Nonexist.Key, n.Key) &&
			sameExist(p.Nonexist.Left, n.Left) && sameExist(p.Nonexist.Right, n.Right)
	}
	return ref.GetExist() != nil && sameExist(p.Exist, ref.GetExist())
}

func sameExist(e *ics23.ExistenceProof, ref *cics23.ExistenceProof) bool {
	if e == nil || ref == nil {
		return e == nil && ref == nil
	}
	if !bytes.Equal(e.Key, ref.Key) || !bytes.Equal(e.Value, ref.Value) || len(e.Path) != len(ref.Path) || (e.Leaf == nil) != (ref.Leaf == nil) {
		return false
	}
	if l := e.Leaf; l != nil && (int32(l.Hash) != int32(ref.Leaf.Hash) || int32(l.PrehashKey) != int32(ref.Leaf.PrehashKey) ||
		int32(l.PrehashValue) != int32(ref.Leaf.PrehashValue) || int32(l.Length) != int32(ref.Leaf.Length) || !bytes.Equal(l.Prefix, ref.Leaf.Prefix)) {
		return false
	}
	for i, op := range e.Path {
		r := ref.Path[i]
		if int32(op.Hash) != int32(r.Hash) || !bytes.Equal(op.Prefix, r.Prefix) || !bytes.Equal(op.Suffix, r.Suffix) {
			return false
		}
	}
	return true
}

// FuzzVerify checks that this package and ics23 give the same verdict on
// the same proof bytes, for a claim about store "mq" (IAVL) or the
// multistore (Tendermint), against the true root and against the root the
// proof computes itself.
func FuzzVerify(f *testing.F) {
	for _, pc := range realClaims(f) {
		f.Add(pc.proof, pc.claim.spec == ics23.Tendermint, pc.claim.exist, pc.claim.key, pc.claim.value)
	}
	fx := sharedFixture()
	f.Fuzz(func(t *testing.T, b []byte, tendermint, exist bool, key, value []byte) {
		c := claim{spec: ics23.IAVL, exist: exist, root: fx.roots["mq"], key: key, value: value}
		if tendermint {
			c.spec, c.root = ics23.Tendermint, fx.appHash
		}
		if compare(t, "fuzzed", c, b) && !knownTrue(fx, c) {
			t.Fatalf("both verify a false claim %v", c)
		}
	})
}

// knownTrue reports whether c holds in the fixture (what a verified proof
// may prove).
func knownTrue(fx *fixture, c claim) bool {
	if c.spec == ics23.Tendermint {
		return c.exist && bytes.Equal(fx.roots[string(c.key)], c.value)
	}
	for i := range mqKeys {
		if bytes.Equal(c.key, mqKey(i)) {
			return c.exist && bytes.Equal(c.value, mqValue(i))
		}
	}
	return !c.exist
}
