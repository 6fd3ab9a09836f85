package chainsync

import (
	"bytes"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// Proof op types of a Cosmos SDK multistore proof, as abci_query returns
// them: first the key in the module's IAVL store, then the store's root in
// the multistore.
const (
	ProofOpIAVL   = "ics23:iavl"
	ProofOpSimple = "ics23:simple"
)

// Bounds on proofs and their arguments. Proofs are rejected unread beyond
// them.
const (
	// AppHashLen is the size of a Cosmos SDK app hash.
	AppHashLen = 32
	// MaxStoreNameLen bounds a store name.
	MaxStoreNameLen = 64
	// MaxKeyLen bounds a proven key.
	MaxKeyLen = 1024
	// MaxValueLen bounds a proven value. Values that enclaves read are
	// small; the largest is an ingress entry (MaxIngressEntryLen).
	MaxValueLen = 256 << 10
	// MaxIAVLProofLen bounds the data of the ics23:iavl op. A
	// non-membership proof carries the two neighbouring entries, values
	// included, plus two paths of at most 128 steps.
	MaxIAVLProofLen = 2*MaxValueLen + 2*MaxKeyLen + 64<<10
	// MaxStoreProofLen bounds the data of the ics23:simple op: a store name,
	// a 32-byte root and a path as deep as log2 of the number of stores.
	MaxStoreProofLen = 4 << 10
)

// MaxIngressEntryLen bounds an ingress entry: u64 height || message.
const MaxIngressEntryLen = 8 + protocol.MaxMessageLen

// VerifyMembership checks that key holds value in the IAVL store storeName
// of the multistore whose root is appHash.
//
// ops is the ProofOps of an abci_query with prove=true: exactly two ops,
// ops[0] of type ProofOpIAVL keyed by key (a CommitmentProof of existence
// of key in the store), ops[1] of type ProofOpSimple keyed by storeName (a
// CommitmentProof of existence of the store's root in the multistore). Both
// are checked with ICS23 (package chainsync/ics23) against the IAVL and
// Tendermint proof specs by computing the roots: the first proof's root is
// the store root the second proves, and the second's must equal appHash.
//
// A query at height H proves against the state after block H, whose root is
// the AppHash of header H+1: verify it against the app hash of a verified
// header one above the queried height.
func VerifyMembership(appHash []byte, storeName string, key, value []byte, ops *ProofOps) error {
	if len(value) > MaxValueLen {
		return fmt.Errorf("%w: value is %d bytes, limit %d", ErrMalformedProof, len(value), MaxValueLen)
	}
	kp, sp, err := decodeOps(appHash, storeName, key, ops)
	if err != nil {
		return err
	}
	if kp.Exist == nil {
		return fmt.Errorf("%w: %s op is not an existence proof", ErrMalformedProof, ProofOpIAVL)
	}
	root, err := ics23.ExistenceRoot(ics23.IAVL, kp, key, value)
	if err != nil {
		return fmt.Errorf("%w: store %q key %X does not prove the given value: %w", ErrBadProof, storeName, key, err)
	}
	return verifyStoreRoot(appHash, storeName, root, sp)
}

// VerifyNonMembership checks that key is absent from the IAVL store
// storeName of the multistore whose root is appHash. ops has the layout
// VerifyMembership describes, except that ops[0] is a CommitmentProof of
// non-existence (the key's neighbours, which must be adjacent in the tree).
func VerifyNonMembership(appHash []byte, storeName string, key []byte, ops *ProofOps) error {
	kp, sp, err := decodeOps(appHash, storeName, key, ops)
	if err != nil {
		return err
	}
	np := kp.Nonexist
	if np == nil {
		return fmt.Errorf("%w: %s op is not a non-existence proof", ErrMalformedProof, ProofOpIAVL)
	}
	// ICS-23 does not bind the key a non-existence proof names; we do, so
	// that a proof is only ever used for the key it was asked for.
	if !bytes.Equal(np.Key, key) {
		return fmt.Errorf("%w: non-existence proof is for key %.64X, not %X", ErrMalformedProof, np.Key, key)
	}
	root, err := ics23.NonExistenceRoot(ics23.IAVL, kp, key)
	if err != nil {
		return fmt.Errorf("%w: store %q: absence of key %X does not verify: %w", ErrBadProof, storeName, key, err)
	}
	return verifyStoreRoot(appHash, storeName, root, sp)
}

// VerifyIngressEntry checks that entry is ingress log entry index (key
// protocol.IngressKey(index), 0x01 || u64 big-endian index, in store
// protocol.MQStoreName, "mq") under appHash, decodes it strictly and
// checks that the message's Seq is index. The returned entry's Message
// aliases entry.
//
// A proven entry that does not decode, or whose sequence is wrong, is an
// ErrBadEntry: the chain stored it, so it is not the relayer's doing.
func VerifyIngressEntry(appHash []byte, index uint64, entry []byte, ops *ProofOps) (protocol.IngressEntry, protocol.Message, error) {
	if len(entry) > MaxIngressEntryLen {
		return protocol.IngressEntry{}, protocol.Message{}, fmt.Errorf("%w: entry is %d bytes, limit %d",
			ErrMalformedProof, len(entry), MaxIngressEntryLen)
	}
	if err := VerifyMembership(appHash, protocol.MQStoreName, protocol.IngressKey(index), entry, ops); err != nil {
		return protocol.IngressEntry{}, protocol.Message{}, err
	}
	e, m, err := protocol.DecodeIngressEntry(entry)
	if err != nil {
		return protocol.IngressEntry{}, protocol.Message{}, fmt.Errorf("%w: index %d: %w", ErrBadEntry, index, err)
	}
	if m.Seq != index {
		return protocol.IngressEntry{}, protocol.Message{}, fmt.Errorf("%w: index %d holds message with seq %d", ErrBadEntry, index, m.Seq)
	}
	return e, m, nil
}

// decodeOps checks the arguments and the ops' layout and bounds, and decodes
// both commitment proofs strictly.
func decodeOps(appHash []byte, storeName string, key []byte, ops *ProofOps) (keyProof, storeProof *ics23.CommitmentProof, err error) {
	switch {
	case len(appHash) != AppHashLen:
		return nil, nil, fmt.Errorf("%w: app hash is %d bytes, want %d", ErrMalformedProof, len(appHash), AppHashLen)
	case len(storeName) == 0 || len(storeName) > MaxStoreNameLen:
		return nil, nil, fmt.Errorf("%w: store name length %d, want 1-%d", ErrMalformedProof, len(storeName), MaxStoreNameLen)
	case len(key) == 0 || len(key) > MaxKeyLen:
		return nil, nil, fmt.Errorf("%w: key length %d, want 1-%d", ErrMalformedProof, len(key), MaxKeyLen)
	case ops == nil || len(ops.Ops) != 2:
		n := 0
		if ops != nil {
			n = len(ops.Ops)
		}
		return nil, nil, fmt.Errorf("%w: %d proof ops, want 2", ErrMalformedProof, n)
	}
	k, s := ops.Ops[0], ops.Ops[1]
	switch {
	case k.Type != ProofOpIAVL || s.Type != ProofOpSimple:
		return nil, nil, fmt.Errorf("%w: op types %.32q, %.32q, want %q, %q", ErrMalformedProof, k.Type, s.Type, ProofOpIAVL, ProofOpSimple)
	case !bytes.Equal(k.Key, key):
		return nil, nil, fmt.Errorf("%w: %s op is for key %.64X, not %X", ErrMalformedProof, ProofOpIAVL, k.Key, key)
	case string(s.Key) != storeName:
		return nil, nil, fmt.Errorf("%w: %s op is for store %.64q, not %q", ErrMalformedProof, ProofOpSimple, s.Key, storeName)
	case len(k.Data) > MaxIAVLProofLen:
		return nil, nil, fmt.Errorf("%w: %s op is %d bytes, limit %d", ErrMalformedProof, ProofOpIAVL, len(k.Data), MaxIAVLProofLen)
	case len(s.Data) > MaxStoreProofLen:
		return nil, nil, fmt.Errorf("%w: %s op is %d bytes, limit %d", ErrMalformedProof, ProofOpSimple, len(s.Data), MaxStoreProofLen)
	}
	if keyProof, err = decodeCommitmentProof(ProofOpIAVL, k.Data); err != nil {
		return nil, nil, err
	}
	if storeProof, err = decodeCommitmentProof(ProofOpSimple, s.Data); err != nil {
		return nil, nil, err
	}
	return keyProof, storeProof, nil
}

// decodeCommitmentProof decodes a CommitmentProof and rejects any encoding
// but the canonical one, which is what the chain produces, and batch or
// compressed proofs.
func decodeCommitmentProof(op string, data []byte) (*ics23.CommitmentProof, error) {
	p, err := ics23.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s op: %w", ErrMalformedProof, op, err)
	}
	return p, nil
}

// verifyStoreRoot checks that the store storeName has root storeRoot in the
// multistore whose root is appHash.
func verifyStoreRoot(appHash []byte, storeName string, storeRoot []byte, sp *ics23.CommitmentProof) error {
	if sp.Exist == nil {
		return fmt.Errorf("%w: %s op is not an existence proof", ErrMalformedProof, ProofOpSimple)
	}
	if err := ics23.VerifyMembership(ics23.Tendermint, appHash, sp, []byte(storeName), storeRoot); err != nil {
		return fmt.Errorf("%w: store %q root %X is not committed to by app hash %X: %w", ErrBadProof, storeName, storeRoot, appHash, err)
	}
	return nil
}
