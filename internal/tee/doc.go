// Package tee defines the trusted-execution backend the pRuntime runs on: the
// small interface between the enclave program and the platform that protects
// it (DESIGN.md §5). Backends live in subpackages — sim for development,
// tdx (Intel TDX) and snp (AMD SEV-SNP) for production through the
// kernel's configfs-tsm, and gramine (Intel SGX under the Gramine library
// OS, through its /dev/attestation files) — and all of them pass the
// conformance suite in package teetest.
//
// # What a backend promises
//
// Measurement is the identity of the running code: on hardware, a hash the
// platform computed when it loaded the program, which the program cannot
// choose. Everything else hangs off it.
//
// Quote(reportData) returns evidence, verifiable by a package attest Verifier
// of the same Kind, that a program with this Measurement asked for these 64
// bytes of report data on a genuine platform. The pRuntime puts
// protocol.ReportData(chainID, registration info) there, so the quote vouches
// for its identity and receive keys: whoever holds the private halves is that
// code on that platform.
//
// Seal(label, plaintext) encrypts and authenticates data under a key that only
// the same platform running the same Measurement can derive, so the host can
// store sealed blobs but neither read nor alter them undetected. The label is
// authenticated too (as AEAD additional data): a blob sealed as one kind of
// object does not unseal as another, so each kind of sealed object has its own
// label constant. Unseal fails with ErrUnseal — and only ErrUnseal — when the
// key, label or measurement differ or a single bit was changed; callers treat
// that as "this blob is not ours", never as a reason to fall back to anything.
//
// Because sealing keys follow the measurement (SGX's MRENCLAVE policy), a new
// pRuntime version cannot open its predecessor's sealed data. That is on
// purpose: an upgrade is a state migration in which the old version verifies
// the new one's attestation and hands secrets over by HPKE (DESIGN.md §6).
//
// # What a backend does not promise
//
// Sealing gives confidentiality and integrity, not freshness: the host can
// delete a sealed blob or put back an older one. The pRuntime defends against
// rollback by committing everything a gatekeeper must remember to the chain
// and checking local state against it, not by trusting its disk.
//
// TDX has no sealing key at all: its backend seals only with a key from a
// configured source and otherwise fails with ErrNoSealingKey (package
// tee/tdx). No backend ever falls back to a key the host can read.
//
// Quotes carry no nonce. Freshness and replay are handled by what goes into
// the report data (keys that live only in this enclave, the chain id) and by
// the verifier's time checks.
//
// The sim backend keeps its keys in plain files on the host and signs quotes
// with a platform key anyone can generate; it protects nothing from the host
// and exists so that the whole system can run and be tested without TEE
// hardware. Its quotes report confidence level 128 and are accepted only by a
// chain whose allow_simulated_tee parameter is on.
package tee
