package ics23

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
)

// Spec names a proof spec: the shape a tree's proofs must have. Only the two
// specs a Cosmos SDK multistore proof uses are supported.
type Spec uint8

const (
	// IAVL is the spec of an SDK IAVL store (ics23.IavlSpec): the first op
	// of a multistore proof, the key in the module's store.
	IAVL Spec = iota + 1
	// Tendermint is the spec of CometBFT's simple Merkle tree
	// (ics23.TendermintSpec): the second op, the store's root in the
	// multistore.
	Tendermint
)

func (s Spec) String() string {
	switch s {
	case IAVL:
		return "iavl"
	case Tendermint:
		return "tendermint"
	default:
		return fmt.Sprintf("spec(%d)", uint8(s))
	}
}

// rules are a spec's constraints. Both specs hash leaves the same way
// (leafRule), have binary inner nodes (child order 0, 1) hashed with SHA-256,
// no empty-child placeholders, and a depth limit of MaxPathLen.
type rules struct {
	// childSize is the number of bytes a sibling takes in an inner op's
	// prefix or suffix.
	childSize int
	// minPrefix and maxPrefix bound the prefix of an inner op whose child is
	// the left one (sibling in the suffix); the prefix of one whose child is
	// the right one also holds the sibling, so is childSize longer.
	minPrefix, maxPrefix int
	// iavl adds the IAVL node layout checks (checkIAVLNode).
	iavl bool
}

// leafRule is the leaf op both specs require: SHA-256 over a prefix starting
// with 0x00, the key unhashed and the value hashed, each length-prefixed
// with a protobuf varint.
var leafRule = LeafOp{Hash: SHA256, PrehashKey: NoHash, PrehashValue: SHA256, Length: VarProto, Prefix: []byte{0}}

func (s Spec) rules() (rules, error) {
	switch s {
	case IAVL:
		return rules{childSize: 33, minPrefix: 4, maxPrefix: 12, iavl: true}, nil
	case Tendermint:
		return rules{childSize: 32, minPrefix: 1, maxPrefix: 1}, nil
	default:
		return rules{}, fmt.Errorf("%w: unknown spec %v", ErrSpec, s)
	}
}

// VerifyMembership checks that p proves that key holds value in the tree of
// the given spec whose root is root.
func VerifyMembership(spec Spec, root []byte, p *CommitmentProof, key, value []byte) error {
	got, err := ExistenceRoot(spec, p, key, value)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, root) {
		return fmt.Errorf("%w: %v existence proof of key %X has root %X, want %X", ErrNotProven, spec, key, got, root)
	}
	return nil
}

// VerifyNonMembership checks that p proves that key is absent from the tree
// of the given spec whose root is root.
func VerifyNonMembership(spec Spec, root []byte, p *CommitmentProof, key []byte) error {
	got, err := NonExistenceRoot(spec, p, key)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, root) {
		return fmt.Errorf("%w: %v non-existence proof of key %X has root %X, want %X", ErrNotProven, spec, key, got, root)
	}
	return nil
}

// ExistenceRoot checks that p is an existence proof of key holding value
// that satisfies spec, and returns the root it commits to. The caller must
// check the root against one it trusts.
func ExistenceRoot(spec Spec, p *CommitmentProof, key, value []byte) ([]byte, error) {
	r, err := spec.rules()
	if err != nil {
		return nil, err
	}
	if p == nil || p.Exist == nil {
		return nil, fmt.Errorf("%w: not an existence proof", ErrSpec)
	}
	ep := p.Exist
	if !bytes.Equal(ep.Key, key) {
		return nil, fmt.Errorf("%w: existence proof is for key %.64X, not %X", ErrNotProven, ep.Key, key)
	}
	if !bytes.Equal(ep.Value, value) {
		return nil, fmt.Errorf("%w: existence proof of key %X is for another value", ErrNotProven, key)
	}
	return r.root(ep)
}

