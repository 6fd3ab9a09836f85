package chainsync

import "errors"

// Errors that callers branch on. They are returned wrapped with detail (the
// heights, the field at fault); test them with errors.Is. Where one condition
// refines another the error matches both: ErrNotEnoughPower also matches
// ErrBadCommit, ErrMalformedHeader also matches ErrInvalidHeader, ErrMalformedProof also matches ErrBadProof, and a hop whose
// trusted validators signed too little matches ErrNeedIntermediate.
var (
	// ErrInvalidOptions means an Options field is out of range.
	ErrInvalidOptions = errors.New("chainsync: invalid options")
	// ErrInvalidState means a TrustedState is empty or internally
	// inconsistent (not produced by Init, Verify or UnmarshalTrustedState).
	ErrInvalidState = errors.New("chainsync: invalid trusted state")
	// ErrTrustRoot means the first header does not match the trust root
	// given at init (wrong validator set hash, height or header hash).
	ErrTrustRoot = errors.New("chainsync: header does not match trust root")
	// ErrChainID means the header belongs to another chain.
	ErrChainID = errors.New("chainsync: wrong chain id")
	// ErrInvalidHeader means the header, commit or validator set is
	// malformed or exceeds a bound.
	ErrInvalidHeader = errors.New("chainsync: invalid header")
	// ErrMalformedHeader refines ErrInvalidHeader: the bytes of a signed
	// header or validator set do not decode strictly (DecodeSignedHeader,
	// DecodeValidatorSet).
	ErrMalformedHeader error = &refinedError{msg: "chainsync: malformed header encoding", parent: ErrInvalidHeader}
	// ErrValidatorsHash means the validator set supplied with a header is not
	// the one the header commits to, or (for an adjacent header) not the one
	// the trusted header named as next.
	ErrValidatorsHash = errors.New("chainsync: validator set hash mismatch")
	// ErrNotNewer means the header's height is not above the trusted height.
	// A relayer re-sending the trusted header gets this; callers may ignore it.
	ErrNotNewer = errors.New("chainsync: header is not newer than trusted header")
	// ErrTimeNotAfter means the header's time is not after the trusted
	// header's time, though its height is greater.
	ErrTimeNotAfter = errors.New("chainsync: header time is not after trusted time")
	// ErrBadCommit means the header's commit does not carry valid signatures
	// of more than 2/3 of the header's own validator set: a signature fails,
	// a validator signs twice, or the commit is for another block.
	ErrBadCommit = errors.New("chainsync: commit does not verify")
	// ErrNotEnoughPower refines ErrBadCommit: every signature verified but
	// they add up to 2/3 of the voting power or less.
	ErrNotEnoughPower error = &refinedError{msg: "chainsync: not enough voting power signed", parent: ErrBadCommit}
	// ErrTrustExpired means the trusted header is older than the trusting
	// period, measured at the new header's time. For a skipping hop it also
	// matches ErrNeedIntermediate: a header in between shortens the hop.
	// For an adjacent hop nothing can help; the runtime needs a new trust root.
	ErrTrustExpired = errors.New("chainsync: trusted header expired")
	// ErrNeedIntermediate means the hop is too long for skipping
	// verification: the trusted validators hold less than the trust level of
	// the power that signed the new header (the set changed too much), or the
	// hop spans more than the trusting period. The relayer must supply a
	// header in between (bisection happens in the relayer).
	ErrNeedIntermediate = errors.New("chainsync: need an intermediate header")
	// ErrMalformedState means checkpoint bytes do not decode strictly.
	ErrMalformedState = errors.New("chainsync: malformed trusted state encoding")
	// ErrBadProof means a state proof does not prove the claim against the
	// app hash.
	ErrBadProof = errors.New("chainsync: state proof does not verify")
	// ErrMalformedIngress means a bulk of raw ingress entries does not parse
	// (DecodeIngressEntries) or a range's bounds are inconsistent.
	ErrMalformedIngress = errors.New("chainsync: malformed ingress entries")
	// ErrIngressExtra means a range holds more entries than the proven
	// head covers.
	ErrIngressExtra = errors.New("chainsync: more ingress entries than the proven head covers")
	// ErrIngressMissing means an entry of the range is absent: fewer entries
	// than the proven head covers, or an index the range must hold that no
	// entry carries.
	ErrIngressMissing = errors.New("chainsync: ingress entry missing")
	// ErrIngressReordered means the range holds exactly its entries, but
	// not in index order.
	ErrIngressReordered = errors.New("chainsync: ingress entries out of order")
	// ErrIngressTampered means the entries do not hash to the proven head
	// though each index is present once and in order: an entry's bytes
	// were changed.
	ErrIngressTampered = errors.New("chainsync: ingress entries do not match the proven head")
	// ErrMalformedProof refines ErrBadProof: the proof or an argument is not
	// of the expected form or exceeds a size bound.
	ErrMalformedProof error = &refinedError{msg: "chainsync: malformed state proof", parent: ErrBadProof}
	// ErrBadEntry means a proven ingress entry does not decode or its
	// message's sequence is not its index.
	ErrBadEntry = errors.New("chainsync: invalid ingress entry")
)

// refinedError is a sentinel that also matches a coarser one, so callers may
// branch coarsely or finely.
type refinedError struct {
	msg    string
	parent error
}

func (e *refinedError) Error() string { return e.msg }

// Is reports whether target is the coarser sentinel this one refines.
func (e *refinedError) Is(target error) bool { return target == e.parent }
