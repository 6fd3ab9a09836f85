package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of x/registry. Codes are part of the ABCI interface: never
// reuse or renumber one. The codes missing here belong to the gatekeeper
// protocol, which keeps them in x/gatekeeper's codespace.
var (
	ErrInvalidAuthority       = errorsmod.Register(ModuleName, 2, "invalid authority")
	ErrInvalidParams          = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrMalformedInfo          = errorsmod.Register(ModuleName, 4, "malformed registration info")
	ErrWrongChain             = errorsmod.Register(ModuleName, 5, "registration info is for another chain")
	ErrOperatorMismatch       = errorsmod.Register(ModuleName, 6, "registration info names another operator")
	ErrUnknownTEEKind         = errorsmod.Register(ModuleName, 7, "unknown TEE kind")
	ErrMalformedAttestation   = errorsmod.Register(ModuleName, 8, "malformed attestation")
	ErrInvalidAttestation     = errorsmod.Register(ModuleName, 9, "attestation does not verify")
	ErrSimulatedTEENotAllowed = errorsmod.Register(ModuleName, 10, "simulated TEE not allowed on this chain")
	ErrReportDataMismatch     = errorsmod.Register(ModuleName, 11, "attestation report data does not bind the registration info")
	ErrAttestationExpired     = errorsmod.Register(ModuleName, 12, "attestation too old")
	ErrMeasurementNotAllowed  = errorsmod.Register(ModuleName, 13, "pRuntime measurement not allowed")
	ErrConfidenceTooLow       = errorsmod.Register(ModuleName, 14, "confidence level not accepted")
	ErrInvalidMeasurement     = errorsmod.Register(ModuleName, 15, "invalid measurement")
	ErrMeasurementExists      = errorsmod.Register(ModuleName, 16, "measurement already allowed")
	ErrMeasurementNotFound    = errorsmod.Register(ModuleName, 17, "measurement not allowed")
	ErrWorkerNotFound         = errorsmod.Register(ModuleName, 18, "worker not found")
	ErrInvalidKey             = errorsmod.Register(ModuleName, 21, "invalid identity key")
	ErrInvalidEndpoint        = errorsmod.Register(ModuleName, 22, "invalid endpoint")
	ErrInvalidGenesis         = errorsmod.Register(ModuleName, 23, "invalid genesis")
	ErrInvalidOperator        = errorsmod.Register(ModuleName, 24, "invalid operator address")
	ErrInvalidOrigin          = errorsmod.Register(ModuleName, 34, "topic does not take messages from this origin")
	ErrNoCollateral           = errorsmod.Register(ModuleName, 46, "no collateral stored for the quote's platform: governance must set it (set-collateral)")
	ErrInvalidCollateral      = errorsmod.Register(ModuleName, 47, "invalid collateral")
	ErrCollateralExpired      = errorsmod.Register(ModuleName, 48, "collateral expired: governance must set newer collateral")
	ErrCertificateRevoked     = errorsmod.Register(ModuleName, 49, "attestation certificate revoked")
	ErrTCBNotAccepted         = errorsmod.Register(ModuleName, 50, "platform TCB level not accepted")
	ErrDebugTEENotAllowed     = errorsmod.Register(ModuleName, 51, "TEE launched in debug mode not allowed on this chain")
	ErrPlatformMismatch       = errorsmod.Register(ModuleName, 52, "platform identity does not match the collateral")
	ErrCertificateChain       = errorsmod.Register(ModuleName, 53, "attestation certificate chain does not lead to the pinned vendor root")
	ErrInvalidSuccessor       = errorsmod.Register(ModuleName, 70, "not a valid successor in the pRuntime migration")
	// ErrVMPLNotAllowed: code 110 leaves room for other branches' errors.
	ErrVMPLNotAllowed = errorsmod.Register(ModuleName, 110, "SEV-SNP report from a VMPL above snp_max_vmpl")
)
