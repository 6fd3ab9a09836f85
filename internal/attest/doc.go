// Package attest verifies TEE attestation quotes. It is what the chain runs,
// at block time, when a pRuntime registers (MsgRegisterWorker), and what a
// gatekeeper runs before it hands secrets to a successor.
//
// # What a verified quote proves
//
// A Verifier turns quote bytes into a Report: the code identity (Measurement)
// of the program that asked for the quote, 64 bytes of ReportData that the
// program chose, and a ConfidenceLevel saying how much the platform behind the
// quote can be trusted (DESIGN.md §7: 1 up to date … 5 out of date, 128
// simulated). The registry then checks, outside this package, that
//
//   - ReportData equals protocol.ReportData(chainID, encodedInfo) for the
//     registration info submitted with the quote. That binds the enclave's
//     identity and receive keys, operator, version and trust root — and the
//     chain id — to this quote, so a quote cannot be reused for other keys or
//     replayed onto another chain;
//   - Measurement is on the governance allow-list for the quote's Kind;
//   - ConfidenceLevel is acceptable for the role (gatekeepers need 1–3).
//
// A Verifier proves nothing about freshness beyond rejecting quotes issued in
// the future: a replayed quote can only re-register the keys it already binds,
// whose private halves stay inside the enclave that made them. Callers that
// want a maximum age compare Report.IssuedAt with block time.
//
// # The simulated TEE (KindSim)
//
// A sim quote is signed by a platform ed25519 key that the quote itself
// carries. Anyone can make such a key, so a sim quote proves nothing about
// hardware and nothing about which program produced it: whoever runs the sim
// backend can claim any measurement and any report data. What verification
// does give is integrity and binding — the fields were signed together, under
// the ContextSimQuote domain, and have not been altered since — which is
// exactly what development networks and tests need to exercise the real
// registration path. Sim reports therefore always carry ConfidenceLevel
// ConfidenceSimulated (128), and the chain accepts them only when its
// allow_simulated_tee parameter is on. A production network must keep that
// parameter off.
//
// # Hardware quotes (KindTDX, KindSEVSNP)
//
// Packages attest/tdx and attest/snp verify Intel TDX quotes and AMD SEV-SNP
// reports. Trust starts at vendor root certificates pinned in their code
// (Intel SGX Root CA; AMD ARK-Milan/Genoa/Turin by fingerprint), never at
// anything a quote or a proposal carries. Everything that changes over time
// — Intel's TCB info, QE identity and CRLs, AMD's CRLs and governance's idea
// of an up-to-date SNP TCB — is Collateral: set by governance
// (MsgSetCollateral), stored in chain state, checked against the pinned
// roots both when it is set and at every use, and never fetched over the
// network by a verifier. Collateral that has expired at block time fails
// verification (ErrCollateralExpired) until governance sets newer
// collateral: a stale CRL must not keep vouching for revoked platforms.
//
// The TCB status the collateral assigns to the platform, and the advisories
// open against it, become a ConfidenceLevel (see ConfidenceLevel) with
// governance's accepted advisories. A verifier reports whether the TEE was
// launched in debug mode; it is the caller's policy to refuse it.
//
// # Determinism
//
// Verification runs inside consensus, so every Verifier is a pure function of
// (quote, now, collateral): no clock, no network, no randomness, no maps
// iterated. The caller passes the block time as now and reads collateral
// from consensus state. Quotes are parsed strictly and
// canonically: a quote's fields have exactly one encoding, the input is
// size-bounded (MaxQuoteLen) before anything else is read, and trailing bytes
// are errors. Signatures are checked over the exact bytes carried.
package attest
