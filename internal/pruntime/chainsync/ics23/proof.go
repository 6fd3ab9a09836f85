package ics23

import "errors"

// Errors that callers branch on, returned wrapped with detail; test them
// with errors.Is. Decode returns ErrMalformed or ErrUnsupported; the
// verification functions return ErrSpec or ErrNotProven.
var (
	// ErrMalformed means the bytes are not the canonical protobuf encoding
	// of a CommitmentProof, or exceed a bound.
	ErrMalformed = errors.New("ics23: malformed commitment proof")
	// ErrUnsupported means a well-formed batch or compressed proof: the
	// multistore never produces them for a single key, so they are refused.
	ErrUnsupported = errors.New("ics23: unsupported commitment proof")
	// ErrSpec means the proof is not of the form the proof spec allows
	// (hash functions, length encoding, prefixes, depth, IAVL node layout),
	// or is not the kind of proof asked for.
	ErrSpec = errors.New("ics23: proof does not match spec")
	// ErrNotProven means a well-formed proof that does not prove the claim:
	// another key or value, another root, or non-existence neighbours that
	// do not bracket the key or are not adjacent.
	ErrNotProven = errors.New("ics23: proof does not prove the claim")
)

// HashOp names a hash function, numbered as in the ICS-23 protobuf schema.
// Only the two values the supported specs use are computed; any other value
// decodes but fails the spec check.
type HashOp int32

// Hash functions the IAVL and Tendermint specs use.
const (
	NoHash HashOp = 0
	SHA256 HashOp = 1
)

// LengthOp names a length prefix encoding, numbered as in the ICS-23
// protobuf schema. Only VarProto is used by the supported specs.
type LengthOp int32

// Length encodings the IAVL and Tendermint specs use.
const (
	NoPrefix LengthOp = 0
	VarProto LengthOp = 1
)

// LeafOp says how a key and value are hashed into a leaf:
// Hash(Prefix || Length(PrehashKey(key)) || Length(PrehashValue(value))).
type LeafOp struct {
	Hash         HashOp
	PrehashKey   HashOp
	PrehashValue HashOp
	Length       LengthOp
	Prefix       []byte
}

// InnerOp is one step from a child towards the root:
// Hash(Prefix || child || Suffix). Prefix and Suffix carry the node's
// metadata and the sibling hashes.
type InnerOp struct {
	Hash   HashOp
	Prefix []byte
	Suffix []byte
}

// ExistenceProof claims that Key holds Value: the leaf, then the path of
// inner nodes from the leaf up to the root.
type ExistenceProof struct {
	Key   []byte
	Value []byte
	Leaf  *LeafOp // nil if absent from the encoding
	Path  []InnerOp
}

// NonExistenceProof claims that Key is absent: it proves the key's
// neighbours, Left (the greatest key below Key) and Right (the least key
// above it), either of which is nil at an end of the tree.
type NonExistenceProof struct {
	Key   []byte
	Left  *ExistenceProof
	Right *ExistenceProof
}

// CommitmentProof is a decoded single proof: exactly one of Exist and
// Nonexist is set.
type CommitmentProof struct {
	Exist    *ExistenceProof
	Nonexist *NonExistenceProof
}
