package chainsync

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// MaxValidators bounds the validator sets and commits chainsync accepts,
// and so the work a relayer can make the enclave do per header: decoding,
// hashing and counting up to this many validators for any header, and
// checking up to this many signatures for one that the trusted validators
// signed. It is a tenth of CometBFT's own limit (MaxVotesCount, 10,000), at
// which one header costs a core about half a second of signature checks;
// 1,000 is ten times the Cosmos SDK's default max_validators (100) and more
// than any chain we know of runs. A chain with a larger set cannot be
// followed.
const MaxValidators = 1000

// TrustedState is what the light client trusts: a verified header and its
// validator set. Only Init, Verify and UnmarshalTrustedState produce one; its
// fields are exported for reading, and callers must treat the value and what
// it points to as immutable. It holds its own copies of the header and
// validators, never the caller's.
type TrustedState struct {
	// ChainID is the chain followed, fixed at Init.
	ChainID string
	// Header is the newest verified header with the commit that signed it.
	// Its AppHash commits to the application state after block Height-1.
	Header *SignedHeader
	// Validators is the validator set of Header (hash = Header.ValidatorsHash).
	Validators *ValidatorSet
}

// HeaderUpdate is what a relayer brings to move trust forward: a signed
// header and the validator set that claims to have signed it. Nothing in it
// is trusted; Init and Verify check all of it.
type HeaderUpdate struct {
	SignedHeader *SignedHeader
	Validators   *ValidatorSet
}

// Height returns the trusted height.
func (s TrustedState) Height() int64 { return s.Header.Height }

// Time returns the trusted header's time. It is the enclave's notion of
// "now": the only clock chainsync and its callers may rely on.
func (s TrustedState) Time() time.Time { return s.Header.Time }

// AppHash returns a copy of the trusted header's app hash: the root that
// proofs from an abci_query with prove=true at height Height()-1 verify
// against (see VerifyMembership).
func (s TrustedState) AppHash() []byte { return bytes.Clone(s.Header.AppHash) }

// Init establishes trust from the root given at init (and bound into the
// enclave's attestation).
//
// For root.Height 0, root.Hash is the genesis validator set hash: first must
// be the chain's first header (at the chain's initial height, normally 1,
// with an empty LastBlockID) whose ValidatorsHash equals root.Hash, carrying
// that validator set, with a commit signed by more than 2/3 of it.
//
// For root.Height > 0, first.SignedHeader must be the header at root.Height
// whose hash is root.Hash, carrying its own validator set (matching
// ValidatorsHash) and a commit signed by more than 2/3 of it.
//
// Init has no clock and checks no trusting period: the root is trusted
// because the operator chose it. A root older than the unbonding period is
// unsafe (see the package documentation).
func Init(chainID string, root protocol.TrustRoot, first HeaderUpdate, opts Options) (TrustedState, error) {
	if err := opts.Validate(); err != nil {
		return TrustedState{}, err
	}
	if len(chainID) == 0 || len(chainID) > maxChainIDLen {
		return TrustedState{}, fmt.Errorf("%w: chain id length %d, want 1-%d", ErrChainID, len(chainID), maxChainIDLen)
	}
	if len(root.Hash) != 32 {
		return TrustedState{}, fmt.Errorf("%w: root hash is %d bytes, want 32", ErrTrustRoot, len(root.Hash))
	}
	if root.Height > math.MaxInt64 {
		return TrustedState{}, fmt.Errorf("%w: root height %d out of range", ErrTrustRoot, root.Height)
	}
	sh, vals, err := checkUpdate(chainID, first)
	if err != nil {
		return TrustedState{}, err
	}
	if root.Height == 0 {
		if !bytes.Equal(sh.ValidatorsHash, root.Hash) {
			return TrustedState{}, fmt.Errorf("%w: header %d validators hash %X, genesis validators hash %X",
				ErrTrustRoot, sh.Height, sh.ValidatorsHash, root.Hash)
		}
		// Only the block at the chain's initial height has no previous block.
		if !sh.LastBlockID.IsZero() {
			return TrustedState{}, fmt.Errorf("%w: header %d is not the chain's first header (it has a previous block)",
				ErrTrustRoot, sh.Height)
		}
	} else {
		if sh.Height != int64(root.Height) {
			return TrustedState{}, fmt.Errorf("%w: header height %d, root height %d", ErrTrustRoot, sh.Height, root.Height)
		}
		if h := sh.Hash(); !bytes.Equal(h, root.Hash) {
			return TrustedState{}, fmt.Errorf("%w: header %d hash %X, root hash %X", ErrTrustRoot, sh.Height, h, root.Hash)
		}
	}
	if err := verifyCommit(chainID, vals, sh); err != nil {
		return TrustedState{}, err
	}
	return TrustedState{ChainID: chainID, Header: sh, Validators: vals}, nil
}

