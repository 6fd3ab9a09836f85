package chainsync_test

import (
	"bytes"
	"errors"
	"testing"

	cmtprotocrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// cmtOps converts proof ops to CometBFT's type, for the SDK's verifier.
func cmtOps(ops *chainsync.ProofOps) *cmtprotocrypto.ProofOps {
	out := &cmtprotocrypto.ProofOps{}
	for _, op := range ops.Ops {
		out.Ops = append(out.Ops, cmtprotocrypto.ProofOp{Type: op.Type, Key: op.Key, Data: op.Data})
	}
	return out
}

// encodeOps encodes proof ops as the chain does.
func encodeOps(t testing.TB, ops *chainsync.ProofOps) []byte {
	t.Helper()
	b, err := gogoproto.Marshal(cmtOps(ops))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeProofOps(t *testing.T) {
	t.Parallel()
	st := sharedStore()
	_, ops := st.prove(t, "mq", protocol.IngressKey(3), 1)
	real := encodeOps(t, ops)
	op := func(fields ...byte) []byte { return append([]byte{0x0a, byte(len(fields))}, fields...) }
	cases := []struct {
		name string
		b    []byte
		ops  int  // ops decoded, on success
		bad  bool // want ErrMalformedProof
	}{
		{name: "real proof", b: real, ops: 2},
		{name: "no ops", b: nil, ops: 0},
		{name: "empty op", b: op(), ops: 1},
		{name: "three ops", b: encodeOps(t, &chainsync.ProofOps{Ops: append(ops.Ops, ops.Ops[1])}), ops: 3},
		{name: "too many ops", b: bytes.Repeat(op(), chainsync.MaxProofOps+1), bad: true},
		{name: "oversized", b: make([]byte, chainsync.MaxProofOpsLen+1), bad: true},
		{name: "truncated", b: real[:len(real)-1], bad: true},
		{name: "trailing byte", b: append(bytes.Clone(real), 0), bad: true},
		{name: "unknown field", b: append(bytes.Clone(real), 0x12, 0x00), bad: true},
		{name: "unknown field in op", b: op(0x22, 0x00), bad: true},
		{name: "fields out of order", b: op(0x12, 0x01, 'k', 0x0a, 0x01, 't'), bad: true},
		{name: "field twice", b: op(0x12, 0x01, 'k', 0x12, 0x01, 'k'), bad: true},
		{name: "empty field", b: op(0x12, 0x00), bad: true},
		{name: "varint field", b: op(0x08, 0x01), bad: true},
		{name: "non-minimal tag", b: []byte{0x8a, 0x00, 0x00}, bad: true},
		{name: "non-minimal length", b: []byte{0x0a, 0x80, 0x00}, bad: true},
		{name: "oversized type", b: op(append([]byte{0x0a, chainsync.MaxProofOpTypeLen + 1}, bytes.Repeat([]byte{'t'}, chainsync.MaxProofOpTypeLen+1)...)...), bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := chainsync.DecodeProofOps(tc.b)
			if tc.bad {
				if !errors.Is(err, chainsync.ErrMalformedProof) {
					t.Fatalf("DecodeProofOps error %v, want ErrMalformedProof", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeProofOps: %v", err)
			}
			if len(got.Ops) != tc.ops {
				t.Fatalf("%d ops, want %d", len(got.Ops), tc.ops)
			}
			if again := encodeOps(t, got); !bytes.Equal(again, tc.b) {
				t.Fatalf("decoded ops re-encode to %X, not %X", again, tc.b)
			}
		})
	}
}

// FuzzDecodeProofOps checks that DecodeProofOps accepts exactly the
// canonical encodings gogoproto reads, and reads them the same.
func FuzzDecodeProofOps(f *testing.F) {
	st := sharedStore()
	for _, key := range [][]byte{protocol.IngressKey(3), protocol.IngressKey(100)} {
		_, ops := st.prove(f, "mq", key, 1)
		f.Add(encodeOps(f, ops))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := chainsync.DecodeProofOps(b)
		var ref cmtprotocrypto.ProofOps
		refErr := gogoproto.Unmarshal(b, &ref)
		if err != nil {
			if !errors.Is(err, chainsync.ErrMalformedProof) {
				t.Fatalf("error %v does not match ErrMalformedProof", err)
			}
			return
		}
		if refErr != nil {
			t.Fatalf("DecodeProofOps accepts %X, gogoproto does not: %v", b, refErr)
		}
		if again := encodeOps(t, ops); !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical encoding %X", b)
		}
		if len(ref.Ops) != len(ops.Ops) {
			t.Fatalf("%d ops, gogoproto reads %d", len(ops.Ops), len(ref.Ops))
		}
		for i, op := range ops.Ops {
			if r := ref.Ops[i]; op.Type != r.Type || !bytes.Equal(op.Key, r.Key) || !bytes.Equal(op.Data, r.Data) {
				t.Fatalf("op %d: %+v, gogoproto reads %+v", i, op, r)
			}
		}
	})
}
