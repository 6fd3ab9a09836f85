// Package ics23 verifies ICS-23 commitment proofs of the two kinds a Cosmos
// SDK multistore proof is made of: a key's existence or non-existence in an
// IAVL store (spec IAVL), and a store's root in the multistore's simple
// Merkle tree (spec Tendermint). It decodes the proofs from their protobuf
// encoding itself, with protowire, so that the enclave links neither
// cosmos/ics23/go nor gogoproto (and through them go-cmp and protobuf's
// reflection-based comparison). It is part of the pRuntime's trusted
// computing base: chainsync proves every value the enclave reads from the
// chain with it.
//
// # What a proof proves
//
// An existence proof carries a key, a value, a leaf op and a path of inner
// ops. Hashing the key and value with the leaf op and then applying the
// inner ops one by one yields a root; if that root is one the caller trusts
// (for chainsync: the store root the multistore proof commits to, and in
// turn a verified header's app hash), then — SHA-256 being collision
// resistant — the tree under that root holds the key with that value. A
// non-existence proof carries existence proofs of the key's two neighbours
// (or of one, at an end of the tree); if they are proven under the trusted
// root, bracket the key, and are adjacent leaves, no leaf for the key can
// sit between them, so the key is absent.
//
// Hashing alone is not enough: the hash preimages must be unambiguous, or a
// prover could present an inner node as a leaf, or a leaf of another key,
// and prove something the tree does not hold. The spec checks make them so,
// exactly as ICS-23 defines for the two specs:
//
//   - the leaf op is fixed: SHA-256 over a prefix starting with 0x00, the
//     raw key and the SHA-256 of the value, each prefixed with its length
//     as a protobuf varint;
//   - every inner op hashes with SHA-256 and its prefix does not start with
//     0x00, so no inner node is also a leaf; its prefix length lies between
//     the spec's minimum and its maximum plus one child, and its suffix is a
//     whole number of children;
//   - for IAVL, every node's prefix starts with the node header (height,
//     size, version: non-negative zigzag varints), the height at least the
//     node's distance from the leaf; a leaf's prefix is exactly the header,
//     an inner node's prefix is the header and then 1 or 34 bytes (the
//     child's length byte, after the left sibling's length-prefixed hash if
//     the child is the right one);
//   - a path has at most MaxPathLen (128) inner ops;
//   - a key and a value are never empty.
//
// Adjacency of non-existence neighbours is read from the inner ops'
// padding: an op whose sibling sits in its suffix is a left child, one whose
// sibling sits in its prefix a right child; an op whose padding fits
// neither counts as neither. Below the nodes the two paths share, the left
// neighbour's path must step left exactly where the right one steps right,
// then only right; the right one's only left. With no left neighbour, the
// right one must be the leftmost leaf (only left steps), and mirrored.
// Neither spec has empty-child placeholders, so none is exempted.
//
// # What is refused
//
// Decode accepts only the canonical encoding, the one the chain produces
// (gogoproto's Marshal): any other encoding of the same proof, unknown
// fields, and sizes above MaxProofLen or paths longer than MaxPathLen are
// ErrMalformed. Batch and compressed proofs are ErrUnsupported: the
// multistore answers a single-key query with a single proof. Of the hash and
// length operations only those the two specs use are implemented; any
// other fails the spec check before anything is hashed.
//
// # Why it matches ICS-23
//
// The checks are those of cosmos/ics23/go v0.11.0 (VerifyMembership and
// VerifyNonMembership with IavlSpec and TendermintSpec), written for the two
// specs only. This package may be narrower than ics23, never wider, and the
// tests hold it to that. The reference is what chainsync did before: ics23's
// gogoproto decoding, refused unless the proof re-encodes to the same bytes,
// then ics23's verification. On proofs of a real SDK multistore and on
// mutations of them (each byte flipped, inner ops dropped, duplicated or
// reordered, leaf and inner ops breaking the spec, wrong keys and values,
// neighbours dropped, swapped or taken from another gap), and in a
// differential fuzz target, this package accepts exactly what the reference
// accepts, both against the true root and against the root the proof itself
// computes (so that the spec checks are exercised even where hashing alone
// would reject). Where ics23 panics — non-existence neighbours whose paths
// never split, or an inner op whose padding fits no child position, which a
// prover can build (TestICS23PanicIsRejection) — this package rejects.
//
// ICS-23 does not bind the key a non-existence proof names to the key
// verified; neither does this package. chainsync checks it.
package ics23
