package chainsync_test

import (
	"bytes"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtmath "github.com/cometbft/cometbft/libs/math"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// The converters copy values field by field between CometBFT's types and
// chainsync's, without encoding or checking anything: tests build fixtures
// with CometBFT (including malformed ones) and hand CometBFT's verifier
// what chainsync holds. That they bypass the wire format makes them an
// independent check of the decoders (TestDecodeMatchesCometBFT).

func oursBlockID(id cmttypes.BlockID) chainsync.BlockID {
	return chainsync.BlockID{
		Hash:          bytes.Clone(id.Hash),
		PartSetHeader: chainsync.PartSetHeader{Total: id.PartSetHeader.Total, Hash: bytes.Clone(id.PartSetHeader.Hash)},
	}
}

func cmtBlockID(id chainsync.BlockID) cmttypes.BlockID {
	return cmttypes.BlockID{
		Hash:          bytes.Clone(id.Hash),
		PartSetHeader: cmttypes.PartSetHeader{Total: id.PartSetHeader.Total, Hash: bytes.Clone(id.PartSetHeader.Hash)},
	}
}

func oursSH(sh *cmttypes.SignedHeader) *chainsync.SignedHeader {
	if sh == nil {
		return nil
	}
	out := &chainsync.SignedHeader{}
	if h := sh.Header; h != nil {
		out.Header = &chainsync.Header{
			Version:            chainsync.Version{Block: h.Version.Block, App: h.Version.App},
			ChainID:            h.ChainID,
			Height:             h.Height,
			Time:               h.Time,
			LastBlockID:        oursBlockID(h.LastBlockID),
			LastCommitHash:     bytes.Clone(h.LastCommitHash),
			DataHash:           bytes.Clone(h.DataHash),
			ValidatorsHash:     bytes.Clone(h.ValidatorsHash),
			NextValidatorsHash: bytes.Clone(h.NextValidatorsHash),
			ConsensusHash:      bytes.Clone(h.ConsensusHash),
			AppHash:            bytes.Clone(h.AppHash),
			LastResultsHash:    bytes.Clone(h.LastResultsHash),
			EvidenceHash:       bytes.Clone(h.EvidenceHash),
			ProposerAddress:    bytes.Clone(h.ProposerAddress),
		}
	}
	if c := sh.Commit; c != nil {
		out.Commit = &chainsync.Commit{Height: c.Height, Round: c.Round, BlockID: oursBlockID(c.BlockID)}
		for _, cs := range c.Signatures {
			out.Commit.Signatures = append(out.Commit.Signatures, chainsync.CommitSig{
				BlockIDFlag:      chainsync.BlockIDFlag(cs.BlockIDFlag),
				ValidatorAddress: bytes.Clone(cs.ValidatorAddress),
				Timestamp:        cs.Timestamp,
				Signature:        bytes.Clone(cs.Signature),
			})
		}
	}
	return out
}

func cmtSH(sh *chainsync.SignedHeader) *cmttypes.SignedHeader {
	if sh == nil {
		return nil
	}
	out := &cmttypes.SignedHeader{}
	if h := sh.Header; h != nil {
		out.Header = &cmttypes.Header{
			Version:            cmtversion.Consensus{Block: h.Version.Block, App: h.Version.App},
			ChainID:            h.ChainID,
			Height:             h.Height,
			Time:               h.Time,
			LastBlockID:        cmtBlockID(h.LastBlockID),
			LastCommitHash:     bytes.Clone(h.LastCommitHash),
			DataHash:           bytes.Clone(h.DataHash),
			ValidatorsHash:     bytes.Clone(h.ValidatorsHash),
			NextValidatorsHash: bytes.Clone(h.NextValidatorsHash),
			ConsensusHash:      bytes.Clone(h.ConsensusHash),
			AppHash:            bytes.Clone(h.AppHash),
			LastResultsHash:    bytes.Clone(h.LastResultsHash),
			EvidenceHash:       bytes.Clone(h.EvidenceHash),
			ProposerAddress:    bytes.Clone(h.ProposerAddress),
		}
	}
	if c := sh.Commit; c != nil {
		out.Commit = &cmttypes.Commit{Height: c.Height, Round: c.Round, BlockID: cmtBlockID(c.BlockID)}
		for _, cs := range c.Signatures {
			out.Commit.Signatures = append(out.Commit.Signatures, cmttypes.CommitSig{
				BlockIDFlag:      cmttypes.BlockIDFlag(cs.BlockIDFlag),
				ValidatorAddress: bytes.Clone(cs.ValidatorAddress),
				Timestamp:        cs.Timestamp,
				Signature:        bytes.Clone(cs.Signature),
			})
		}
	}
	return out
}

func oursVal(v *cmttypes.Validator) *chainsync.Validator {
	if v == nil {
		return nil
	}
	return &chainsync.Validator{
		Address:          bytes.Clone(v.Address),
		PubKey:           bytes.Clone(v.PubKey.Bytes()),
		VotingPower:      v.VotingPower,
		ProposerPriority: v.ProposerPriority,
	}
}

func cmtVal(v *chainsync.Validator) *cmttypes.Validator {
	if v == nil {
		return nil
	}
	return &cmttypes.Validator{
		Address:          bytes.Clone(v.Address),
		PubKey:           cmted25519.PubKey(bytes.Clone(v.PubKey)),
		VotingPower:      v.VotingPower,
		ProposerPriority: v.ProposerPriority,
	}
}

func oursVals(vs *cmttypes.ValidatorSet) *chainsync.ValidatorSet {
	if vs == nil {
		return nil
	}
	out := &chainsync.ValidatorSet{Proposer: oursVal(vs.Proposer)}
	for _, v := range vs.Validators {
		out.Validators = append(out.Validators, oursVal(v))
	}
	return out
}

func cmtVals(vs *chainsync.ValidatorSet) *cmttypes.ValidatorSet {
	if vs == nil {
		return nil
	}
	out := &cmttypes.ValidatorSet{Proposer: cmtVal(vs.Proposer)}
	for _, v := range vs.Validators {
		out.Validators = append(out.Validators, cmtVal(v))
	}
	return out
}

func cmtFraction(f chainsync.Fraction) cmtmath.Fraction {
	return cmtmath.Fraction{Numerator: f.Numerator, Denominator: f.Denominator}
}
