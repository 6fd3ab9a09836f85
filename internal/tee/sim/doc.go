// Package sim is the simulated TEE backend, for development networks and
// tests. It implements tee.TEE with the same formats and failure behaviour a
// hardware backend has, and none of the protection: see package tee for the
// security argument, and read this before running it anywhere that matters.
//
// # Keys
//
// Dir holds two 32-byte files, created with mode 0600 (Dir 0700) on first
// Open and never rewritten:
//
//	platform.key   ed25519 seed of the platform key that signs quotes
//	seal_root.key  root of the sealing keys
//
// The host can read both, and whoever reads seal_root.key can unseal
// everything this backend sealed. Quotes are weaker still: their platform key
// is self-asserted, so anyone can mint a sim quote that verifies, for any
// measurement and report data, without these files at all. That is why the
// chain accepts sim quotes only when allow_simulated_tee is on. A key file of the wrong size is an error, never
// replaced: replacing the sealing root would silently make all sealed data
// unreadable.
//
// # Sealing
//
// The sealing key is HKDF-SHA256(seal root, salt "gatekeeper/tee/sim-seal/v1",
// info = measurement), so a binary with another measurement, like an SGX
// enclave with another MRENCLAVE, cannot unseal. Seal is AES-256-GCM with a
// random 96-bit nonce and the label as additional data:
//
//	version (1) || nonce (12) || ciphertext || tag (16)
//
// Random nonces keep Seal stateless (nothing to persist or roll back) at the
// cost of a budget: about 2^32 seals per sealing key before nonce collisions
// become a concern, far beyond what one development node produces.
//
// # Quotes
//
// Quote returns attest.NewSimQuote(platform key, measurement, report data,
// Now()); attest.SimVerifier checks it.
package sim