// Verify moves trust to a newer header and returns the new state; s is left
// as it was. An adjacent header (height+1) must be signed by more than 2/3
// of the validator set the trusted header named as next. A later header is
// verified by skipping: more than opts.TrustLevel of the trusted validators'
// power and more than 2/3 of its own validators' power must have signed it.
// Every signature a commit carries for the block is checked, not only enough
// of them.
//
// "Now" is the new header's own time, never the host clock: the trusted
// header must be younger than opts.TrustingPeriod at the new header's time.
// The package documentation says what that does and does not protect
// against.
//
// When the validator set changed too much for one skipping hop, or the hop
// spans more than the trusting period, the error matches
// ErrNeedIntermediate and the relayer should supply a header in between.
func (s TrustedState) Verify(u HeaderUpdate, opts Options) (TrustedState, error) {
	if err := opts.Validate(); err != nil {
		return TrustedState{}, err
	}
	if err := s.check(); err != nil {
		return TrustedState{}, err
	}
	sh, vals, err := checkUpdate(s.ChainID, u)
	if err != nil {
		return TrustedState{}, err
	}
	if err := verifyHop(s, sh, vals, sh.Time, opts); err != nil {
		return TrustedState{}, err
	}
	return TrustedState{ChainID: s.ChainID, Header: sh, Validators: vals}, nil
}

// check rejects states not produced by this package (the zero value, or
// fields swapped by hand). It is cheap; the full consistency check is
// UnmarshalTrustedState's.
func (s TrustedState) check() error {
	switch {
	case s.Header == nil || s.Header.Header == nil || s.Header.Commit == nil:
		return fmt.Errorf("%w: no header", ErrInvalidState)
	case s.Validators.empty():
		return fmt.Errorf("%w: no validators", ErrInvalidState)
	case s.ChainID == "" || s.Header.ChainID != s.ChainID:
		return fmt.Errorf("%w: chain id %q, header chain id %q", ErrInvalidState, s.ChainID, s.Header.ChainID)
	}
	return nil
}

