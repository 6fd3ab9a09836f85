// Package sgx verifies Intel SGX DCAP quotes (ECDSA-256 attestation key,
// quote versions 3 and 4) for the chain, without the SGX SDK: every check is
// a pure function of (quote, now, collateral).
//
// # Security argument
//
// A quote is accepted only if all of these hold at the verification time
// now (block time):
//
//  1. it parses strictly (ParseQuote): version 3 or 4, key type ECDSA-256,
//     TEE type SGX, Intel's QE vendor id, size fields that add up exactly
//     (no byte after the signed data), QE report certification data (v4)
//     and a canonically encoded three-certificate PCK chain whose leaf has
//     FMSPC, PCE id and 16 CPU SVN components — so every byte of an
//     accepted quote is covered by a signature or a strict parse (tested by
//     flipping every byte of a genuine quote);
//  2. the PCK chain ends in the pinned Intel SGX Root CA (attest/intel) and
//     is valid at now; the PCK key signs the QE report; the QE report's data
//     is SHA-256(attestation key || QE authentication data) then 32 zero
//     bytes, so the QE vouches for the attestation key; the attestation key
//     signs the header and the enclave's report (MRENCLAVE, MRSIGNER,
//     ISVPRODID, ISVSVN, ATTRIBUTES, REPORTDATA);
//  3. governance stored SGX collateral (TCB info "SGX", QE identity "QE":
//     intel.SGX) for the PCK certificate's FMSPC, and it verifies at now
//     (intel.CheckCollateral; TDX collateral is refused);
//  4. neither the PCK certificate (PCK CRL) nor its CA (root CA CRL) is
//     revoked;
//  5. the platform's TCB level (first level whose SGX components and PCE
//     SVN the PCK certificate's are all at least) and the quoting enclave's
//     level (identity's MRSIGNER, ISVPRODID, masked MISCSELECT and
//     attributes; ISVSVN) are found, combined as Intel's library does, and
//     mapped to a confidence level (attest.ConfidenceLevel: 1 UpToDate; 2
//     SWHardeningNeeded; 3 ConfigurationNeeded or
//     ConfigurationAndSWHardeningNeeded with every advisory accepted; 4 the
//     same with another advisory; 5 OutOfDate or
//     OutOfDateConfigurationNeeded; anything else rejected).
//
// The report names MRENCLAVE as Measurement and MRSIGNER || ISVPRODID ||
// ISVSVN as SignerMeasurement (the two kinds of allow-list entry the
// registry accepts), the enclave's 64 bytes of report data, the FMSPC, and
// whether the enclave has the DEBUG attribute; the registry refuses debug
// enclaves unless allow_debug_tee is on.
//
// What the verifier cannot know: whether Intel's collateral is the newest
// (governance decides when to update it; expiry bounds the staleness), and
// what the enclave's code does beyond its measurement.
//
// # Fuzzing
//
// FuzzParseQuote takes raw bytes seeded with the genuine quote;
// FuzzVerifyEdits takes short edit lists applied to the genuine quote, so
// that the engine's minimization of each new-coverage input (up to 60 s,
// -fuzzminimizetime) stays cheap — with a 4.6 kB raw input it is all a run
// does (the "5 executions in 60 s" of TDX's old FuzzVerify). Measured on
// the shared 2-core machine, one worker, 20 s:
// go test -run=NONE -fuzz='^FuzzVerifyEdits$' -fuzztime=20s -parallel=1
// gives about 1,400 executions per second (28,323 in 20 s);
// FuzzParseQuote about 4,800 per second (95,858 in 20 s) with
// -fuzzminimizetime=1x, and 4 executions in 40 s without it.
package sgx
