package chainsync

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxEncodedLen bounds each encoded signed header and validator set the
// decoders accept. A header at MaxValidators is about 120 KB of commit
// signatures and its validator set about 100 KB; the bound is
// MaxTrustedStateLen, which holds both.
const MaxEncodedLen = MaxTrustedStateLen

// DecodeHeaderUpdate decodes a header update as the relayer sends it: the
// protobuf encodings of a tendermint.types.SignedHeader and ValidatorSet.
// See DecodeSignedHeader and DecodeValidatorSet for what is checked; the
// header and validators are not yet checked against each other (Init and
// Verify do that). Errors match ErrMalformedHeader.
func DecodeHeaderUpdate(signedHeader, validators []byte) (HeaderUpdate, error) {
	sh, err := DecodeSignedHeader(signedHeader)
	if err != nil {
		return HeaderUpdate{}, err
	}
	vs, err := DecodeValidatorSet(validators)
	if err != nil {
		return HeaderUpdate{}, err
	}
	return HeaderUpdate{SignedHeader: sh, Validators: vs}, nil
}

// DecodeSignedHeader decodes a tendermint.types.SignedHeader strictly: at
// most MaxEncodedLen bytes and MaxValidators commit signatures, no unknown
// or repeated field, the right wire type for each field, header and commit
// both present, and the canonical encoding (Marshal gives the input back).
// It runs the checks CometBFT runs when it converts the message from
// protobuf (the header's and commit's ValidateBasic: block protocol, chain
// id length, positive height, hash lengths, flags and signature sizes) and
// refuses timestamps protobuf cannot represent. Errors match
// ErrMalformedHeader.
func DecodeSignedHeader(b []byte) (*SignedHeader, error) {
	sh, err := decodeSignedHeader(b)
	if err != nil {
		return nil, fmt.Errorf("%w: signed header: %w", ErrMalformedHeader, err)
	}
	return sh, nil
}

// DecodeValidatorSet decodes a tendermint.types.ValidatorSet strictly, as
// DecodeSignedHeader does its message, with between 1 and MaxValidators
// validators, each with an ed25519 public key (other key types are
// refused), a non-negative power and the address derived from its key, a
// total power within CometBFT's bound, a proposer that is a member of the
// set, and total_voting_power 0 (CometBFT writes 0 and ignores the field).
// Errors match ErrMalformedHeader.
func DecodeValidatorSet(b []byte) (*ValidatorSet, error) {
	vs, err := decodeValidatorSet(b)
	if err != nil {
		return nil, fmt.Errorf("%w: validator set: %w", ErrMalformedHeader, err)
	}
	return vs, nil
}

