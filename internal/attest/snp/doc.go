// Package snp verifies AMD SEV-SNP attestation reports for the chain.
//
// # Quote format
//
// An SNP "quote" is the attestation report (1184 bytes, exactly as the AMD
// secure processor produced it) with the endorsement key certificate that
// verifies it — the chip's VCEK, or the VLEK that AMD issues to a cloud
// provider for its hosts — in the envelope of ParseQuote. The pRuntime takes
// the certificate from the host's certificate table (configfs-tsm auxblob).
//
// # Security argument
//
// A report is accepted only if, at the verification time now:
//
//  1. the envelope parses strictly and the report is VCEK- or VLEK-signed
//     (SIGNING_KEY), and the certificate carried has that key's extensions
//     (a VCEK has a HWID and no CSP id, a VLEK a CSP id and no HWID);
//  2. the VCEK chains through the product's ASK, the VLEK through the
//     product's ASVK, to the product's ARK, whose SHA-256 fingerprint is
//     pinned here (the ASK/ASVK/ARK certificates are the ones go-sev-guest
//     embeds, the same ARK in both bundles; a library change cannot swap
//     them unnoticed), and is valid at now; it signs the exact report bytes
//     carried; its TCB extension equals the report's REPORTED_TCB, so the
//     TCB graded in step 5 is the one AMD certified in the VCEK or VLEK;
//  3. the chip id: a VCEK-signed report's CHIP_ID equals the VCEK's HWID,
//     and a zeroed CHIP_ID (the host's MASK_CHIP_ID) is refused with a VCEK,
//     which is one chip's key; a VLEK is shared by a provider's hosts and
//     binds no chip, so a VLEK-signed report's CHIP_ID, zeroed or not, is
//     not checked and not used: the platform the report names is the
//     product line;
//  4. governance stored collateral for the product line: a CRL issued (by
//     name) and signed by the ARK, current at now (ErrCollateralExpired
//     after its next update), that lists neither the ASK (VCEK reports)
//     nor the ASVK (VLEK reports). That is all AMD's KDS CRL can revoke: it
//     is the ARK's, and a CRL revokes only certificates its issuer issued
//     (ASK, ASVK). The VCEK and VLEK are the ASK's and ASVK's, their
//     serials mean nothing on the ARK's CRL, and AMD publishes no CRL of
//     them: CheckRevocation ignores them. They are retired by their TCB
//     instead (step 5: every VCEK and VLEK is bound to one TCB version);
//  5. the reported TCB is graded against governance's up-to-date TCB for the
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
// and changes nothing else: steps 1, 2, 3 and 5 still run against the
// pinned AMD roots. The chain uses only the zero Verifier, which reports
// PinnedOnly and rejects such CRLs (app's tests assert both).
//
// No genuine VLEK-signed report with its VLEK is available offline either:
// the VLEK path is tested (vlek_test.go) on a synthetic ARK → ASVK → VLEK
// hierarchy from go-sev-guest's test signer, through
// NewVerifierWithTestRoots, which replaces the pinned roots of one product
// line and refuses a pinned ARK; PinnedOnly is false for it, and the zero
// Verifier refuses the synthetic reports. Acceptance, the TCB taken from
// the VLEK, ASVK revocation, the chip id rule and mixed-up certificates are
// tested there; that a genuine VLEK-signed report verifies is not.
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
