package chainsync

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ProofOp is one op of a multistore proof, as CometBFT's
// tendermint.crypto.ProofOp carries it: the op's type, the key it proves
// and its data, an encoded ICS-23 CommitmentProof.
type ProofOp struct {
	Type string
	Key  []byte
	Data []byte
}

// ProofOps is the proof of an abci_query with prove=true
// (tendermint.crypto.ProofOps).
type ProofOps struct {
	Ops []ProofOp
}

// Bounds on an encoded ProofOps; DecodeProofOps rejects it unread beyond
// them. Verification then requires exactly two ops within the tighter
// per-op bounds of proof.go.
const (
	// MaxProofOps bounds the number of ops.
	MaxProofOps = 8
	// MaxProofOpTypeLen bounds an op's type.
	MaxProofOpTypeLen = 64
	// MaxProofOpsLen bounds the whole encoding: a key proof, a store
	// proof and their framing.
	MaxProofOpsLen = MaxIAVLProofLen + MaxStoreProofLen + 4<<10
)

// Field numbers of tendermint.crypto.ProofOps and ProofOp.
const (
	fieldProofOpsOps  protowire.Number = 1
	fieldProofOpType  protowire.Number = 1
	fieldProofOpKey   protowire.Number = 2
	fieldProofOpData  protowire.Number = 3
	lastProofOpsField                  = fieldProofOpsOps
	lastProofOpField                   = fieldProofOpData
)

// DecodeProofOps decodes a tendermint.crypto.ProofOps. It accepts only the
// canonical encoding, the one gogoproto's Marshal produces on the chain
// side: fields in ascending order, each once (ops excepted, which repeat
// in order), minimal varints, no empty strings or byte strings, no unknown
// fields. Errors match ErrMalformedProof. The ops' slices alias b.
func DecodeProofOps(b []byte) (*ProofOps, error) {
	if len(b) > MaxProofOpsLen {
		return nil, fmt.Errorf("%w: proof ops are %d bytes, limit %d", ErrMalformedProof, len(b), MaxProofOpsLen)
	}
	var ops ProofOps
	err := walkProofMessage(b, lastProofOpsField, true, func(num protowire.Number, v []byte) error {
		if len(ops.Ops) == MaxProofOps {
			return fmt.Errorf("more than %d ops", MaxProofOps)
		}
		op, err := decodeProofOp(v)
		if err != nil {
			return fmt.Errorf("op %d: %w", len(ops.Ops), err)
		}
		ops.Ops = append(ops.Ops, op)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: proof ops: %w", ErrMalformedProof, err)
	}
	return &ops, nil
}

func decodeProofOp(b []byte) (ProofOp, error) {
	var op ProofOp
	err := walkProofMessage(b, lastProofOpField, false, func(num protowire.Number, v []byte) error {
		if len(v) == 0 {
			return fmt.Errorf("field %d is present but empty", num)
		}
		switch num {
		case fieldProofOpType:
			if len(v) > MaxProofOpTypeLen {
				return fmt.Errorf("type is %d bytes, limit %d", len(v), MaxProofOpTypeLen)
			}
			op.Type = string(v)
		case fieldProofOpKey:
			if len(v) > MaxKeyLen {
				return fmt.Errorf("key is %d bytes, limit %d", len(v), MaxKeyLen)
			}
			op.Key = v
		case fieldProofOpData:
			if len(v) > MaxIAVLProofLen {
				return fmt.Errorf("data is %d bytes, limit %d", len(v), MaxIAVLProofLen)
			}
			op.Data = v
		}
		return nil
	})
	return op, err
}

// walkProofMessage calls visit with each field of msg, a message whose
// fields are all length-delimited and numbered 1 to last, after checking
// the framing is canonical: minimal tag and length, field numbers
// ascending, each field once unless repeated is set (then msg has a single
// field, repeated in a row).
func walkProofMessage(msg []byte, last protowire.Number, repeated bool, visit func(protowire.Number, []byte) error) error {
	var prev protowire.Number
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		switch {
		case n < 0:
			return fmt.Errorf("tag: %w", protowire.ParseError(n))
		case n != protowire.SizeTag(num):
			return fmt.Errorf("field %d: tag is not minimally encoded", num)
		case num > last:
			return fmt.Errorf("unknown field %d", num)
		case typ != protowire.BytesType:
			return fmt.Errorf("field %d has wire type %d", num, typ)
		case num < prev || (num == prev && !repeated):
			return fmt.Errorf("field %d after field %d", num, prev)
		}
		prev = num
		msg = msg[n:]
		v, n := protowire.ConsumeBytes(msg)
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		if n-len(v) != protowire.SizeVarint(uint64(len(v))) {
			return fmt.Errorf("field %d: length is not minimally encoded", num)
		}
		msg = msg[n:]
		if err := visit(num, v); err != nil {
			return err
		}
	}
	return nil
}