// NonExistenceRoot checks that p is a non-existence proof of key that
// satisfies spec — its neighbours bracket key, are proven under one root and
// are adjacent in the tree — and returns that root. The caller must check
// the root against one it trusts.
func NonExistenceRoot(spec Spec, p *CommitmentProof, key []byte) ([]byte, error) {
	r, err := spec.rules()
	if err != nil {
		return nil, err
	}
	if p == nil || p.Nonexist == nil {
		return nil, fmt.Errorf("%w: not a non-existence proof", ErrSpec)
	}
	left, right := p.Nonexist.Left, p.Nonexist.Right
	if left == nil && right == nil {
		return nil, fmt.Errorf("%w: non-existence proof has no neighbour", ErrNotProven)
	}
	// Plain byte order: neither spec hashes keys before comparing them.
	if left != nil && bytes.Compare(left.Key, key) >= 0 {
		return nil, fmt.Errorf("%w: left neighbour %.64X is not below key %X", ErrNotProven, left.Key, key)
	}
	if right != nil && bytes.Compare(right.Key, key) <= 0 {
		return nil, fmt.Errorf("%w: right neighbour %.64X is not above key %X", ErrNotProven, right.Key, key)
	}
	var root []byte
	if left != nil {
		if root, err = r.root(left); err != nil {
			return nil, fmt.Errorf("left neighbour: %w", err)
		}
	}
	if right != nil {
		rr, err := r.root(right)
		if err != nil {
			return nil, fmt.Errorf("right neighbour: %w", err)
		}
		if root != nil && !bytes.Equal(root, rr) {
			return nil, fmt.Errorf("%w: neighbours prove different roots", ErrNotProven)
		}
		root = rr
	}
	switch {
	case left == nil:
		if !r.leftmost(right.Path) {
			return nil, fmt.Errorf("%w: no left neighbour, but the right one is not the leftmost leaf", ErrNotProven)
		}
	case right == nil:
		if !r.rightmost(left.Path) {
			return nil, fmt.Errorf("%w: no right neighbour, but the left one is not the rightmost leaf", ErrNotProven)
		}
	default:
		if !r.adjacent(left.Path, right.Path) {
			return nil, fmt.Errorf("%w: neighbours are not adjacent leaves", ErrNotProven)
		}
	}
	return root, nil
}

// root checks ep against the rules and computes the root it commits to.
func (r rules) root(ep *ExistenceProof) ([]byte, error) {
	if ep.Leaf == nil {
		return nil, fmt.Errorf("%w: existence proof has no leaf op", ErrSpec)
	}
	if err := r.checkLeaf(ep.Leaf); err != nil {
		return nil, err
	}
	if len(ep.Path) > MaxPathLen {
		return nil, fmt.Errorf("%w: path of %d inner ops, limit %d", ErrSpec, len(ep.Path), MaxPathLen)
	}
	for i := range ep.Path {
		if err := r.checkInner(&ep.Path[i], i+1); err != nil {
			return nil, fmt.Errorf("inner op %d: %w", i, err)
		}
	}
	if len(ep.Key) == 0 || len(ep.Value) == 0 {
		return nil, fmt.Errorf("%w: leaf needs a key and a value", ErrSpec)
	}
	// Only the leafRule's operations remain to compute.
	h := sha256.New()
	var sum [sha256.Size]byte
	h.Write(ep.Leaf.Prefix)
	writeVarProto(h, len(ep.Key))
	h.Write(ep.Key)
	vh := sha256.Sum256(ep.Value)
	writeVarProto(h, len(vh))
	h.Write(vh[:])
	child := h.Sum(sum[:0])
	for _, op := range ep.Path {
		h.Reset()
		h.Write(op.Prefix)
		h.Write(child)
		h.Write(op.Suffix)
		child = h.Sum(sum[:0])
	}
	return bytes.Clone(child), nil
}

func writeVarProto(h hash.Hash, n int) {
	var buf [binary.MaxVarintLen64]byte
	h.Write(binary.AppendUvarint(buf[:0], uint64(n)))
}

func (r rules) checkLeaf(op *LeafOp) error {
	if r.iavl {
		rest, err := checkIAVLNode(op.Prefix, 0)
		if err != nil {
			return fmt.Errorf("leaf op: %w", err)
		}
		if rest != 0 {
			return fmt.Errorf("%w: leaf op: %d bytes after the IAVL node header", ErrSpec, rest)
		}
	}
	switch {
	case op.Hash != leafRule.Hash, op.PrehashKey != leafRule.PrehashKey,
		op.PrehashValue != leafRule.PrehashValue, op.Length != leafRule.Length:
		return fmt.Errorf("%w: leaf op hash %d, key %d, value %d, length %d; want %d, %d, %d, %d", ErrSpec,
			op.Hash, op.PrehashKey, op.PrehashValue, op.Length,
			leafRule.Hash, leafRule.PrehashKey, leafRule.PrehashValue, leafRule.Length)
	case !bytes.HasPrefix(op.Prefix, leafRule.Prefix):
		return fmt.Errorf("%w: leaf op prefix does not start with %X", ErrSpec, leafRule.Prefix)
	}
	return nil
}

