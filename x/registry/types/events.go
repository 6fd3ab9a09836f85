package types

// Event types and attribute keys emitted by x/registry.
const (
	EventWorkerRegistered   = "worker_registered"
	EventGatekeeperAdded    = "gatekeeper_added"
	EventGatekeeperRemoved  = "gatekeeper_removed"
	EventMeasurementAdded   = "measurement_added"
	EventMeasurementRemoved = "measurement_removed"
	EventEndpointUpdated    = "worker_endpoint_updated"

	AttributeIdentityKey = "identity_key"
	AttributeOperator    = "operator"
	AttributeTEEKind     = "tee_kind"
	AttributeMeasurement = "measurement"
	AttributeConfidence  = "confidence_level"
	AttributeEndpoint    = "endpoint"
)
