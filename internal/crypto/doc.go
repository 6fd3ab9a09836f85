// Package crypto holds the key hierarchy and secret transfer of the
// gatekeepers (DESIGN §4, §6): key derivation, HPKE sealing to an attested
// receive key, and the secp256k1 master key. It is imported by the enclave
// (pruntime), so it depends only on the standard library, internal/protocol
// and github.com/decred/dcrd/dcrec/secp256k1/v4; a test enforces that.
//
// # Key hierarchy
//
//	master key v      secp256k1 scalar, gatekeepers only, sealed; pubkey on chain
//	  └ cluster key   Derive(master_v, "cluster", u64be(cluster id), u32be(v))
//	      └ app key   Derive(cluster key, "app", app id, path...)
//
// A gatekeeper derives cluster keys and sends each to the cluster's workers
// (SealTo, protocol.ContextClusterKeyTransfer); workers derive app keys
// locally. A new gatekeeper receives the master key history the same way
// (protocol.ContextMasterKeyTransfer) and checks each version against the
// on-chain pubkey with VerifyPublic before sealing it.
//
// # Key derivation
//
// Derive is HKDF-SHA256 with the fixed salt protocol.ContextKDF and, as info,
// the path parts each prefixed with its length as a big-endian u16. The salt
// separates this hierarchy from every other use of HKDF in the system; the
// length prefixes make the info injective, so two distinct paths never share
// a key. Without them ("ab", "c") and ("a", "bc") would collide, and an app
// choosing its own path could derive a neighbour's key. The first part of each
// level is a label ("cluster", "app"), so keys of different levels never
// coincide either. HKDF is a PRF keyed by the parent secret: knowing any set of
// derived keys reveals nothing about the parent or about siblings, so a worker
// (holding one cluster key) learns nothing about other clusters or the master.
//
// # Secret transfer
//
// SealTo and Open are single-shot HPKE (RFC 9180, base mode) with the suite
// MLKEM768X25519 (X-Wing) / HKDF-SHA256 / AES-256-GCM. The hybrid KEM stays
// secure if either ML-KEM-768 or X25519 does; this matters because sealed
// secrets are published on chain and can be stored now and attacked later.
// The HPKE info binds the format version, a context naming the kind of
// transfer, the chain id, the recipient's receive key and what is being sent
// (Info.Encode), so a ciphertext cannot be replayed as another object, to
// another chain, or presented as meant for another key. Open refuses an Info
// naming a key other than its own, refuses oversized input before doing any
// work, and reports every cryptographic failure as the same ErrDecrypt.
// Sealing uses crypto/rand internally (crypto/hpke takes no io.Reader), so
// ciphertexts are randomized; tests pin a decryption vector instead.
//
// SealTo checks only that the recipient is a well-formed receive key. That the
// key belongs to an attested pRuntime of the right measurement is the caller's
// check (internal/attest, x/registry), and it is the one that makes a transfer
// safe.
//
// # Master key
//
// The master key is a secp256k1 scalar in [1, N-1]. MasterKeyFromSecret
// rejects out-of-range secrets rather than reducing them, so a secret has
// exactly one valid encoding, and GenerateMasterKey retries (a bounded number
// of times) instead of reducing, so keys are uniform.
//
// Beacon is per-height randomness for gatekeepers: HKDF keyed by the master
// secret, salt protocol.ContextBeacon, info (chain id, height). Every
// gatekeeper holding the same master key version computes identical bytes,
// which quorum messages require (DESIGN §3: a Gatekeeper-origin message is
// accepted only when a quorum of gatekeepers signed the identical payload, so
// any randomness in it must be derived, never drawn). It is unpredictable to anyone
// without the master secret, but not to the gatekeepers, who can compute it
// for every future height, and it is not publicly verifiable; use it only
// where gatekeepers are already trusted with the outcome.
//
// # Limits
//
//   - decred's secp256k1 computes public keys with a variable-time scalar
//     multiplication (ScalarBaseMultNonConst). Deriving a master public key
//     therefore leaks timing that depends on the secret. Inside a TEE with a
//     co-resident attacker this is a side channel; it happens once per key
//     version load, not per request. The subtle.ConstantTimeCompare in
//     VerifyPublic only protects the comparison.
//   - Go cannot guarantee that secrets are erased from memory (the garbage
//     collector copies and frees without clearing). Functions here clear
//     their own temporaries, but forward secrecy after key retirement rests on
//     deleting sealed copies and dropping references, not on zeroization.
//   - A MasterKey formats (fmt, any verb) as its version and public key only.
//     Errors never contain secret bytes.
package crypto
