package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of x/mq. Codes are part of the ABCI interface: never reuse
// or renumber one.
var (
	ErrMalformedMessage  = errorsmod.Register(ModuleName, 2, "malformed message")
	ErrPayloadTooLarge   = errorsmod.Register(ModuleName, 3, "message exceeds size bound")
	ErrInvalidTopic      = errorsmod.Register(ModuleName, 4, "invalid topic")
	ErrInvalidSignature  = errorsmod.Register(ModuleName, 5, "invalid message signature")
	ErrInvalidOrigin     = errorsmod.Register(ModuleName, 6, "origin may not send this message")
	ErrUnknownSender     = errorsmod.Register(ModuleName, 7, "unknown sender")
	ErrStaleSequence     = errorsmod.Register(ModuleName, 8, "stale sequence")
	ErrSequenceGap       = errorsmod.Register(ModuleName, 9, "sequence gap")
	ErrDuplicateVote     = errorsmod.Register(ModuleName, 10, "gatekeeper already signed this message")
	ErrConflictingVote   = errorsmod.Register(ModuleName, 11, "gatekeeper signed a different message at this sequence")
	ErrTooManyMessages   = errorsmod.Register(ModuleName, 12, "too many messages in one transaction")
	ErrInvalidParams     = errorsmod.Register(ModuleName, 13, "invalid params")
	ErrInvalidAuthority  = errorsmod.Register(ModuleName, 14, "invalid authority")
	ErrInvalidGenesis    = errorsmod.Register(ModuleName, 15, "invalid genesis")
	ErrInvalidQuery      = errorsmod.Register(ModuleName, 16, "invalid query")
	ErrNotIngressOrigin  = errorsmod.Register(ModuleName, 17, "only modules may append ingress")
	ErrInvalidSubmission = errorsmod.Register(ModuleName, 18, "invalid submission")
	ErrNoTask            = errorsmod.Register(ModuleName, 19, "no gatekeeper task at this sequence")
	ErrQuorumUnreachable = errorsmod.Register(ModuleName, 20, "gatekeeper quorum above the gatekeeper set")
)