// verifyHop checks sh (with its validators vals, already checked against
// each other by checkUpdate) against the trusted state at time now. It is the
// light client's VerifyAdjacent/VerifyNonAdjacent over CometBFT's commit
// verification, stricter in that every signature is verified.
func verifyHop(trusted TrustedState, sh *SignedHeader, vals *ValidatorSet, now time.Time, opts Options) error {
	th := trusted.Header
	if sh.Height <= th.Height {
		return fmt.Errorf("%w: height %d, trusted height %d", ErrNotNewer, sh.Height, th.Height)
	}
	if !sh.Time.After(th.Time) {
		return fmt.Errorf("%w: header %d time %v, trusted header %d time %v", ErrTimeNotAfter, sh.Height, sh.Time, th.Height, th.Time)
	}
	if !sh.Time.Before(now.Add(opts.MaxClockDrift)) {
		return fmt.Errorf("%w: header %d time %v is in the future (now %v, max drift %v)",
			ErrInvalidHeader, sh.Height, sh.Time, now, opts.MaxClockDrift)
	}
	adjacent := sh.Height == th.Height+1
	if expiry := th.Time.Add(opts.TrustingPeriod); !expiry.After(now) {
		if adjacent {
			return fmt.Errorf("%w: trusted header %d expired at %v, header %d is at %v; a new trust root is needed",
				ErrTrustExpired, th.Height, expiry, sh.Height, now)
		}
		return fmt.Errorf("%w: %w: trusted header %d expired at %v, header %d is at %v",
			ErrNeedIntermediate, ErrTrustExpired, th.Height, expiry, sh.Height, now)
	}
	if adjacent {
		if !bytes.Equal(sh.ValidatorsHash, th.NextValidatorsHash) {
			return fmt.Errorf("%w: header %d validators hash %X, trusted header %d next validators hash %X",
				ErrValidatorsHash, sh.Height, sh.ValidatorsHash, th.Height, th.NextValidatorsHash)
		}
		return verifyCommit(trusted.ChainID, vals, sh)
	}
	// Skipping. Cheapest checks first, so that a header whose validator set
	// nobody trusts costs no signature check of that set (issue 12: a
	// forged header of thousands of validators used to have all of its
	// signatures checked before the answer "need an intermediate header"):
	//
	//  1. the new set's commit must claim more than 2/3 of its power —
	//     counted from the commit's flags, no signature checked;
	//  2. the trusted validators named in it must hold more than the trust
	//     level of the trusted power — counted by address, no signature
	//     checked;
	//  3. the trusted validators' signatures, as the light client's
	//     VerifyCommitLightTrusting: at most the trusted set's size, which
	//     an attacker does not choose;
	//  4. only then every signature of the new set.
	//
	// 1 and 2 only ever reject what 3 and 4 would reject too: they are
	// counts over the same commit without the signature checks, which can
	// only lower a count. A header failing 1 is bad on its own
	// (ErrNotEnoughPower); one failing 2 is worth bisecting
	// (ErrNeedIntermediate), as light.Verify says: a header that also
	// carries bad signatures of the new set is then found out at the
	// intermediate hop, by step 4 there.
	if err := claimedPower(sh, vals); err != nil {
		return err
	}
	if got, needed := trustedClaim(trusted.Validators, sh.Commit, opts.TrustLevel); got <= needed {
		return fmt.Errorf("%w: trusted validators of header %d are named in header %d's commit with power %d, need more than %d",
			ErrNeedIntermediate, th.Height, sh.Height, got, needed)
	}
	err := verifyCommitTrusting(trusted.ChainID, trusted.Validators, sh.Commit, opts.TrustLevel)
	var short *shortError
	switch {
	case errors.As(err, &short):
		return fmt.Errorf("%w: trusted validators of header %d signed header %d with power %d, need more than %d",
			ErrNeedIntermediate, th.Height, sh.Height, short.got, short.needed)
	case err != nil:
		return fmt.Errorf("%w: header %d, by trusted validators of header %d: %v", ErrBadCommit, sh.Height, th.Height, err)
	}
	return verifyCommit(trusted.ChainID, vals, sh)
}

// claimedPower checks, without verifying any signature, that the commit
// claims more than 2/3 of vals' power: the sum over the slots flagged as
// signing the block. checkHeader made the commit one slot per validator, in
// set order. The threshold is CometBFT's (total*2/3, strictly exceeded).
func claimedPower(sh *SignedHeader, vals *ValidatorSet) error {
	var got int64
	for i, cs := range sh.Commit.Signatures {
		if cs.BlockIDFlag == BlockIDFlagCommit {
			got += vals.Validators[i].VotingPower
		}
	}
	if needed := vals.TotalVotingPower() * 2 / 3; got <= needed {
		return fmt.Errorf("%w: header %d: its commit claims power %d, need more than %d (no signature checked)",
			ErrNotEnoughPower, sh.Height, got, needed)
	}
	return nil
}

// trustedClaim sums, without verifying any signature, the power of the
// trusted validators named in commit as signing the block, each at most
// once, and returns it with the power the trust level needs (as
// VerifyCommitLightTrusting computes it: total*num/den, to be exceeded).
// Its cost is linear in the commit and the trusted set.
func trustedClaim(trusted *ValidatorSet, commit *Commit, tl Fraction) (got, needed int64) {
	power := make(map[string]int64, len(trusted.Validators))
	for _, v := range trusted.Validators {
		power[string(v.Address)] = v.VotingPower
	}
	for _, cs := range commit.Signatures {
		if cs.BlockIDFlag != BlockIDFlagCommit {
			continue
		}
		if p, ok := power[string(cs.ValidatorAddress)]; ok {
			got += p
			delete(power, string(cs.ValidatorAddress)) // count each validator once
		}
	}
	// total < 2^60 (maxTotalVotingPower) and num <= den <= 2^32
	// (Options.Validate), so the 128-bit quotient fits in 64 bits.
	hi, lo := bits.Mul64(uint64(trusted.TotalVotingPower()), tl.Numerator)
	q, _ := bits.Div64(hi, lo, tl.Denominator)
	return got, int64(q)
}

