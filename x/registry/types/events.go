package types

// Event types and attribute keys emitted by x/registry.
const (
	EventWorkerRegistered   = "worker_registered"
	EventMeasurementAdded   = "measurement_added"
	EventMeasurementRemoved = "measurement_removed"
	EventEndpointUpdated    = "worker_endpoint_updated"
	// EventClusterInvited, EventClusterInviteCancelled: a pending
	// invitation was made (or replaced) and withdrawn, declined or pruned.
	EventClusterInvited         = "cluster_invited"
	EventClusterInviteCancelled = "cluster_invite_cancelled"
	EventCollateralSet          = "collateral_set"
	EventCollateralRemoved      = "collateral_removed"
	// EventMasterKeyRefetch: at activation, a gatekeeper that reported its
	// copy of the new version faulty is marked not live and asked for its
	// history again.
	EventMasterKeyRefetch = "master_key_refetch"
	// EventClusterKeyRequest: a member that bootstrapped past its grant
	// asked for its cluster key again and was granted it.
	EventClusterKeyRequest = "cluster_key_request"
	// EventClusterKeyAck: a cluster member acknowledged the new version of a
	// running rotation; EventReencryptSweep: the last one did, after some
	// ranges were verified, and those are verified again;
	// EventReencryptReassigned: a stalled range moved to another gatekeeper.
	EventClusterKeyAck       = "cluster_key_ack"
	EventReencryptSweep      = "reencrypt_sweep"
	EventReencryptReassigned = "reencrypt_reassigned"
	// EventGatekeeperLost: a gatekeeper was retired at a migration's
	// activation without a ready successor.
	EventGatekeeperLost = "gatekeeper_lost"

	AttributeIdentityKey = "identity_key"
	AttributeOperator    = "operator"
	AttributeTEEKind     = "tee_kind"
	AttributeMeasurement = "measurement"
	AttributeConfidence  = "confidence_level"
	AttributeEndpoint    = "endpoint"
	AttributePlatformID  = "platform_id"
	AttributeNotAfter    = "not_after"
	AttributeTCBStatus   = "tcb_status"
	AttributeMembers     = "members"
)
