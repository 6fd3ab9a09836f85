// Package snp verifies AMD SEV-SNP attestation reports for the chain.
//
// # Quote format
//
// An SNP "quote" is the attestation report (1184 bytes, exactly as the AMD
// secure processor produced it) with the VCEK certificate that verifies it,
// in the envelope of ParseQuote. The pRuntime takes the VCEK from the host's
// certificate table (configfs-tsm auxblob).
//
// # Security argument
//
// A report is accepted only if, at the verification time now:
//
//  1. the envelope parses strictly and the report is VCEK-signed (VLEK-
//     signed reports, used by some clouds, are refused: their CRL and
//     chain are not supported yet);
//  2. the VCEK chains through the product's ASK to the product's ARK, whose
//     SHA-256 fingerprint is pinned here (the ASK/ARK certificates are the
//     ones go-sev-guest embeds; a library change cannot swap them
//     unnoticed), and is valid at now; it signs the exact report bytes
//     carried; its TCB extension equals the report's REPORTED_TCB;
//  3. governance stored collateral for the product line: a CRL issued (by
//     name) and signed by the ARK, current at now (ErrCollateralExpired
//     after its next update), that does not list the ASK. That is all
//     AMD's KDS CRL can revoke: it is the ARK's, and a CRL revokes only
//     certificates its issuer issued (ASK, ASVK). The VCEK is the ASK's,
//     its serial (0 for every VCEK) means nothing on the ARK's CRL, and
//     AMD publishes no CRL of VCEKs: CheckRevocation ignores it. A VCEK is
//     retired by its TCB instead (step 4: every VCEK is bound to one TCB
//     version);
//  4. the reported TCB is graded against governance's up-to-date TCB for the
//     product: at least it in every component → UpToDate (level 1), else
//     OutOfDate (level 5). AMD publishes no TCB status service; this
//     judgement is governance's, recorded in the collateral.
//
// The report names MEASUREMENT, REPORT_DATA, the product line, whether
// the guest policy allows debugging, and the VMPL the report was requested
// from (the registry accepts VMPL 0 up to its snp_max_vmpl param).
//
// # Tests
//
// No ARK-signed CRL covering the public go-sev-guest sample report's period
// is available offline. NewVerifierWithTestCRLSigner (used through package
// snptest) makes a verifier that expects a synthetic key's CRL in step 3
// and changes nothing else: steps 1, 2 and 4 still run against the pinned
// AMD roots. The chain uses only the zero Verifier, which reports
// PinnedOnly and rejects such CRLs (app's tests assert both).
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
// gives about 910 executions per second (18,273 in 20 s). Should FuzzParseQuote
// stall the same way, run it with -fuzzminimizetime=1x.
package snp
