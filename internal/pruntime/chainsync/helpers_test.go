package chainsync_test

import (
	"crypto/sha256"
	"fmt"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// testChainID is the chain every test follows unless it tests chain ids.
const testChainID = "gatekeeper-test-1"

// genesisTime is the time of every test chain's first header.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// blockInterval is the header time step of test chains.
const blockInterval = 5 * time.Second

// valSet is a validator set with its private keys. Keys are derived from a
// seed, so tests are deterministic and distinct seeds give disjoint sets.
type valSet struct {
	set  *cmttypes.ValidatorSet
	keys map[string]cmtcrypto.PrivKey // by address
}

// newValSet returns n validators of equal power 10 derived from seed.
func newValSet(seed string, n int) valSet {
	keys := make([]cmtcrypto.PrivKey, n)
	for i := range keys {
		keys[i] = cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "%s/%d", seed, i))
	}
	return valSetOf(keys...)
}

// valSetOf returns a set of the given keys, each with power 10.
func valSetOf(keys ...cmtcrypto.PrivKey) valSet {
	vs := valSet{keys: make(map[string]cmtcrypto.PrivKey, len(keys))}
	vals := make([]*cmttypes.Validator, len(keys))
	for i, k := range keys {
		vals[i] = cmttypes.NewValidator(k.PubKey(), 10)
		vs.keys[string(k.PubKey().Address())] = k
	}
	vs.set = cmttypes.NewValidatorSet(vals)
	return vs
}

// privKeys returns the set's keys in validator set order.
func (vs valSet) privKeys() []cmtcrypto.PrivKey {
	out := make([]cmtcrypto.PrivKey, len(vs.set.Validators))
	for i, v := range vs.set.Validators {
		out[i] = vs.keys[string(v.Address)]
	}
	return out
}

// hdr describes a header to build and sign.
type hdr struct {
	chainID   string
	height    int64
	time      time.Time
	vals      valSet // the header's validators; they sign
	next      valSet // the next height's validators
	appHash   []byte
	lastBlock cmttypes.BlockID
	// signers is how many of vals sign, in set order; 0 means all.
	signers int
	// forgeWith, when set, signs in place of vals' keys: a forgery.
	forgeWith valSet
}

// build returns the signed header with its validator set as chainsync's
// types. It never fails: every input is made by the tests.
func (h hdr) build() chainsync.HeaderUpdate {
	sh, vals := h.buildCmt()
	return chainsync.HeaderUpdate{SignedHeader: oursSH(sh), Validators: oursVals(vals)}
}

// buildCmt returns the signed header with its validator set as CometBFT's
// types.
func (h hdr) buildCmt() (*cmttypes.SignedHeader, *cmttypes.ValidatorSet) {
	if h.chainID == "" {
		h.chainID = testChainID
	}
	if h.next.set == nil {
		h.next = h.vals
	}
	if h.appHash == nil {
		h.appHash = hash32("app", h.height)
	}
	header := &cmttypes.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
		ChainID:            h.chainID,
		Height:             h.height,
		Time:               h.time,
		LastBlockID:        h.lastBlock,
		LastCommitHash:     hash32("last commit", h.height),
		DataHash:           hash32("data", h.height),
		ValidatorsHash:     h.vals.set.Hash(),
		NextValidatorsHash: h.next.set.Hash(),
		ConsensusHash:      hash32("consensus", 0),
		AppHash:            h.appHash,
		LastResultsHash:    hash32("results", h.height),
		EvidenceHash:       hash32("evidence", h.height),
		ProposerAddress:    h.vals.set.Validators[0].Address,
	}
	bh := header.Hash()
	commit := &cmttypes.Commit{
		Height:  h.height,
		BlockID: cmttypes.BlockID{Hash: bh, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: hash32("parts", h.height)}},
	}
	signers := h.signers
	if signers == 0 {
		signers = len(h.vals.set.Validators)
	}
	keys := h.vals.privKeys()
	if h.forgeWith.set != nil {
		keys = h.forgeWith.privKeys()
	}
	for i, v := range h.vals.set.Validators {
		if i >= signers {
			commit.Signatures = append(commit.Signatures, cmttypes.NewCommitSigAbsent())
			continue
		}
		commit.Signatures = append(commit.Signatures, cmttypes.CommitSig{
			BlockIDFlag:      cmttypes.BlockIDFlagCommit,
			ValidatorAddress: v.Address,
			Timestamp:        h.time.Add(time.Duration(i+1) * time.Millisecond),
		})
	}
	for i := range signers {
		sig, err := keys[i%len(keys)].Sign(commit.VoteSignBytes(h.chainID, int32(i)))
		if err != nil {
			panic(err)
		}
		commit.Signatures[i].Signature = sig
	}
	return &cmttypes.SignedHeader{Header: header, Commit: commit}, h.vals.set
}

// testChain is a chain of signed headers; headers[i] is at height i+1.
type testChain struct {
	headers []chainsync.HeaderUpdate
}

// newTestChain builds heights 1..n; valsAt gives each height's validators.
// Header times step by blockInterval from genesisTime.
func newTestChain(chainID string, n int64, valsAt func(height int64) valSet) testChain {
	var c testChain
	var last cmttypes.BlockID
	for h := int64(1); h <= n; h++ {
		sh, vals := hdr{
			chainID:   chainID,
			height:    h,
			time:      timeAt(h),
			vals:      valsAt(h),
			next:      valsAt(h + 1),
			lastBlock: last,
		}.buildCmt()
		last = sh.Commit.BlockID
		c.headers = append(c.headers, chainsync.HeaderUpdate{SignedHeader: oursSH(sh), Validators: oursVals(vals)})
	}
	return c
}

// at returns the header at height h.
func (c testChain) at(h int64) chainsync.HeaderUpdate { return c.headers[h-1] }

// timeAt is the time of a test chain's header at height h.
func timeAt(h int64) time.Time { return genesisTime.Add(time.Duration(h-1) * blockInterval) }

// constantVals returns a valsAt function for an unchanging set.
func constantVals(vs valSet) func(int64) valSet { return func(int64) valSet { return vs } }

// rotateAt returns a valsAt function that switches from a to b at height h.
func rotateAt(h int64, a, b valSet) func(int64) valSet {
	return func(height int64) valSet {
		if height < h {
			return a
		}
		return b
	}
}

func hash32(label string, n int64) []byte {
	s := sha256.Sum256(fmt.Appendf(nil, "%s/%d", label, n))
	return s[:]
}
