package ics23_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	cics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// The reference is cosmos/ics23/go as chainsync used it before this
// package: gogoproto decoding that must re-encode to the input, then the
// library's verification. Where the library panics, the reference rejects.

func refSpec(spec ics23.Spec) *cics23.ProofSpec {
	if spec == ics23.IAVL {
		return cics23.IavlSpec
	}
	return cics23.TendermintSpec
}

// refDecode decodes b and reports whether it is a canonical encoding.
func refDecode(b []byte) (*cics23.CommitmentProof, bool) {
	var p cics23.CommitmentProof
	if err := p.Unmarshal(b); err != nil {
		return nil, false
	}
	again, err := p.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		return nil, false
	}
	return &p, true
}

// noPanic runs f and turns a panic into false.
func noPanic(f func() bool) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return f()
}

// claim is a statement a proof is checked against: key holds value (exist)
// or key is absent (!exist), in the tree of spec with root.
type claim struct {
	spec  ics23.Spec
	exist bool
	root  []byte
	key   []byte
	value []byte
}

func (c claim) String() string {
	kind := "absent"
	if c.exist {
		kind = fmt.Sprintf("= %.16X", c.value)
	}
	return fmt.Sprintf("%v %X %s", c.spec, c.key, kind)
}

// refVerify is the reference verdict on b for c.
func refVerify(c claim, b []byte) bool {
	p, ok := refDecode(b)
	if !ok {
		return false
	}
	return noPanic(func() bool {
		if c.exist {
			return cics23.VerifyMembership(refSpec(c.spec), c.root, p, c.key, c.value)
		}
		return cics23.VerifyNonMembership(refSpec(c.spec), c.root, p, c.key)
	})
}

// refSelfRoot is the reference verdict on b for c against the root the
// proof itself computes, as chainsync did for the key proof, and that root.
func refSelfRoot(c claim, b []byte) ([]byte, bool) {
	p, ok := refDecode(b)
	if !ok {
		return nil, false
	}
	var root []byte
	ok = noPanic(func() bool {
		r, err := p.Calculate()
		if err != nil {
			return false
		}
		root = r
		if c.exist {
			return cics23.VerifyMembership(refSpec(c.spec), r, p, c.key, c.value)
		}
		return cics23.VerifyNonMembership(refSpec(c.spec), r, p, c.key)
	})
	return root, ok
}

// ourVerify is this package's verdict on b for c. Its error must match the
// package's sentinels.
func ourVerify(t testing.TB, c claim, b []byte) bool {
	t.Helper()
	p, err := ics23.Decode(b)
	if err != nil {
		checkSentinel(t, err, ics23.ErrMalformed, ics23.ErrUnsupported)
		return false
	}
	if c.exist {
		err = ics23.VerifyMembership(c.spec, c.root, p, c.key, c.value)
	} else {
		err = ics23.VerifyNonMembership(c.spec, c.root, p, c.key)
	}
	if err != nil {
		checkSentinel(t, err, ics23.ErrSpec, ics23.ErrNotProven)
		return false
	}
	return true
}

// ourSelfRoot is this package's verdict on b for c against the root the
// proof computes, and that root.
func ourSelfRoot(t testing.TB, c claim, b []byte) ([]byte, bool) {
	t.Helper()
	p, err := ics23.Decode(b)
	if err != nil {
		return nil, false
	}
	var root []byte
	if c.exist {
		root, err = ics23.ExistenceRoot(c.spec, p, c.key, c.value)
	} else {
		root, err = ics23.NonExistenceRoot(c.spec, p, c.key)
	}
	if err != nil {
		checkSentinel(t, err, ics23.ErrSpec, ics23.ErrNotProven)
		return nil, false
	}
	return root, true
}

func checkSentinel(t testing.TB, err error, sentinels ...error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v matches none of %v", err, sentinels)
}

// compare checks that this package and the reference agree on b for c,
// against the claimed root and against the proof's own root, and returns
// the verdict against the claimed root.
func compare(t testing.TB, what string, c claim, b []byte) bool {
	t.Helper()
	ours, ref := ourVerify(t, c, b), refVerify(c, b)
	if ours != ref {
		t.Fatalf("%s: claim %v: ours %v, ics23 %v\nproof %X", what, c, ours, ref, b)
	}
	ourRoot, oursSelf := ourSelfRoot(t, c, b)
	refRoot, refSelf := refSelfRoot(c, b)
	if oursSelf != refSelf || (oursSelf && !bytes.Equal(ourRoot, refRoot)) {
		t.Fatalf("%s: claim %v against its own root: ours %v (%X), ics23 %v (%X)\nproof %X", what, c, oursSelf, ourRoot, refSelf, refRoot, b)
	}
	return ref
}
