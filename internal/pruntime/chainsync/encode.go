package chainsync

import (
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The encoders write the protobuf encoding CometBFT's gogoproto code writes
// for the same values: fields in number order, scalar fields and empty
// bytes omitted when zero, embedded messages that CometBFT declares
// non-nullable (times, block ids, versions, public keys) always written,
// even when empty. That encoding is canonical, and the decoders accept
// nothing else.

// Marshal returns the signed header's protobuf encoding
// (tendermint.types.SignedHeader).
func (sh *SignedHeader) Marshal() []byte {
	var b []byte
	if sh.Header != nil {
		b = appendMessage(b, 1, appendHeader(nil, sh.Header))
	}
	if sh.Commit != nil {
		b = appendMessage(b, 2, appendCommit(nil, sh.Commit))
	}
	return b
}

// Marshal returns the validator set's protobuf encoding
// (tendermint.types.ValidatorSet) with total_voting_power 0, as CometBFT
// writes it.
func (vs *ValidatorSet) Marshal() []byte {
	var b []byte
	for _, v := range vs.Validators {
		b = appendMessage(b, 1, appendValidator(nil, v))
	}
	if vs.Proposer != nil {
		b = appendMessage(b, 2, appendValidator(nil, vs.Proposer))
	}
	return b
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendMessage(b, num, v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendSfixed64Field(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, uint64(v))
}

// appendTimestamp appends a google.protobuf.Timestamp message (not a field).
func appendTimestamp(b []byte, t time.Time) []byte {
	b = appendVarintField(b, 1, uint64(t.Unix()))
	return appendVarintField(b, 2, uint64(t.Nanosecond()))
}

func appendVersion(b []byte, v Version) []byte {
	b = appendVarintField(b, 1, v.Block)
	return appendVarintField(b, 2, v.App)
}

func appendPartSetHeader(b []byte, p PartSetHeader) []byte {
	b = appendVarintField(b, 1, uint64(p.Total))
	return appendBytesField(b, 2, p.Hash)
}

// appendBlockID appends a tendermint.types.BlockID message; its layout is
// also CanonicalBlockID's.
func appendBlockID(b []byte, id BlockID) []byte {
	b = appendBytesField(b, 1, id.Hash)
	return appendMessage(b, 2, appendPartSetHeader(nil, id.PartSetHeader))
}

func appendHeader(b []byte, h *Header) []byte {
	b = appendMessage(b, 1, appendVersion(nil, h.Version))
	b = appendBytesField(b, 2, []byte(h.ChainID))
	b = appendVarintField(b, 3, uint64(h.Height))
	b = appendMessage(b, 4, appendTimestamp(nil, h.Time))
	b = appendMessage(b, 5, appendBlockID(nil, h.LastBlockID))
	for i, f := range [][]byte{
		h.LastCommitHash, h.DataHash, h.ValidatorsHash, h.NextValidatorsHash, h.ConsensusHash,
		h.AppHash, h.LastResultsHash, h.EvidenceHash, h.ProposerAddress,
	} {
		b = appendBytesField(b, protowire.Number(6+i), f)
	}
	return b
}

func appendCommitSig(b []byte, cs *CommitSig) []byte {
	b = appendVarintField(b, 1, uint64(cs.BlockIDFlag))
	b = appendBytesField(b, 2, cs.ValidatorAddress)
	b = appendMessage(b, 3, appendTimestamp(nil, cs.Timestamp))
	return appendBytesField(b, 4, cs.Signature)
}

func appendCommit(b []byte, c *Commit) []byte {
	b = appendVarintField(b, 1, uint64(c.Height))
	b = appendVarintField(b, 2, uint64(int64(c.Round)))
	b = appendMessage(b, 3, appendBlockID(nil, c.BlockID))
	for i := range c.Signatures {
		b = appendMessage(b, 4, appendCommitSig(nil, &c.Signatures[i]))
	}
	return b
}

// appendPublicKey appends a tendermint.crypto.PublicKey with its ed25519
// member set (a oneof member is written even when empty).
func appendPublicKey(b []byte, pubKey []byte) []byte {
	return appendMessage(b, 1, pubKey)
}

func appendValidator(b []byte, v *Validator) []byte {
	b = appendBytesField(b, 1, v.Address)
	b = appendMessage(b, 2, appendPublicKey(nil, v.PubKey))
	b = appendVarintField(b, 3, uint64(v.VotingPower))
	return appendVarintField(b, 4, uint64(v.ProposerPriority))
}

// appendSimpleValidator appends tendermint.types.SimpleValidator, the leaf
// of the validator set hash: public key and power.
func appendSimpleValidator(b []byte, v *Validator) []byte {
	b = appendMessage(b, 1, appendPublicKey(nil, v.PubKey))
	return appendVarintField(b, 2, uint64(v.VotingPower))
}

// wrapString, wrapInt64 and wrapBytes give the header hash's leaves: the
// google.protobuf wrapper message of the value, or nothing for a zero value.
func wrapString(s string) []byte { return appendBytesField(nil, 1, []byte(s)) }
func wrapInt64(v int64) []byte   { return appendVarintField(nil, 1, uint64(v)) }
func wrapBytes(v []byte) []byte  { return appendBytesField(nil, 1, v) }

// voteSignBytes is what the validator in slot idx of c signed: its
// precommit as a tendermint.types.CanonicalVote, length-delimited. Only
// BlockIDFlagCommit slots are ever verified, so the vote is for c.BlockID,
// which is never zero in a decoded commit.
func voteSignBytes(chainID string, c *Commit, idx int) []byte {
	var m []byte
	m = appendVarintField(m, 1, precommitType)
	m = appendSfixed64Field(m, 2, c.Height)
	m = appendSfixed64Field(m, 3, int64(c.Round))
	if !c.BlockID.IsZero() {
		m = appendMessage(m, 4, appendBlockID(nil, c.BlockID))
	}
	m = appendMessage(m, 5, appendTimestamp(nil, c.Signatures[idx].Timestamp))
	m = appendBytesField(m, 6, []byte(chainID))
	return protowire.AppendBytes(make([]byte, 0, len(m)+2), m)
}