func decodeSignedHeader(b []byte) (*SignedHeader, error) {
	if len(b) > MaxEncodedLen {
		return nil, fmt.Errorf("%d bytes exceed limit %d", len(b), MaxEncodedLen)
	}
	var sh SignedHeader
	err := walk(b, []wireField{
		{1, "header", protowire.BytesType, false},
		{2, "commit", protowire.BytesType, false},
	}, func(num protowire.Number, _ uint64, v []byte) error {
		var err error
		if num == 1 {
			sh.Header, err = decodeHeader(v)
		} else {
			sh.Commit, err = decodeCommit(v)
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case sh.Header == nil:
		return nil, errors.New("header is missing")
	case sh.Commit == nil:
		return nil, errors.New("commit is missing")
	case !bytes.Equal(sh.Marshal(), b):
		return nil, errors.New("not the canonical encoding")
	}
	return &sh, nil
}

func decodeValidatorSet(b []byte) (*ValidatorSet, error) {
	if len(b) > MaxEncodedLen {
		return nil, fmt.Errorf("%d bytes exceed limit %d", len(b), MaxEncodedLen)
	}
	var vs ValidatorSet
	err := walk(b, []wireField{
		{1, "validators", protowire.BytesType, true},
		{2, "proposer", protowire.BytesType, false},
		{3, "total_voting_power", protowire.VarintType, false},
	}, func(num protowire.Number, x uint64, v []byte) error {
		switch num {
		case 1:
			if len(vs.Validators) == MaxValidators {
				return fmt.Errorf("more than %d validators", MaxValidators)
			}
			val, err := decodeValidator(v)
			if err != nil {
				return fmt.Errorf("#%d: %w", len(vs.Validators), err)
			}
			vs.Validators = append(vs.Validators, val)
		case 2:
			val, err := decodeValidator(v)
			if err != nil {
				return err
			}
			vs.Proposer = val
		default:
			if x != 0 {
				return errors.New("is set; CometBFT writes 0 and recomputes it")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(vs.Validators) == 0 {
		return nil, errors.New("no validators")
	}
	if vs.Proposer == nil {
		return nil, errors.New("proposer is missing")
	}
	var total int64
	for i, v := range vs.Validators {
		if v.VotingPower > maxTotalVotingPower-total {
			return nil, fmt.Errorf("total voting power exceeds %d at validator #%d", maxTotalVotingPower, i)
		}
		total += v.VotingPower
	}
	if !vs.has(vs.Proposer.Address) {
		return nil, fmt.Errorf("proposer %X is not in the set", vs.Proposer.Address)
	}
	if !bytes.Equal(vs.Marshal(), b) {
		return nil, errors.New("not the canonical encoding")
	}
	return &vs, nil
}

// has reports whether a validator with address addr is in the set.
func (vs *ValidatorSet) has(addr []byte) bool {
	for _, v := range vs.Validators {
		if bytes.Equal(v.Address, addr) {
			return true
		}
	}
	return false
}

func decodeValidator(b []byte) (*Validator, error) {
	var v Validator
	var key bool
	err := walk(b, []wireField{
		{1, "address", protowire.BytesType, false},
		{2, "pub_key", protowire.BytesType, false},
		{3, "voting_power", protowire.VarintType, false},
		{4, "proposer_priority", protowire.VarintType, false},
	}, func(num protowire.Number, x uint64, f []byte) error {
		switch num {
		case 1:
			v.Address = bytes.Clone(f)
		case 2:
			key = true
			return walk(f, []wireField{
				{1, "ed25519", protowire.BytesType, false},
				{2, "secp256k1", protowire.BytesType, false},
			}, func(num protowire.Number, _ uint64, k []byte) error {
				if num != 1 {
					return errors.New("refused: chainsync accepts ed25519 keys only")
				}
				v.PubKey = bytes.Clone(k)
				return nil
			})
		case 3:
			v.VotingPower = int64(x)
		default:
			v.ProposerPriority = int64(x)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case !key || v.PubKey == nil:
		return nil, errors.New("no ed25519 public key")
	case len(v.PubKey) != pubKeyLen:
		return nil, fmt.Errorf("ed25519 public key is %d bytes, want %d", len(v.PubKey), pubKeyLen)
	case v.VotingPower < 0:
		return nil, fmt.Errorf("negative voting power %d", v.VotingPower)
	case !bytes.Equal(v.Address, address(v.PubKey)):
		return nil, fmt.Errorf("address %X is not derived from the public key (%X)", v.Address, address(v.PubKey))
	}
	return &v, nil
}

func decodeHeader(b []byte) (*Header, error) {
	var h Header
	hashes := []*[]byte{
		&h.LastCommitHash, &h.DataHash, &h.ValidatorsHash, &h.NextValidatorsHash, &h.ConsensusHash,
		&h.AppHash, &h.LastResultsHash, &h.EvidenceHash, &h.ProposerAddress,
	}
	err := walk(b, []wireField{
		{1, "version", protowire.BytesType, false},
		{2, "chain_id", protowire.BytesType, false},
		{3, "height", protowire.VarintType, false},
		{4, "time", protowire.BytesType, false},
		{5, "last_block_id", protowire.BytesType, false},
		{6, "last_commit_hash", protowire.BytesType, false},
		{7, "data_hash", protowire.BytesType, false},
		{8, "validators_hash", protowire.BytesType, false},
		{9, "next_validators_hash", protowire.BytesType, false},
		{10, "consensus_hash", protowire.BytesType, false},
		{11, "app_hash", protowire.BytesType, false},
		{12, "last_results_hash", protowire.BytesType, false},
		{13, "evidence_hash", protowire.BytesType, false},
		{14, "proposer_address", protowire.BytesType, false},
	}, func(num protowire.Number, x uint64, v []byte) error {
		var err error
		switch num {
		case 1:
			h.Version, err = decodeVersion(v)
		case 2:
			if len(v) > maxChainIDLen {
				return fmt.Errorf("%d bytes exceed %d", len(v), maxChainIDLen)
			}
			h.ChainID = string(v)
		case 3:
			h.Height = int64(x)
		case 4:
			h.Time, err = decodeTimestamp(v)
		case 5:
			h.LastBlockID, err = decodeBlockID(v)
		default:
			*hashes[num-6] = bytes.Clone(v)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := h.validateBasic(); err != nil {
		return nil, err
	}
	return &h, nil
}

// validateBasic checks a header's fields on their own, as CometBFT's
// Header.ValidateBasic.
func (h *Header) validateBasic() error {
	switch {
	case h.Version.Block != blockProtocol:
		return fmt.Errorf("block protocol %d, want %d", h.Version.Block, blockProtocol)
	case len(h.ChainID) > maxChainIDLen:
		return fmt.Errorf("chain id of %d bytes exceeds %d", len(h.ChainID), maxChainIDLen)
	case h.Height <= 0:
		return fmt.Errorf("height %d, want > 0", h.Height)
	case len(h.ProposerAddress) != addressLen:
		return fmt.Errorf("proposer address is %d bytes, want %d", len(h.ProposerAddress), addressLen)
	}
	if err := h.LastBlockID.validateBasic(); err != nil {
		return fmt.Errorf("last block id: %w", err)
	}
	for _, f := range []struct {
		name string
		hash []byte
	}{
		{"last commit hash", h.LastCommitHash},
		{"data hash", h.DataHash},
		{"evidence hash", h.EvidenceHash},
		{"validators hash", h.ValidatorsHash},
		{"next validators hash", h.NextValidatorsHash},
		{"consensus hash", h.ConsensusHash},
		{"last results hash", h.LastResultsHash},
	} {
		if err := checkHash(f.hash); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	// The app hash may have any length, as in CometBFT.
	return nil
}

// checkHash accepts an empty hash or one of hashLen bytes.
func checkHash(h []byte) error {
	if len(h) != 0 && len(h) != hashLen {
		return fmt.Errorf("%d bytes, want 0 or %d", len(h), hashLen)
	}
	return nil
}

func (id BlockID) validateBasic() error {
	if err := checkHash(id.Hash); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	if err := checkHash(id.PartSetHeader.Hash); err != nil {
		return fmt.Errorf("part set header hash: %w", err)
	}
	return nil
}

func decodeCommit(b []byte) (*Commit, error) {
	var c Commit
	err := walk(b, []wireField{
		{1, "height", protowire.VarintType, false},
		{2, "round", protowire.VarintType, false},
		{3, "block_id", protowire.BytesType, false},
		{4, "signatures", protowire.BytesType, true},
	}, func(num protowire.Number, x uint64, v []byte) error {
		var err error
		switch num {
		case 1:
			c.Height = int64(x)
		case 2:
			c.Round, err = int32Of(x)
		case 3:
			c.BlockID, err = decodeBlockID(v)
		default:
			if len(c.Signatures) == MaxValidators {
				return fmt.Errorf("more than %d signatures", MaxValidators)
			}
			var cs CommitSig
			cs, err = decodeCommitSig(v)
			if err != nil {
				return fmt.Errorf("#%d: %w", len(c.Signatures), err)
			}
			c.Signatures = append(c.Signatures, cs)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := c.validateBasic(); err != nil {
		return nil, err
	}
	return &c, nil
}

// validateBasic checks a commit on its own, as CometBFT's
// Commit.ValidateBasic (its signatures were checked as they were decoded).
func (c *Commit) validateBasic() error {
	switch {
	case c.Height < 0:
		return fmt.Errorf("negative height %d", c.Height)
	case c.Round < 0:
		return fmt.Errorf("negative round %d", c.Round)
	case c.Height >= 1 && c.BlockID.IsZero():
		return errors.New("commit for the nil block")
	case c.Height >= 1 && len(c.Signatures) == 0:
		return errors.New("no signatures")
	}
	return nil
}

func decodeCommitSig(b []byte) (CommitSig, error) {
	var cs CommitSig
	err := walk(b, []wireField{
		{1, "block_id_flag", protowire.VarintType, false},
		{2, "validator_address", protowire.BytesType, false},
		{3, "timestamp", protowire.BytesType, false},
		{4, "signature", protowire.BytesType, false},
	}, func(num protowire.Number, x uint64, v []byte) error {
		var err error
		switch num {
		case 1:
			var f int32
			f, err = int32Of(x)
			cs.BlockIDFlag = BlockIDFlag(f)
			if f < int32(BlockIDFlagAbsent) || f > int32(BlockIDFlagNil) {
				err = fmt.Errorf("unknown flag %d", f)
			}
		case 2:
			cs.ValidatorAddress = bytes.Clone(v)
		case 3:
			cs.Timestamp, err = decodeTimestamp(v)
		default:
			cs.Signature = bytes.Clone(v)
		}
		return err
	})
	if err != nil {
		return CommitSig{}, err
	}
	switch cs.BlockIDFlag {
	case BlockIDFlagAbsent:
		switch {
		case len(cs.ValidatorAddress) != 0:
			return CommitSig{}, errors.New("absent vote has a validator address")
		case !cs.Timestamp.IsZero():
			return CommitSig{}, errors.New("absent vote has a time")
		case len(cs.Signature) != 0:
			return CommitSig{}, errors.New("absent vote has a signature")
		}
	case BlockIDFlagCommit, BlockIDFlagNil:
		switch {
		case len(cs.ValidatorAddress) != addressLen:
			return CommitSig{}, fmt.Errorf("validator address is %d bytes, want %d", len(cs.ValidatorAddress), addressLen)
		case len(cs.Signature) == 0:
			return CommitSig{}, errors.New("signature is missing")
		case len(cs.Signature) > signatureLen:
			return CommitSig{}, fmt.Errorf("signature of %d bytes exceeds %d", len(cs.Signature), signatureLen)
		}
	default:
		return CommitSig{}, errors.New("block_id_flag is missing")
	}
	return cs, nil
}

func decodeBlockID(b []byte) (BlockID, error) {
	var id BlockID
	err := walk(b, []wireField{
		{1, "hash", protowire.BytesType, false},
		{2, "part_set_header", protowire.BytesType, false},
	}, func(num protowire.Number, _ uint64, v []byte) error {
		if num == 1 {
			id.Hash = bytes.Clone(v)
			return nil
		}
		return walk(v, []wireField{
			{1, "total", protowire.VarintType, false},
			{2, "hash", protowire.BytesType, false},
		}, func(num protowire.Number, x uint64, v []byte) error {
			if num == 2 {
				id.PartSetHeader.Hash = bytes.Clone(v)
				return nil
			}
			if x > math.MaxUint32 {
				return fmt.Errorf("%d out of range", x)
			}
			id.PartSetHeader.Total = uint32(x)
			return nil
		})
	})
	if err != nil {
		return BlockID{}, err
	}
	return id, id.validateBasic()
}

func decodeVersion(b []byte) (Version, error) {
	var v Version
	err := walk(b, []wireField{
		{1, "block", protowire.VarintType, false},
		{2, "app", protowire.VarintType, false},
	}, func(num protowire.Number, x uint64, _ []byte) error {
		if num == 1 {
			v.Block = x
		} else {
			v.App = x
		}
		return nil
	})
	return v, err
}

// Timestamps protobuf can represent: years 1 to 9999, nanoseconds below
// one second.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// decodeTimestamp decodes a google.protobuf.Timestamp into a UTC time.
func decodeTimestamp(b []byte) (time.Time, error) {
	var secs int64
	var nanos uint64
	err := walk(b, []wireField{
		{1, "seconds", protowire.VarintType, false},
		{2, "nanos", protowire.VarintType, false},
	}, func(num protowire.Number, x uint64, _ []byte) error {
		if num == 1 {
			secs = int64(x)
		} else {
			nanos = x
		}
		return nil
	})
	switch {
	case err != nil:
		return time.Time{}, err
	case secs < minTimestampSeconds || secs > maxTimestampSeconds:
		return time.Time{}, fmt.Errorf("seconds %d out of range", secs)
	case nanos >= 1e9:
		return time.Time{}, fmt.Errorf("nanos %d out of range", int64(nanos))
	}
	return time.Unix(secs, int64(nanos)).UTC(), nil
}

// int32Of reads an int32 field's varint, which is sign-extended to 64 bits.
func int32Of(x uint64) (int32, error) {
	v := int64(x)
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%d out of int32 range", v)
	}
	return int32(v), nil
}

// wireField is one field of a message schema.
type wireField struct {
	num      protowire.Number
	name     string
	typ      protowire.Type
	repeated bool
}

// walk reads the protobuf message b field by field against its schema and
// calls visit with each field's value: the integer for a varint field, the
// contents for a length-delimited one. It rejects malformed tags and
// values, field numbers the schema does not know, the wrong wire type for
// a field, and a non-repeated field that appears twice. Schemas hold at
// most 32 fields.
func walk(b []byte, schema []wireField, visit func(num protowire.Number, x uint64, v []byte) error) error {
	var seen uint32
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("malformed tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		i := 0
		for i < len(schema) && schema[i].num != num {
			i++
		}
		if i == len(schema) {
			return fmt.Errorf("unknown field %d (wire type %d)", num, typ)
		}
		f := schema[i]
		if typ != f.typ {
			return fmt.Errorf("%s: wire type %d, want %d", f.name, typ, f.typ)
		}
		if !f.repeated && seen&(1<<i) != 0 {
			return fmt.Errorf("%s: appears twice", f.name)
		}
		seen |= 1 << i
		var x uint64
		var v []byte
		if typ == protowire.VarintType {
			x, n = protowire.ConsumeVarint(b)
		} else {
			v, n = protowire.ConsumeBytes(b)
		}
		if n < 0 {
			return fmt.Errorf("%s: %w", f.name, protowire.ParseError(n))
		}
		b = b[n:]
		if err := visit(num, x, v); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}
