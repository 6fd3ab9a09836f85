package chainsync_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// field appends one length-delimited field.
func field(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

// varintField appends one varint field.
func varintField(b []byte, num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

// freshUpdate is a private copy of a valid header update to break.
func freshUpdate(t *testing.T) chainsync.HeaderUpdate {
	t.Helper()
	u := chainA.at(3)
	out, err := chainsync.DecodeHeaderUpdate(u.SignedHeader.Marshal(), u.Validators.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeSignedHeaderRejects(t *testing.T) {
	t.Parallel()
	good := chainA.at(3).SignedHeader.Marshal()
	_, _, n := protowire.ConsumeTag(good)
	headerMsg, m := protowire.ConsumeBytes(good[n:])
	commitField := good[n+m:]
	_, _, n2 := protowire.ConsumeTag(commitField)
	commitMsg, _ := protowire.ConsumeBytes(commitField[n2:])
	edit := func(f func(sh *chainsync.SignedHeader)) []byte {
		sh := freshUpdate(t).SignedHeader
		f(sh)
		return sh.Marshal()
	}
	cases := []struct {
		name string
		b    []byte
		want string // in the error message
	}{
		{"unknown field", varintField(bytes.Clone(good), 99, 1), "unknown field 99"},
		{"header twice", field(bytes.Clone(good), 1, headerMsg), "header: appears twice"},
		{"header as a varint", varintField(nil, 1, 5), "header: wire type 0, want 2"},
		{"missing commit", field(nil, 1, headerMsg), "commit is missing"},
		{"missing header", field(nil, 2, commitMsg), "header is missing"},
		{"truncated", good[:len(good)-1], "unexpected EOF"},
		{"commit before header", field(field(nil, 2, commitMsg), 1, headerMsg), "not the canonical encoding"},
		{"zero written out", append(field(nil, 1, varintField(bytes.Clone(headerMsg), 3, 0)), commitField...), "height: appears twice"},
		{"oversized", make([]byte, chainsync.MaxEncodedLen+1), "exceed limit"},
		{"block protocol", edit(func(sh *chainsync.SignedHeader) { sh.Version.Block = 10 }), "block protocol 10"},
		{"zero height", edit(func(sh *chainsync.SignedHeader) { sh.Height = 0 }), "height 0"},
		{"short data hash", edit(func(sh *chainsync.SignedHeader) { sh.DataHash = sh.DataHash[:31] }), "data hash: 31 bytes"},
		{"short proposer address", edit(func(sh *chainsync.SignedHeader) { sh.ProposerAddress = sh.ProposerAddress[:19] }), "proposer address is 19 bytes"},
		{"long chain id", edit(func(sh *chainsync.SignedHeader) { sh.ChainID = strings.Repeat("c", 51) }), "chain_id: 51 bytes exceed 50"},
		{"time beyond year 9999", edit(func(sh *chainsync.SignedHeader) { sh.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "seconds 253402300800 out of range"},
		{"short last block id hash", edit(func(sh *chainsync.SignedHeader) { sh.LastBlockID.Hash = []byte{1} }), "last_block_id: hash: 1 bytes"},
		{"commit for the nil block", edit(func(sh *chainsync.SignedHeader) { sh.Commit.BlockID = chainsync.BlockID{} }), "commit for the nil block"},
		{"negative round", edit(func(sh *chainsync.SignedHeader) { sh.Commit.Round = -1 }), "negative round"},
		{"no signatures", edit(func(sh *chainsync.SignedHeader) { sh.Commit.Signatures = nil }), "no signatures"},
		{"unknown flag", edit(func(sh *chainsync.SignedHeader) { sh.Commit.Signatures[0].BlockIDFlag = 4 }), "signatures: #0: block_id_flag: unknown flag 4"},
		{"absent with a signature", edit(func(sh *chainsync.SignedHeader) { sh.Commit.Signatures[1].BlockIDFlag = chainsync.BlockIDFlagAbsent }), "absent vote has a validator address"},
		{"signature too long", edit(func(sh *chainsync.SignedHeader) { sh.Commit.Signatures[2].Signature = make([]byte, 65) }), "signature of 65 bytes exceeds 64"},
		{"nil vote without signature", edit(func(sh *chainsync.SignedHeader) {
			sh.Commit.Signatures[0].BlockIDFlag, sh.Commit.Signatures[0].Signature = chainsync.BlockIDFlagNil, nil
		}), "signature is missing"},
		{"over MaxValidators signatures", edit(func(sh *chainsync.SignedHeader) {
			sh.Commit.Signatures = make([]chainsync.CommitSig, chainsync.MaxValidators+1)
			for i := range sh.Commit.Signatures {
				sh.Commit.Signatures[i] = chainsync.CommitSig{BlockIDFlag: chainsync.BlockIDFlagAbsent, Timestamp: time.Time{}}
			}
		}), "more than 1000 signatures"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sh, err := chainsync.DecodeSignedHeader(tc.b)
			if !errors.Is(err, chainsync.ErrMalformedHeader) || !errors.Is(err, chainsync.ErrInvalidHeader) || sh != nil {
				t.Fatalf("DecodeSignedHeader: %v, want ErrMalformedHeader", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestDecodeValidatorSetRejects(t *testing.T) {
	t.Parallel()
	edit := func(f func(vs *chainsync.ValidatorSet)) []byte {
		vs := freshUpdate(t).Validators
		f(vs)
		return vs.Marshal()
	}
	v0 := freshUpdate(t).Validators.Validators[0]
	secp := field(nil, 1, v0.Address)
	secp = field(secp, 2, field(nil, 2, make([]byte, 33)))
	secp = varintField(secp, 3, 10)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"secp256k1 key", field(nil, 1, secp), "refused: chainsync accepts ed25519 keys only"},
		{"short key", edit(func(vs *chainsync.ValidatorSet) { vs.Validators[1].PubKey = vs.Validators[1].PubKey[:31] }), "#1: ed25519 public key is 31 bytes"},
		{"empty key", edit(func(vs *chainsync.ValidatorSet) { vs.Validators[1].PubKey = nil }), "#1: ed25519 public key is 0 bytes"},
		{"key of no type", field(nil, 1, field(field(nil, 1, v0.Address), 2, nil)), "#0: no ed25519 public key"},
		{"address not derived from key", edit(func(vs *chainsync.ValidatorSet) { vs.Validators[2].Address = vs.Validators[1].Address }), "#2: address"},
		{"negative power", edit(func(vs *chainsync.ValidatorSet) { vs.Validators[0].VotingPower = -1 }), "negative voting power"},
		{"total power too large", edit(func(vs *chainsync.ValidatorSet) {
			vs.Validators[0].VotingPower, vs.Validators[1].VotingPower = 1<<59, 1<<59
		}), "total voting power exceeds"},
		{"proposer not in set", edit(func(vs *chainsync.ValidatorSet) {
			vs.Proposer = freshUpdate(t).Validators.Validators[0]
			vs.Validators = vs.Validators[1:]
		}), "proposer"},
		{"no proposer", edit(func(vs *chainsync.ValidatorSet) { vs.Proposer = nil }), "proposer is missing"},
		{"no validators", nil, "no validators"},
		{"total power written", varintField(freshUpdate(t).Validators.Marshal(), 3, 40), "total_voting_power: is set"},
		{"over MaxValidators", edit(func(vs *chainsync.ValidatorSet) {
			for len(vs.Validators) <= chainsync.MaxValidators {
				vs.Validators = append(vs.Validators, vs.Validators[0])
			}
		}), "more than 1000 validators"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs, err := chainsync.DecodeValidatorSet(tc.b)
			if !errors.Is(err, chainsync.ErrMalformedHeader) || vs != nil {
				t.Fatalf("DecodeValidatorSet: %v, want ErrMalformedHeader", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestChainAllowsOnlyEd25519 pins the assumption behind refusing other key
// types: the chain runs with CometBFT's default consensus parameters (the
// devnet and app genesis do not set validator pub_key_types), which allow
// ed25519 validator keys only, so no validator set of the chain carries
// another type.
func TestChainAllowsOnlyEd25519(t *testing.T) {
	t.Parallel()
	if got := cmttypes.DefaultConsensusParams().Validator.PubKeyTypes; len(got) != 1 || got[0] != cmttypes.ABCIPubKeyTypeEd25519 {
		t.Fatalf("CometBFT's default validator key types are %v; chainsync verifies ed25519 only", got)
	}
}
