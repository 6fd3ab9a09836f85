package chainsync

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// zip215 are the ed25519 verification rules CometBFT v0.38 uses (its
// crypto/ed25519 verifies with ZIP-215), so that a signature is valid here
// exactly when it is valid to the chain's validators.
var zip215 = &ed25519.Options{Verify: ed25519.VerifyOptionsZIP_215}

// shortError says a commit's verified signatures add up to too little
// power: got, where more than needed is required.
type shortError struct{ got, needed int64 }

func (e *shortError) Error() string {
	return fmt.Sprintf("signed with power %d, need more than %d", e.got, e.needed)
}

// badSignature is a signature that fails ed25519 verification, or is not an
// ed25519 signature's size.
func badSignature(idx int, sig []byte) error {
	return fmt.Errorf("wrong signature (#%d): %X", idx, sig)
}

// pending is a signature to check and the validator key it must verify with.
type pending struct {
	idx    int
	pubKey []byte
}

// batchContext separates the seed of the batch verifier's scalars from
// every other hash in the system.
const batchContext = "gatekeeper/chainsync/ed25519-batch/v1"

// checkPending verifies the collected signatures and returns the first, in
// commit order, that fails. Two or more are batch-verified first, as
// CometBFT does; only if the batch fails is each verified on its own to
// find the culprit. Under ZIP-215 a batch verifies exactly when every
// signature in it does, whatever the batch scalars, except with
// probability about 2^-128 over their choice. The scalars are derived from
// a hash of everything in the batch instead of drawn at random, which keeps
// verification deterministic (no randomness, see the package
// documentation); a forger who wanted a bad signature to pass would have to
// find a batch whose own hash gives scalars cancelling its error, which is
// as hard as that 2^-128 chance.
func checkPending(chainID string, c *Commit, ps []pending) error {
	msgs := make([][]byte, len(ps))
	for i, p := range ps {
		msgs[i] = voteSignBytes(chainID, c, p.idx)
	}
	if len(ps) >= 2 {
		bv := ed25519.NewBatchVerifierWithCapacity(len(ps))
		seed := sha256.New()
		seed.Write([]byte(batchContext))
		for i, p := range ps {
			sig := c.Signatures[p.idx].Signature
			bv.AddWithOptions(p.pubKey, msgs[i], sig, zip215)
			for _, f := range [][]byte{p.pubKey, sig, msgs[i]} {
				seed.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
				seed.Write(f)
			}
		}
		if bv.VerifyBatchOnly(bytes.NewReader(seed.Sum(nil))) {
			return nil
		}
	}
	for i, p := range ps {
		sig := c.Signatures[p.idx].Signature
		if !ed25519.VerifyWithOptions(p.pubKey, msgs[i], sig, zip215) {
			return badSignature(p.idx, sig)
		}
	}
	return nil
}

// verifyCommitAll checks that more than 2/3 of vals' power signed c for the
// block c names, verifying every signature flagged as for the block, as
// CometBFT's VerifyCommitLightAllSignatures(chainID, vals, c.BlockID,
// c.Height, c). vals and c are laid out slot for slot. Slots flagged absent
// or nil are neither verified nor counted.
//
// The order of the checks is CometBFT's: with two or more slots it batches,
// so it sums the power first and reports too little power before any bad
// signature; with one slot it verifies as it goes. The verdict is the same
// either way; the order decides only which error a bad, short commit gets.
// A *shortError reports too little power.
func verifyCommitAll(chainID string, vals *ValidatorSet, c *Commit) error {
	if len(vals.Validators) != len(c.Signatures) {
		return fmt.Errorf("commit has %d signatures for %d validators", len(c.Signatures), len(vals.Validators))
	}
	batched := len(c.Signatures) >= 2
	needed := vals.TotalVotingPower() * 2 / 3
	var got int64
	var ps []pending
	for idx, cs := range c.Signatures {
		if cs.BlockIDFlag != BlockIDFlagCommit {
			continue
		}
		val := vals.Validators[idx]
		if !bytes.Equal(val.Address, cs.ValidatorAddress) {
			return fmt.Errorf("validator address mismatch at index %d: expected %X, got %X", idx, val.Address, cs.ValidatorAddress)
		}
		if len(cs.Signature) != signatureLen {
			return badSignature(idx, cs.Signature)
		}
		p := pending{idx, val.PubKey}
		if batched {
			ps = append(ps, p)
		} else if err := checkPending(chainID, c, []pending{p}); err != nil {
			return err
		}
		got += val.VotingPower
	}
	if got <= needed {
		return &shortError{got, needed}
	}
	return checkPending(chainID, c, ps)
}

// verifyCommitTrusting checks that more than trustLevel of trusted's power
// signed c, as CometBFT's VerifyCommitLightTrusting: trusted need not be
// c's validator set, so slots are matched to trusted validators by address,
// slots of validators outside trusted are skipped, a trusted validator in
// two slots is an error, and verification stops once the power suffices
// (only the signatures counted so far are checked). The order of the checks
// is verifyCommitAll's. A *shortError reports too little power.
func verifyCommitTrusting(chainID string, trusted *ValidatorSet, c *Commit, tl Fraction) error {
	total := trusted.TotalVotingPower()
	hi, product := bits.Mul64(uint64(total), tl.Numerator)
	if hi != 0 || product > 1<<63-1 {
		return fmt.Errorf("int64 overflow computing the power needed for trust level %d/%d", tl.Numerator, tl.Denominator)
	}
	needed := int64(product) / int64(tl.Denominator)
	byAddr := make(map[string]int, len(trusted.Validators))
	for i, v := range trusted.Validators {
		byAddr[string(v.Address)] = i
	}
	seen := make(map[int]int, len(trusted.Validators))
	batched := len(c.Signatures) >= 2
	var got int64
	var ps []pending
	for idx, cs := range c.Signatures {
		if cs.BlockIDFlag != BlockIDFlagCommit {
			continue
		}
		vi, ok := byAddr[string(cs.ValidatorAddress)]
		if !ok {
			continue
		}
		if first, dup := seen[vi]; dup {
			return fmt.Errorf("double vote from validator %X (%d and %d)", cs.ValidatorAddress, first, idx)
		}
		seen[vi] = idx
		val := trusted.Validators[vi]
		if len(cs.Signature) != signatureLen {
			return badSignature(idx, cs.Signature)
		}
		p := pending{idx, val.PubKey}
		if batched {
			ps = append(ps, p)
		} else if err := checkPending(chainID, c, []pending{p}); err != nil {
			return err
		}
		got += val.VotingPower
		if got > needed {
			break
		}
	}
	if got <= needed {
		return &shortError{got, needed}
	}
	return checkPending(chainID, c, ps)
}
