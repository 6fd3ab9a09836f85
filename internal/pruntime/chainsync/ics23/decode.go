package ics23

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Bounds on what Decode reads. Callers bound the input further (chainsync
// caps each proof op well below MaxProofLen).
const (
	// MaxProofLen bounds an encoded CommitmentProof.
	MaxProofLen = 1 << 20
	// MaxPathLen bounds the inner ops of one existence proof. It is the
	// depth limit both specs impose (ics23's default MaxDepth), so a longer
	// path could never verify.
	MaxPathLen = 128
)

// Field numbers of the ICS-23 protobuf schema (cosmos.ics23.v1).
const (
	fieldProofExist      protowire.Number = 1
	fieldProofNonexist   protowire.Number = 2
	fieldProofBatch      protowire.Number = 3
	fieldProofCompressed protowire.Number = 4

	fieldExistKey   protowire.Number = 1
	fieldExistValue protowire.Number = 2
	fieldExistLeaf  protowire.Number = 3
	fieldExistPath  protowire.Number = 4

	fieldNonexistKey   protowire.Number = 1
	fieldNonexistLeft  protowire.Number = 2
	fieldNonexistRight protowire.Number = 3

	fieldLeafHash         protowire.Number = 1
	fieldLeafPrehashKey   protowire.Number = 2
	fieldLeafPrehashValue protowire.Number = 3
	fieldLeafLength       protowire.Number = 4
	fieldLeafPrefix       protowire.Number = 5

	fieldInnerHash   protowire.Number = 1
	fieldInnerPrefix protowire.Number = 2
	fieldInnerSuffix protowire.Number = 3
)

// Decode decodes a CommitmentProof holding one existence or non-existence
// proof. It accepts only the canonical encoding — the one gogoproto's
// Marshal, and so the chain, produces: fields in ascending order, each at
// most once (inner ops excepted, which repeat in path order), minimal
// varints, no default-valued scalars or empty byte strings, no unknown
// fields. Batch and compressed proofs are refused with ErrUnsupported.
//
// The proof's byte slices alias b.
func Decode(b []byte) (*CommitmentProof, error) {
	if len(b) > MaxProofLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxProofLen)
	}
	var p CommitmentProof
	seen := false
	err := walk(b, 0, func(f field) error {
		if seen {
			return fmt.Errorf("%w: more than one proof in the oneof", ErrMalformed)
		}
		seen = true
		switch f.num {
		case fieldProofExist:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			ep, err := decodeExistence(f.data)
			if err != nil {
				return fmt.Errorf("exist: %w", err)
			}
			p.Exist = ep
		case fieldProofNonexist:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			np, err := decodeNonExistence(f.data)
			if err != nil {
				return fmt.Errorf("nonexist: %w", err)
			}
			p.Nonexist = np
		case fieldProofBatch:
			return fmt.Errorf("%w: batch proof", ErrUnsupported)
		case fieldProofCompressed:
			return fmt.Errorf("%w: compressed batch proof", ErrUnsupported)
		default:
			return f.unknown()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !seen {
		return nil, fmt.Errorf("%w: empty commitment proof", ErrMalformed)
	}
	return &p, nil
}

func decodeExistence(b []byte) (*ExistenceProof, error) {
	var p ExistenceProof
	err := walk(b, fieldExistPath, func(f field) error {
		var err error
		switch f.num {
		case fieldExistKey:
			p.Key, err = f.bytes()
		case fieldExistValue:
			p.Value, err = f.bytes()
		case fieldExistLeaf:
			if err = f.want(protowire.BytesType); err == nil {
				p.Leaf, err = decodeLeaf(f.data)
			}
		case fieldExistPath:
			if len(p.Path) == MaxPathLen {
				return fmt.Errorf("%w: more than %d inner ops", ErrMalformed, MaxPathLen)
			}
			var op InnerOp
			if err = f.want(protowire.BytesType); err == nil {
				op, err = decodeInner(f.data)
			}
			p.Path = append(p.Path, op)
		default:
			err = f.unknown()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func decodeNonExistence(b []byte) (*NonExistenceProof, error) {
	var p NonExistenceProof
	err := walk(b, 0, func(f field) error {
		var err error
		switch f.num {
		case fieldNonexistKey:
			p.Key, err = f.bytes()
		case fieldNonexistLeft:
			if err = f.want(protowire.BytesType); err == nil {
				p.Left, err = decodeExistence(f.data)
			}
			if err != nil {
				err = fmt.Errorf("left: %w", err)
			}
		case fieldNonexistRight:
			if err = f.want(protowire.BytesType); err == nil {
				p.Right, err = decodeExistence(f.data)
			}
			if err != nil {
				err = fmt.Errorf("right: %w", err)
			}
		default:
			err = f.unknown()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func decodeLeaf(b []byte) (*LeafOp, error) {
	var op LeafOp
	err := walk(b, 0, func(f field) error {
		var err error
		var v int32
		switch f.num {
		case fieldLeafHash:
			v, err = f.enum()
			op.Hash = HashOp(v)
		case fieldLeafPrehashKey:
			v, err = f.enum()
			op.PrehashKey = HashOp(v)
		case fieldLeafPrehashValue:
			v, err = f.enum()
			op.PrehashValue = HashOp(v)
		case fieldLeafLength:
			v, err = f.enum()
			op.Length = LengthOp(v)
		case fieldLeafPrefix:
			op.Prefix, err = f.bytes()
		default:
			err = f.unknown()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("leaf: %w", err)
	}
	return &op, nil
}

func decodeInner(b []byte) (InnerOp, error) {
	var op InnerOp
	err := walk(b, 0, func(f field) error {
		var err error
		switch f.num {
		case fieldInnerHash:
			var v int32
			v, err = f.enum()
			op.Hash = HashOp(v)
		case fieldInnerPrefix:
			op.Prefix, err = f.bytes()
		case fieldInnerSuffix:
			op.Suffix, err = f.bytes()
		default:
			err = f.unknown()
		}
		return err
	})
	if err != nil {
		return InnerOp{}, fmt.Errorf("inner op: %w", err)
	}
	return op, nil
}

// field is one field of a message as walk found it.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	v    uint64 // the value of a varint field
	data []byte // the contents of a length-delimited field
}

func (f field) want(typ protowire.Type) error {
	if f.typ != typ {
		return fmt.Errorf("%w: field %d has wire type %d, want %d", ErrMalformed, f.num, f.typ, typ)
	}
	return nil
}

func (f field) unknown() error {
	return fmt.Errorf("%w: unknown field %d", ErrMalformed, f.num)
}

// bytes returns a bytes field's contents. proto3 omits an empty one, so an
// empty one present is not canonical.
func (f field) bytes() ([]byte, error) {
	if err := f.want(protowire.BytesType); err != nil {
		return nil, err
	}
	if len(f.data) == 0 {
		return nil, fmt.Errorf("%w: field %d is present but empty", ErrMalformed, f.num)
	}
	return f.data, nil
}

// enum returns an enum field's value. proto3 omits zero, and a negative
// value is sign-extended to 64 bits on the wire.
func (f field) enum() (int32, error) {
	if err := f.want(protowire.VarintType); err != nil {
		return 0, err
	}
	v := int32(f.v) //nolint:gosec // the round trip below rejects what does not fit
	if v == 0 || uint64(int64(v)) != f.v {
		return 0, fmt.Errorf("%w: field %d value %d is not a canonical enum", ErrMalformed, f.num, f.v)
	}
	return v, nil
}

// walk calls visit on each field of the message msg in order, after
// checking that the field's framing is canonical: minimal tag and length
// varints, field numbers strictly ascending except that the field repeated
// may occur several times in a row, and only varint or length-delimited
// wire types (the only ones the schema uses).
func walk(msg []byte, repeated protowire.Number, visit func(field) error) error {
	var last protowire.Number
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return fmt.Errorf("%w: tag: %w", ErrMalformed, protowire.ParseError(n))
		}
		if n != protowire.SizeTag(num) {
			return fmt.Errorf("%w: field %d: tag is not minimally encoded", ErrMalformed, num)
		}
		if num < last || (num == last && num != repeated) {
			return fmt.Errorf("%w: field %d after field %d", ErrMalformed, num, last)
		}
		last = num
		msg = msg[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(msg)
			if n >= 0 && n != protowire.SizeVarint(f.v) {
				return fmt.Errorf("%w: field %d: varint is not minimally encoded", ErrMalformed, num)
			}
		case protowire.BytesType:
			f.data, n = protowire.ConsumeBytes(msg)
			if n >= 0 && n-len(f.data) != protowire.SizeVarint(uint64(len(f.data))) {
				return fmt.Errorf("%w: field %d: length is not minimally encoded", ErrMalformed, num)
			}
		default:
			return fmt.Errorf("%w: field %d has wire type %d", ErrMalformed, num, typ)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %w", ErrMalformed, num, protowire.ParseError(n))
		}
		msg = msg[n:]
		if err := visit(f); err != nil {
			return err
		}
	}
	return nil
}