// verifyCommit checks that more than 2/3 of vals signed sh, verifying every
// signature the commit carries for the block.
func verifyCommit(chainID string, vals *ValidatorSet, sh *SignedHeader) error {
	err := verifyCommitAll(chainID, vals, sh.Commit)
	var short *shortError
	switch {
	case errors.As(err, &short):
		return fmt.Errorf("%w: header %d signed with power %d, need more than %d",
			ErrNotEnoughPower, sh.Height, short.got, short.needed)
	case err != nil:
		return fmt.Errorf("%w: header %d: %v", ErrBadCommit, sh.Height, err)
	}
	return nil
}

// checkUpdate checks the form of an untrusted update and returns private
// copies of its header and validators: it bounds sizes, re-runs the strict
// decoding checks (a round trip through the wire encoding, which also
// copies every byte), checks the header (header and commit agree, chain id)
// and that the validator set is the one the header commits to. No
// signature is checked here.
func checkUpdate(chainID string, u HeaderUpdate) (*SignedHeader, *ValidatorSet, error) {
	in := u.SignedHeader
	switch {
	case in == nil || in.Header == nil || in.Commit == nil:
		return nil, nil, fmt.Errorf("%w: missing header or commit", ErrInvalidHeader)
	case u.Validators.empty():
		return nil, nil, fmt.Errorf("%w: missing validator set", ErrInvalidHeader)
	case in.ChainID != chainID:
		return nil, nil, fmt.Errorf("%w: header %d is for chain %q, not %q", ErrChainID, in.Height, in.ChainID, chainID)
	case len(u.Validators.Validators) > MaxValidators:
		return nil, nil, fmt.Errorf("%w: %d validators exceed limit %d", ErrInvalidHeader, len(u.Validators.Validators), MaxValidators)
	case len(in.Commit.Signatures) > MaxValidators:
		return nil, nil, fmt.Errorf("%w: %d commit signatures exceed limit %d", ErrInvalidHeader, len(in.Commit.Signatures), MaxValidators)
	}
	for _, v := range u.Validators.Validators {
		if v == nil {
			return nil, nil, fmt.Errorf("%w: nil validator", ErrInvalidHeader)
		}
	}
	sh, err := DecodeSignedHeader(in.Marshal())
	if err != nil {
		return nil, nil, err
	}
	vals, err := DecodeValidatorSet(u.Validators.Marshal())
	if err != nil {
		return nil, nil, err
	}
	if err := checkHeader(chainID, sh, vals); err != nil {
		return nil, nil, err
	}
	return sh, vals, nil
}

// checkHeader checks a decoded header and validator set against each
// other: the cross-checks of CometBFT's SignedHeader.ValidateBasic (chain
// id, the commit is for this header's height and hash), distinct
// validators, one commit slot per validator, and the set's hash.
func checkHeader(chainID string, sh *SignedHeader, vals *ValidatorSet) error {
	switch {
	case sh.ChainID != chainID:
		return fmt.Errorf("%w: header belongs to chain %q, not %q", ErrInvalidHeader, sh.ChainID, chainID)
	case sh.Commit.Height != sh.Height:
		return fmt.Errorf("%w: header height %d, commit height %d", ErrInvalidHeader, sh.Height, sh.Commit.Height)
	}
	if h := sh.Hash(); !bytes.Equal(h, sh.Commit.BlockID.Hash) {
		return fmt.Errorf("%w: commit signs block %X, header is block %X", ErrInvalidHeader, sh.Commit.BlockID.Hash, h)
	}
	seen := make(map[string]struct{}, len(vals.Validators))
	for i, v := range vals.Validators {
		if _, dup := seen[string(v.Address)]; dup {
			return fmt.Errorf("%w: validator #%d (%X) appears twice", ErrInvalidHeader, i, v.Address)
		}
		seen[string(v.Address)] = struct{}{}
	}
	if len(sh.Commit.Signatures) != len(vals.Validators) {
		return fmt.Errorf("%w: commit has %d signatures for %d validators", ErrInvalidHeader, len(sh.Commit.Signatures), len(vals.Validators))
	}
	if h := vals.Hash(); !bytes.Equal(sh.ValidatorsHash, h) {
		return fmt.Errorf("%w: header %d commits to validators %X, supplied set hashes to %X",
			ErrValidatorsHash, sh.Height, sh.ValidatorsHash, h)
	}
	return nil
}
