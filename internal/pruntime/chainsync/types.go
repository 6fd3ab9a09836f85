package chainsync

import (
	"bytes"
	"crypto/sha256"
	"time"
)

// The types below are the parts of CometBFT's block and validator types that
// light verification reads, with the same fields and the same protobuf wire
// format (tendermint.types.SignedHeader and ValidatorSet, CometBFT v0.38).
// They are chainsync's own so that the enclave links no CometBFT package:
// DecodeSignedHeader and DecodeValidatorSet read them, Marshal writes them,
// and the differential tests hold decoding, hashing and verdicts equal to
// CometBFT's.

const (
	// blockProtocol is the only block protocol version accepted (CometBFT
	// v0.38's version.BlockProtocol).
	blockProtocol = 11
	// maxChainIDLen is CometBFT's bound on a chain id.
	maxChainIDLen = 50
	// hashLen is the length of every hash a header carries except AppHash.
	hashLen = sha256.Size
	// addressLen is the length of a validator address: the first 20 bytes of
	// SHA-256 of the ed25519 public key.
	addressLen = 20
	// pubKeyLen and signatureLen are ed25519's sizes.
	pubKeyLen    = 32
	signatureLen = 64
	// maxTotalVotingPower is CometBFT's bound on a validator set's total
	// power (MaxInt64/8), which keeps every power computation from
	// overflowing.
	maxTotalVotingPower = int64(1<<63-1) / 8
	// precommitType is the SignedMsgType of the votes a commit carries.
	precommitType = 2
)

// BlockIDFlag says what a commit signature is for.
type BlockIDFlag byte

// The flags a commit signature may carry. Only BlockIDFlagCommit signatures
// count towards a commit's power.
const (
	// BlockIDFlagAbsent: no vote was received from the validator.
	BlockIDFlagAbsent BlockIDFlag = 1
	// BlockIDFlagCommit: the validator voted for the committed block.
	BlockIDFlagCommit BlockIDFlag = 2
	// BlockIDFlagNil: the validator voted for nil.
	BlockIDFlagNil BlockIDFlag = 3
)

// Version is the header's protocol versions (tendermint.version.Consensus).
type Version struct {
	Block uint64
	App   uint64
}

// PartSetHeader identifies the parts a block was gossiped in.
type PartSetHeader struct {
	Total uint32
	Hash  []byte
}

// BlockID is a block's hash with its part set header.
type BlockID struct {
	Hash          []byte
	PartSetHeader PartSetHeader
}

// IsZero reports whether the block id is the nil block's (all empty).
func (id BlockID) IsZero() bool {
	return len(id.Hash) == 0 && id.PartSetHeader.Total == 0 && len(id.PartSetHeader.Hash) == 0
}

// Equal reports whether two block ids are the same.
func (id BlockID) Equal(o BlockID) bool {
	return bytes.Equal(id.Hash, o.Hash) && id.PartSetHeader.Total == o.PartSetHeader.Total &&
		bytes.Equal(id.PartSetHeader.Hash, o.PartSetHeader.Hash)
}

// Header is a block header.
type Header struct {
	Version            Version
	ChainID            string
	Height             int64
	Time               time.Time
	LastBlockID        BlockID
	LastCommitHash     []byte
	DataHash           []byte
	ValidatorsHash     []byte
	NextValidatorsHash []byte
	ConsensusHash      []byte
	AppHash            []byte
	LastResultsHash    []byte
	EvidenceHash       []byte
	ProposerAddress    []byte
}

// CommitSig is one validator's slot in a commit.
type CommitSig struct {
	BlockIDFlag      BlockIDFlag
	ValidatorAddress []byte
	Timestamp        time.Time
	Signature        []byte
}

// Commit is the set of precommit signatures for a block.
type Commit struct {
	Height     int64
	Round      int32
	BlockID    BlockID
	Signatures []CommitSig
}

// SignedHeader is a header with the commit that signed it.
type SignedHeader struct {
	*Header
	Commit *Commit
}

// Validator is one member of a validator set. PubKey is an ed25519 public
// key; no other key type is accepted.
type Validator struct {
	Address          []byte
	PubKey           []byte
	VotingPower      int64
	ProposerPriority int64
}

// ValidatorSet is a validator set in the order it is hashed and its commits
// are laid out. Proposer is carried so that the wire encoding round-trips;
// verification does not read it.
type ValidatorSet struct {
	Validators []*Validator
	Proposer   *Validator
}

// Hash is the header's hash, the Merkle root of its fields as CometBFT
// computes it. It is nil for a header without ValidatorsHash, as
// CometBFT's.
func (h *Header) Hash() []byte {
	if h == nil || len(h.ValidatorsHash) == 0 {
		return nil
	}
	return merkleRoot([][]byte{
		appendVersion(nil, h.Version),
		wrapString(h.ChainID),
		wrapInt64(h.Height),
		appendTimestamp(nil, h.Time),
		appendBlockID(nil, h.LastBlockID),
		wrapBytes(h.LastCommitHash),
		wrapBytes(h.DataHash),
		wrapBytes(h.ValidatorsHash),
		wrapBytes(h.NextValidatorsHash),
		wrapBytes(h.ConsensusHash),
		wrapBytes(h.AppHash),
		wrapBytes(h.LastResultsHash),
		wrapBytes(h.EvidenceHash),
		wrapBytes(h.ProposerAddress),
	})
}

// Hash is the validator set's hash, the Merkle root of its validators'
// public keys and powers in set order.
func (vs *ValidatorSet) Hash() []byte {
	leaves := make([][]byte, len(vs.Validators))
	for i, v := range vs.Validators {
		leaves[i] = appendSimpleValidator(nil, v)
	}
	return merkleRoot(leaves)
}

// TotalVotingPower is the sum of the validators' powers. Decoding bounds it
// by CometBFT's maximum, so it does not overflow.
func (vs *ValidatorSet) TotalVotingPower() int64 {
	var total int64
	for _, v := range vs.Validators {
		total += v.VotingPower
	}
	return total
}

// empty reports whether vs is nil or has no validators.
func (vs *ValidatorSet) empty() bool { return vs == nil || len(vs.Validators) == 0 }

// merkleRoot is the RFC 6962 Merkle tree hash CometBFT uses: SHA-256 with
// prefix 0 for leaves and 1 for inner nodes, split at the largest power of
// two below the number of items; the empty tree hashes to SHA-256("").
func merkleRoot(items [][]byte) []byte {
	switch len(items) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		h := sha256.New()
		h.Write([]byte{0})
		h.Write(items[0])
		return h.Sum(nil)
	}
	k := 1
	for k*2 < len(items) {
		k *= 2
	}
	left, right := merkleRoot(items[:k]), merkleRoot(items[k:])
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// address derives a validator address from an ed25519 public key.
func address(pubKey []byte) []byte {
	s := sha256.Sum256(pubKey)
	return s[:addressLen]
}