// checkInner checks the inner op at the given layer (1 just above the leaf).
// Its prefix must not look like a leaf's, so that no inner node can pass
// for a leaf or the other way round.
func (r rules) checkInner(op *InnerOp, layer int) error {
	if op.Hash != SHA256 {
		return fmt.Errorf("%w: hash %d, want %d", ErrSpec, op.Hash, SHA256)
	}
	if r.iavl {
		rest, err := checkIAVLNode(op.Prefix, layer)
		if err != nil {
			return err
		}
		// What follows the header is the length byte of the child hash, or
		// the left sibling's length-prefixed hash and then that byte.
		if rest != 1 && rest != 1+r.childSize {
			return fmt.Errorf("%w: %d bytes after the IAVL node header, want 1 or %d", ErrSpec, rest, 1+r.childSize)
		}
	}
	switch {
	case bytes.HasPrefix(op.Prefix, leafRule.Prefix):
		return fmt.Errorf("%w: prefix starts like a leaf's", ErrSpec)
	case len(op.Prefix) < r.minPrefix:
		return fmt.Errorf("%w: prefix of %d bytes, minimum %d", ErrSpec, len(op.Prefix), r.minPrefix)
	case len(op.Prefix) > r.maxPrefix+r.childSize:
		return fmt.Errorf("%w: prefix of %d bytes, maximum %d", ErrSpec, len(op.Prefix), r.maxPrefix+r.childSize)
	case len(op.Suffix)%r.childSize != 0:
		return fmt.Errorf("%w: suffix of %d bytes is not a whole number of children", ErrSpec, len(op.Suffix))
	}
	return nil
}

// checkIAVLNode checks the header an IAVL node's hash preimage starts with:
// three zigzag varints — height, size, version — none negative, the height
// at least the node's layer above the leaf (0 for the leaf). It returns how
// many bytes follow the header.
func checkIAVLNode(prefix []byte, layer int) (int, error) {
	for i := range 3 {
		v, n := binary.Varint(prefix)
		if n <= 0 {
			return 0, fmt.Errorf("%w: IAVL node header: varint %d is truncated or overflows", ErrSpec, i)
		}
		if v < 0 {
			return 0, fmt.Errorf("%w: IAVL node header: varint %d is negative", ErrSpec, i)
		}
		if i == 0 && v < int64(layer) {
			return 0, fmt.Errorf("%w: IAVL node height %d below layer %d", ErrSpec, v, layer)
		}
		prefix = prefix[n:]
	}
	return len(prefix), nil
}

// branch tells which child of its node an inner op's input is, from where
// the sibling sits: 0 (left) if the suffix holds it, 1 (right) if the
// prefix does. ok is false if the op's padding fits neither.
func (r rules) branch(op *InnerOp) (b int, ok bool) {
	p, s := len(op.Prefix), len(op.Suffix)
	switch {
	case p >= r.minPrefix && p <= r.maxPrefix && s == r.childSize:
		return 0, true
	case p >= r.childSize+r.minPrefix && p <= r.childSize+r.maxPrefix && s == 0:
		return 1, true
	default:
		return 0, false
	}
}

// leftmost reports whether path leads to the tree's leftmost leaf: every
// step is a left child. Neither spec has empty-child placeholders, so no
// step is exempt.
func (r rules) leftmost(path []InnerOp) bool {
	for i := range path {
		if b, ok := r.branch(&path[i]); !ok || b != 0 {
			return false
		}
	}
	return true
}

// rightmost reports whether path leads to the tree's rightmost leaf.
func (r rules) rightmost(path []InnerOp) bool {
	for i := range path {
		if b, ok := r.branch(&path[i]); !ok || b != 1 {
			return false
		}
	}
	return true
}

// adjacent reports whether the leaves at the ends of left and right are
// neighbours: below the ops the paths share towards the root, they split at
// one node, left going to its left child and right to its right, and from
// there left always goes right and right always goes left.
func (r rules) adjacent(left, right []InnerOp) bool {
	i, j := len(left)-1, len(right)-1
	for i >= 0 && j >= 0 && sameStep(&left[i], &right[j]) {
		i, j = i-1, j-1
	}
	// Paths that never split, or of which one ends where they would, do
	// not lead to two distinct leaves (ics23 panics on them).
	if i < 0 || j < 0 {
		return false
	}
	lb, lok := r.branch(&left[i])
	rb, rok := r.branch(&right[j])
	if !lok || !rok || lb != 0 || rb != 1 {
		return false
	}
	return r.rightmost(left[:i]) && r.leftmost(right[:j])
}

// sameStep reports whether two inner ops are the same node seen from the
// same child. As in ics23 the hash op is not compared: the spec has already
// fixed it.
func sameStep(a, b *InnerOp) bool {
	return bytes.Equal(a.Prefix, b.Prefix) && bytes.Equal(a.Suffix, b.Suffix)
}
