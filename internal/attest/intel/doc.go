// Package intel holds the Intel DCAP machinery that SGX and TDX quotes
// share: the pinned Intel SGX Root CA, the verification of Intel's
// collateral (TCB info, QE identity, PCK and root CA CRLs, their issuer
// chains), revocation of the PCK chain, and the grading of a platform's TCB
// level and of the quoting enclave against that collateral.
//
// # Security argument
//
// Collateral is accepted (CheckCollateral) only if, at the verification time
// now: the root CA CRL is signed by the pinned root; the PCK CRL by a PCK CA
// the root issued and has not revoked; the TCB info and QE identity by an
// "Intel SGX TCB Signing" certificate the root issued and has not revoked,
// over the exact bytes Intel served; each is of the identity and version the
// quote kind expects (a Profile: "TDX"/"TD_QE" for TDX, "SGX"/"QE" for SGX,
// so TDX collateral never grades an SGX platform nor the reverse); and none
// is expired or issued after now. The earliest expiry is reported so that
// callers can tell when stored collateral stops being usable.
//
// Grading follows Intel's algorithm (PCS API v4): the first TCB level whose
// SGX components and PCE SVN the PCK certificate's are all at least; the
// quoting enclave must have the identity's MRSIGNER, ISVPRODID and masked
// MISCSELECT and attributes, and its ISVSVN selects the QE's level, which is
// folded into the platform's as Intel's quote verification library does.
//
// Quote formats and their signatures are the callers' (packages attest/sgx
// and attest/tdx); this package never sees a quote's bytes.
package intel
