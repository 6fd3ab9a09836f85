package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Registered errors of x/gatekeeper, codespace "gatekeeper". They keep the
// names and codes they had in x/registry's codespace before the gatekeeper
// protocol became its own module. Codes are part of the ABCI interface:
// never reuse or renumber one.
var (
	ErrInvalidAuthority       = errorsmod.Register(ModuleName, 2, "invalid authority")
	ErrInvalidParams          = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrConfidenceTooLow       = errorsmod.Register(ModuleName, 14, "confidence level not accepted")
	ErrMeasurementExists      = errorsmod.Register(ModuleName, 16, "measurement already allowed")
	ErrAlreadyGatekeeper      = errorsmod.Register(ModuleName, 19, "worker is already a gatekeeper")
	ErrNotGatekeeper          = errorsmod.Register(ModuleName, 20, "worker is not a gatekeeper")
	ErrInvalidKey             = errorsmod.Register(ModuleName, 21, "invalid identity key")
	ErrInvalidGenesis         = errorsmod.Register(ModuleName, 23, "invalid genesis")
	ErrNoMasterKey            = errorsmod.Register(ModuleName, 25, "no master key yet: wait for the gatekeeper launch (a gatekeeper must generate master key v0)")
	ErrMasterKeyExists        = errorsmod.Register(ModuleName, 26, "master key already recorded")
	ErrNotLauncher            = errorsmod.Register(ModuleName, 27, "sender is not the gatekeeper designated to launch")
	ErrInvalidMasterKey       = errorsmod.Register(ModuleName, 28, "invalid master key")
	ErrMalformedPayload       = errorsmod.Register(ModuleName, 29, "malformed gatekeeper protocol payload")
	ErrNotLive                = errorsmod.Register(ModuleName, 30, "gatekeeper is not live")
	ErrInvalidRecipient       = errorsmod.Register(ModuleName, 31, "key copy recipient may not receive this key")
	ErrUnknownKeyVersion      = errorsmod.Register(ModuleName, 32, "unknown master key version")
	ErrKeyVersionMismatch     = errorsmod.Register(ModuleName, 33, "key version mismatch")
	ErrInvalidOrigin          = errorsmod.Register(ModuleName, 34, "topic does not take messages from this origin")
	ErrInvalidOwner           = errorsmod.Register(ModuleName, 35, "invalid cluster owner")
	ErrInvalidCluster         = errorsmod.Register(ModuleName, 36, "invalid cluster")
	ErrClusterNotFound        = errorsmod.Register(ModuleName, 37, "cluster not found")
	ErrNotClusterOwner        = errorsmod.Register(ModuleName, 38, "signer does not own the cluster")
	ErrWorkerInCluster        = errorsmod.Register(ModuleName, 39, "worker is already in a cluster")
	ErrNotClusterMember       = errorsmod.Register(ModuleName, 40, "worker is not a member of the cluster")
	ErrClusterFull            = errorsmod.Register(ModuleName, 41, "cluster has max_cluster_workers workers")
	ErrClusterKeyExists       = errorsmod.Register(ModuleName, 42, "cluster public key already published")
	ErrClusterKeyNotPublished = errorsmod.Register(ModuleName, 43, "cluster public key not published yet")
	ErrInvalidBeacon          = errorsmod.Register(ModuleName, 44, "invalid beacon")
	ErrStaleBeacon            = errorsmod.Register(ModuleName, 45, "beacon not newer than the latest")
	ErrRotationInProgress     = errorsmod.Register(ModuleName, 54, "master key rotation in progress")
	ErrNoRotation             = errorsmod.Register(ModuleName, 55, "no master key rotation is running")
	ErrRotationPhase          = errorsmod.Register(ModuleName, 56, "master key rotation is not in the phase this message belongs to")
	ErrProposalTaken          = errorsmod.Register(ModuleName, 57, "master key rotation already took a proposal")
	ErrInvalidProposal        = errorsmod.Register(ModuleName, 58, "invalid master key proposal")
	ErrQuorumNotLive          = errorsmod.Register(ModuleName, 59, "too few live gatekeepers to rotate the master key")
	ErrTooManyGatekeepers     = errorsmod.Register(ModuleName, 60, "gatekeeper set too large to rotate the master key")
	ErrDuplicateAck           = errorsmod.Register(ModuleName, 61, "gatekeeper already acknowledged the new master key version")
	ErrNotAssignee            = errorsmod.Register(ModuleName, 62, "sender is not the gatekeeper of this re-encryption range")
	ErrInvalidProgress        = errorsmod.Register(ModuleName, 63, "invalid re-encryption progress")
	ErrProposerRejected       = errorsmod.Register(ModuleName, 64, "gatekeeper's proposal was rejected in this rotation")
	ErrKeyErased              = errorsmod.Register(ModuleName, 65, "master key version erased")
	ErrMigrationPending       = errorsmod.Register(ModuleName, 66, "pRuntime migration pending")
	ErrNoMigration            = errorsmod.Register(ModuleName, 67, "no pRuntime migration is pending")
	ErrInvalidMigration       = errorsmod.Register(ModuleName, 68, "invalid pRuntime migration")
	ErrUpgradePending         = errorsmod.Register(ModuleName, 69, "another x/upgrade plan is pending")
	ErrInvalidSuccessor       = errorsmod.Register(ModuleName, 70, "not a valid successor in the pRuntime migration")
	ErrInvalidPredecessor     = errorsmod.Register(ModuleName, 71, "not a valid predecessor in the pRuntime migration")
	ErrAlreadyPaired          = errorsmod.Register(ModuleName, 72, "predecessor already has a successor")
	ErrNotPaired              = errorsmod.Register(ModuleName, 73, "no such pair in the pRuntime migration")
	ErrTooManyPairs           = errorsmod.Register(ModuleName, 74, "pRuntime migration has the maximum number of pairs")
	ErrNoHandover             = errorsmod.Register(ModuleName, 75, "no handover was relayed to the successor")
	ErrPairReady              = errorsmod.Register(ModuleName, 76, "migration pair is already ready")

	// Cluster consent (issue 12 point 1). Numbered from 100 so that errors
	// other changes add after 76 do not collide.
	ErrNoOperatorConsent   = errorsmod.Register(ModuleName, 100, "the worker's operator has not consented to this cluster membership")
	ErrNotWorkerOperator   = errorsmod.Register(ModuleName, 101, "signer is not the operator of the worker")
	ErrNoInvitation        = errorsmod.Register(ModuleName, 102, "no pending invitation of the worker to the cluster")
	ErrInvitationExpired   = errorsmod.Register(ModuleName, 103, "cluster invitation expired")
	ErrTooManyInvitations  = errorsmod.Register(ModuleName, 104, "cluster has max_cluster_workers pending invitations")
	ErrGatekeeperInCluster = errorsmod.Register(ModuleName, 105, "a gatekeeper may not be a cluster member")
	ErrRemovalNotAllowed   = errorsmod.Register(ModuleName, 106, "signer may not remove this cluster member: only its operator, an owner that operates it, or governance")
	ErrInvalidSigner       = errorsmod.Register(ModuleName, 107, "invalid signer address")

	// Issue 12 points 4 and 5 (codes from 120, apart from other additions).
	ErrInvalidClusterKeyAck = errorsmod.Register(ModuleName, 120, "invalid cluster key acknowledgement")

	// Codes from 96 up: key requests of bootstrapped pRuntimes (issue 12
	// point 6), apart from what other work appends after 76.
	ErrKeyRequestTooSoon = errorsmod.Register(ModuleName, 96, "key request repeated too soon")
)

// RequireOrigin checks an x/mq handler's origin (ErrInvalidOrigin). x/mq's
// routes admit only the right kind; handlers check again so that a wiring
// mistake fails closed.
func RequireOrigin(m protocol.Message, kind protocol.OriginKind) error {
	if m.Origin.Kind == kind {
		return nil
	}
	want := "a worker"
	if kind == protocol.OriginGatekeeper {
		want = "the gatekeepers (quorum)"
	}
	return errorsmod.Wrapf(ErrInvalidOrigin, "%s sent on %q, which takes messages from %s only", m.Origin, m.Topic, want)
}
