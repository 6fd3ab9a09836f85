// Package chainsync is the enclave's verified view of the chain: a CometBFT
// light client that moves trust from header to header, and ICS23 verifiers
// that prove state — above all the ingress log — against a verified app
// hash. It is part of the pRuntime's trusted computing base. Everything the
// pRuntime acts on passes through here first (DESIGN.md §11, invariant 1).
//
// # What is trusted
//
//   - The trust root given at init (protocol.TrustRoot): the genesis
//     validator set hash, or the hash of a header at a given height. The
//     operator chooses it out of band and it is bound into the enclave's
//     attestation, so the chain and anyone auditing it can see which chain
//     the enclave follows.
//   - The BFT assumption, as every light client: for every validator set
//     chainsync trusts, less than 1/3 of its voting power is faulty during
//     the trusting period after the header that introduced it.
//   - The code: chainsync's own decoding of headers, commits and validator
//     sets (protowire), its header and validator set hashes and vote sign
//     bytes, and its commit verification (see "Equivalence with CometBFT"
//     below); ICS23 proof verification; SHA-256; ed25519 as implemented by
//     curve25519-voi. chainsync links no CometBFT, gogoproto or gRPC code,
//     no RPC client, p2p stack or database, and nothing of the Cosmos SDK or
//     of the chain: its dependency test is an allow-list of modules
//     (deps_test.go), as is the enclave's (cmd/pruntime).
//
// Everything else — headers, commits, validator sets, proofs, values, and
// the order and timing in which they arrive — comes from the relayer and the
// host, which are adversaries.
//
// # Headers
//
// Init accepts the first header only if it matches the trust root and more
// than 2/3 of its own validators signed it. Verify then moves trust forward,
// one hop at a time, to any newer header of the same chain:
//
//   - adjacent (height h+1): the header's validator set must be the one the
//     trusted header named as next, and more than 2/3 of it must have signed;
//   - skipping (height > h+1): more than TrustLevel (1/3) of the trusted
//     validator set's power must have signed the new header — so at least
//     one correct validator vouches for it — and more than 2/3 of the new
//     header's own validators.
//
// A skipping hop is checked cheapest first, because the new validator set
// is the relayer's choice: that its commit claims more than 2/3 of its
// power and that the trusted validators named in it hold more than the
// trust level (both counted, no signature checked); then the trusted
// validators' signatures (at most the trusted set's size); only then every
// signature of the new set. A header that the trusted set did not sign
// therefore costs decoding, hashing and counting, never a signature check
// of the set it brings, however large (up to MaxValidators).
//
// Both also require a well-formed header of the right chain id whose commit
// is for exactly this header, a strictly greater height and a strictly later
// time, and a supplied validator set that hashes to the header's
// ValidatorsHash. Every signature a commit carries for the block is checked,
// not only the first 2/3; a commit carrying any bad signature is rejected.
//
// When the validator set has changed so much that the trusted validators
// signed too little of the new header, Verify returns an error matching
// ErrNeedIntermediate. Bisection — finding a header in between — is the
// relayer's job; the enclave only verifies hops, so its cost is a few
// signature checks per hop however many blocks it skips, and catch-up cost
// scales with the number of ingress messages, not blocks (DESIGN.md §5).
//
// # Equivalence with CometBFT
//
// chainsync verifies headers exactly as CometBFT's light client would,
// without linking CometBFT (whose types package pulls gRPC, testify and
// YAML into the enclave). What it carries over, written anew from CometBFT
// v0.38's definitions:
//
//   - Decoding (DecodeSignedHeader, DecodeValidatorSet): the protobuf wire
//     format of tendermint.types.SignedHeader and ValidatorSet, with the
//     checks CometBFT runs when it converts them from protobuf (header and
//     commit ValidateBasic, ValidatorSet ValidateBasic, timestamp ranges,
//     the total power bound). It is stricter than CometBFT in ways that
//     only refuse bytes CometBFT would never write: unknown fields,
//     repeated non-repeated fields, wrong wire types and any encoding but
//     the canonical one (what CometBFT's gogoproto code writes) are
//     refused, as are a set total_voting_power, more than MaxValidators
//     validators or signatures, and validator keys of any type but ed25519.
//   - Hashes: the header hash (the RFC 6962 Merkle root, leaf prefix 0 and
//     inner prefix 1, of the header's fields encoded as CometBFT encodes
//     them) and the validator set hash (the Merkle root of each validator's
//     public key and power).
//   - Vote sign bytes: the length-delimited CanonicalVote of a precommit
//     for the commit's block, with the signature's timestamp and the chain
//     id.
//   - Commit verification: more than 2/3 of the set's power, counting only
//     signatures flagged as for the block (BlockIDFlagCommit; nil and
//     absent votes count for nothing), each validator at most once, slot i
//     of the commit being validator i of the set (VerifyCommitLight with
//     every signature checked, as VerifyCommitLightAllSignatures); and for
//     a skipping hop, more than TrustLevel of the trusted set's power,
//     matching slots to trusted validators by address and refusing a
//     validator in two slots (VerifyCommitLightTrusting). The order of the
//     checks is CometBFT's too, so the same broken commit gets the same
//     error.
//   - Signatures: ed25519 only, verified with curve25519-voi under ZIP-215,
//     the rules CometBFT v0.38 verifies validator signatures with. The
//     chain's consensus parameters are CometBFT's defaults, which admit
//     ed25519 validator keys only (a test pins this), so refusing other
//     key types refuses nothing the chain can produce. Two or more
//     signatures are batch-verified, as CometBFT does; the batch scalars
//     are derived from a hash of the batch rather than drawn at random,
//     which keeps verification deterministic and, under ZIP-215 (where a
//     batch verifies exactly when each signature does), changes no verdict
//     except with probability about 2^-128.
//
// Why this is equivalent: the differential tests (diff_test.go,
// FuzzVerifyDifferential, FuzzDecodeSignedHeader, FuzzDecodeValidatorSet)
// run chainsync and CometBFT on the same randomly generated valid and
// broken headers, commits and validator sets — bad signatures, signatures
// for another chain or block, altered header fields, nil and absent votes,
// absent flags carrying signatures, duplicate and reordered validators,
// swapped slots, zero powers, insufficient power, non-adjacent hops over
// changed sets, other trust levels — and require the same decoding
// (accepted bytes re-encode identically and decode in CometBFT), the same
// hashes and sign bytes, the same commit verdicts as
// VerifyCommitLightAllSignatures and VerifyCommitLightTrusting (including
// the power counted and needed), and the same verdict, sentinel for
// sentinel, for whole hops as chainsync had when it was built on
// CometBFT's types (kept as the reference in reference_test.go), which in
// turn the tests in verify_test.go hold to light.Verify.
//
// # Time
//
// The enclave has no trustworthy clock: the host controls the system time.
// So Verify never reads one. "Now" is the time of the header being verified,
// and the trusted header must be younger than TrustingPeriod at that time.
//
// What this does: it bounds every hop by header time. The enclave never
// lets a validator set vouch for a header more than TrustingPeriod (shorter
// than the unbonding period) after the header that introduced it, so every
// validator whose signature a hop relies on was still bonded — and
// slashable for signing a conflicting header — at the new header's time.
// Header time is BFT time, the power-weighted median of the validators'
// clocks, so on the real chain it tracks real time. A pRuntime that keeps up
// with the chain therefore gets the same guarantee as a light client with a
// clock. A long hop is not fatal: it fails with ErrNeedIntermediate and the
// relayer supplies headers in between.
//
// What it does not do: it cannot tell how much real time has passed since
// the trusted header. A forged header can carry any time the forger likes.
// If the pRuntime was offline (or the host withheld headers) for longer than
// the unbonding period, the validators it still trusts may have unbonded,
// and keys of unbonded validators cost nothing to misuse: with them an
// attacker can sign a fork whose header times stay inside the trusting
// period, and chainsync will accept it. This is weak subjectivity, the limit
// of every light client, and header time does not remove it. A pRuntime
// offline longer than the unbonding period must be re-initialized with a
// fresh trust root obtained out of band (and re-attested, since the root is
// bound into the attestation), not resumed from its checkpoint. The same
// holds for a height-0 root: it is safe only while the genesis validators
// are still bonded, so a node joining an older chain must start from a
// recent trusted header.
//
// # State proofs
//
// An abci_query with prove=true at height H returns ProofOps for the state
// after block H, whose root is the AppHash of header H+1. ops[0]
// ("ics23:iavl") proves the key (and value) in the module's IAVL store;
// ops[1] ("ics23:simple") proves the store's root under its name in the
// multistore. VerifyMembership and VerifyNonMembership compute the store
// root from the first proof and check both with ICS23 against the IAVL and
// Tendermint proof specs, ending at the app hash the caller passes — which
// must come from a TrustedState. The layout is fixed: exactly two ops of
// those types, keyed by the requested key and store name, each a single
// existence or non-existence proof (no batch, no compressed form) in its
// canonical encoding and under a size bound.
//
// VerifyIngressEntry applies this to the ingress log: entry i lives at key
// 0x01 || u64 big-endian i in store "mq", decodes as a protocol.IngressEntry
// and carries a message whose Seq is i.
//
// VerifyIngressRange is how the pRuntime syncs: x/mq keeps a hash chain over
// the log (protocol.IngressHead; the head at n at key 0x09 || u64
// big-endian n), so one membership proof of the head at end, and the head
// at start the pRuntime already holds, cover every raw entry in [start,
// end). SHA-256 is collision resistant, so no other sequence of entries
// from that head reaches the proven one: the entries are accepted only if
// recomputing the chain over them does, and decoded only then. Errors name
// an extra, missing, reordered or tampered entry.
//
// # What an adversarial relayer can and cannot do
//
// It cannot make the enclave accept a header the chain's validators did not
// sign (under the assumptions above), a header of another chain, an older
// header in place of a newer one, a validator set other than the one a
// header commits to, a value the committed state does not hold, the absence
// of a key the state holds, or one ingress entry in place of another.
// Malformed or oversized input is rejected before expensive work, and the
// work per header is bounded by MaxValidators signatures — and by the
// trusted set's size for a header the trusted validators did not sign.
//
// It can withhold or delay headers and proofs (the enclave stalls but never
// acts on unverified data), choose which valid newer header to present and
// so how far and how fast the enclave advances, make the enclave spend
// bounded work on input that then fails, and keep the enclave offline to set
// up the long-range attack described under Time. It cannot skip an ingress
// entry, provided the caller consumes indices in order and treats a proven
// absence as "not yet" (or "pruned", once the chain's retention window has
// passed it).
//
// chainsync does no fork detection: the enclave has one relayer and no
// independent witnesses, so it cannot cross-check headers as the CometBFT
// light client's detector does.
//
// # Checkpoints
//
// TrustedState.Marshal and UnmarshalTrustedState give a versioned,
// canonical, size-bounded encoding for checkpoints. Unmarshal re-checks that
// the state is self-consistent (the validator set matches the header and
// signed it) but cannot know that the state was ever verified: provenance is
// the sealed checkpoint's guarantee, not this package's.
//
// All functions are pure: inputs in, result out, no clock, no randomness, no
// I/O. A TrustedState is an immutable value that holds its own copies of the
// header and validators and may be shared between goroutines.
package chainsync
