// Package tdx verifies Intel TDX quotes (DCAP, quote versions 4 and 5,
// ECDSA-256) for the chain.
//
// # Security argument
//
// A quote is accepted only if all of these hold at the verification time
// now (block time):
//
//  1. it parses strictly (ParseQuote): version, key type, TEE type, Intel's
//     QE vendor id, a canonically encoded three-certificate PCK chain, and
//     not one byte beyond the signed data — so every byte of an accepted
//     quote is covered by a signature or a strict parse, and a flipped bit
//     anywhere is rejected (tested over every byte of a genuine quote);
//  2. the PCK chain ends in the Intel SGX Root CA pinned here (PinnedRoot)
//     and is valid at now; the PCK key signs the QE report, the QE report
//     binds the attestation key, and the attestation key signs the quote
//     header and TD report (go-tdx-guest verify, with collateral fetching
//     off: the library never touches the network here);
//  3. governance stored collateral for the PCK certificate's FMSPC, and
//     every part of it verifies against the pinned root at now: TCB info and
//     QE identity signed by an "Intel SGX TCB Signing" certificate that the
//     root issued and its CRL does not list, the PCK CRL signed by the PCK
//     CA, the root CA CRL by the root, none expired (ErrCollateralExpired)
//     nor issued after now;
//  4. neither the PCK certificate (PCK CRL) nor its CA (root CA CRL) is
//     revoked;
//  5. the platform's TCB level is found by Intel's algorithm (SGX
//     components and PCE SVN from the PCK certificate, TDX components from
//     the TD report, TDX module identity for module versions ≥ 1), the TDX
//     module signer and attributes and the quoting enclave's identity match
//     the collateral, and the combined TCB status maps to a confidence level.
//
// Version 5 quotes (TDX 1.5 hosts) carry a body descriptor (type 2: TD
// report 1.0; type 3: TD report 1.5, which adds TEE_TCB_SVN2 and
// MRSERVICETD). Their version 4 image goes through the same strict parser,
// go-tdx-guest does not verify version 5, so their signature chain is
// checked by intel.CheckSignatures over the exact version 5 bytes (header,
// body descriptor and body), and the collateral and TCB checks are those of
// version 4. Measurement policy for version 5: the measurement is MRTD ||
// RTMR0..3, as for version 4, so one allow-list entry covers a TD image on
// either host; MRSERVICETD must be zero (a service TD, such as a migration
// TD, could export the TD's state with code the measurement does not
// cover: ErrPlatformMismatch); TEE_TCB_SVN2 is signed and parsed but, as in
// the reference verifier (dcap-qvl), the TCB level is matched on
// TEE_TCB_SVN. Tested with synthetic quotes only: no genuine version 5
// quote with collateral was available offline.
//
// The report names the measurement MRTD || RTMR0..3, the 64 bytes of report
// data, the FMSPC and whether the TD has the DEBUG attribute. Binding the
// report data to a registration and allow-listing the measurement are the
// registry's job.
//
// What the verifier cannot know: whether Intel's collateral is the newest
// (governance decides when to update it; expiry bounds the staleness), and
// anything about RTMR extensions after the quote (RTMR3 is extendable by
// the guest; the pRuntime reads its measurement once and refuses to quote
// if it changed).
//
// # Fuzzing
//
// FuzzParseQuote takes raw bytes seeded with the genuine quote;
// FuzzVerifyEdits takes short edit lists applied to the genuine quote (see
// its comment). Verifier targets used to take raw quotes: the engine then
// spent its run minimizing each new-coverage input of several kB (up to
// 60 s each, -fuzzminimizetime), which is why the raw-input FuzzVerify
// made 5 executions in 60 s (issue 18). Measured on the shared 2-core
// machine, one worker, 20 s, fresh cache:
// go test -run=NONE -fuzz='^FuzzVerifyEdits$' -fuzztime=20s -parallel=1
// gives about 930 executions per second (18,621 in 20 s). Should FuzzParseQuote
// stall the same way, run it with -fuzzminimizetime=1x.
package tdx
