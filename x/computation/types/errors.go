package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of x/computation. Codes are part of the ABCI interface:
// never reuse or renumber one.
var (
	ErrInvalidAuthority  = errorsmod.Register(ModuleName, 2, "computation: invalid authority")
	ErrInvalidParams     = errorsmod.Register(ModuleName, 3, "computation: invalid params")
	ErrInvalidGenesis    = errorsmod.Register(ModuleName, 4, "computation: invalid genesis")
	ErrInvalidKey        = errorsmod.Register(ModuleName, 5, "computation: invalid worker identity key")
	ErrWorkerNotFound    = errorsmod.Register(ModuleName, 6, "computation: worker not registered")
	ErrNotOperator       = errorsmod.Register(ModuleName, 7, "computation: signer is not the worker's operator")
	ErrNoBenchmark       = errorsmod.Register(ModuleName, 8, "computation: no benchmark recorded for the worker; its pRuntime sends one after registration")
	ErrAlreadyComputing  = errorsmod.Register(ModuleName, 9, "computation: worker already has a computing session")
	ErrCoolingDown       = errorsmod.Register(ModuleName, 10, "computation: worker's previous session is cooling down")
	ErrNoBeacon          = errorsmod.Register(ModuleName, 11, "computation: no master key or beacon yet: wait for the gatekeepers' first beacon")
	ErrInvalidStake      = errorsmod.Register(ModuleName, 12, "computation: invalid stake")
	ErrStakeTooLow       = errorsmod.Register(ModuleName, 13, "computation: stake below the minimum k·√p")
	ErrPerformanceTooLow = errorsmod.Register(ModuleName, 14, "computation: performance score below min_init_p")
	ErrConfidenceLevel   = errorsmod.Register(ModuleName, 15, "computation: worker's attestation confidence level cannot compute")
	ErrNotComputing      = errorsmod.Register(ModuleName, 16, "computation: worker not computing")
	ErrWrongSession      = errorsmod.Register(ModuleName, 17, "computation: message for another session")
	ErrInvalidHeartbeat  = errorsmod.Register(ModuleName, 18, "computation: invalid heartbeat")
	ErrInvalidBenchmark  = errorsmod.Register(ModuleName, 19, "computation: invalid benchmark")
	ErrInvalidOrigin     = errorsmod.Register(ModuleName, 20, "computation: message from the wrong origin")
	ErrMalformedPayload  = errorsmod.Register(ModuleName, 21, "computation: malformed payload")
	// Code 22 (a settlement answering no block task) went with block tasks.
	ErrWrongHeight       = errorsmod.Register(ModuleName, 23, "computation: settlement for a block before the last one settled or not yet closed")
	ErrInvalidSettlement = errorsmod.Register(ModuleName, 24, "computation: invalid settlement")
	ErrStakeTooHigh      = errorsmod.Register(ModuleName, 25, "computation: stake gives an initial V above v_max")
)
