package types

import (
	"context"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// RegistryKeeper is what the gatekeeper protocol needs of x/registry: the
// registered workers, which it reads and, at a pRuntime migration's
// activation, deregisters, and the measurement allow-list, which a
// migration extends by the successor measurement and from which it removes
// the replaced ones. Implemented by x/registry's keeper (workers.go).
type RegistryKeeper interface {
	// GetWorker returns a registered worker, or an error wrapping
	// registrytypes.ErrWorkerNotFound.
	GetWorker(ctx context.Context, identityKey []byte) (registrytypes.Worker, error)
	IsWorker(ctx context.Context, identityKey []byte) (bool, error)
	WalkWorkers(ctx context.Context, fn func(registrytypes.Worker) (bool, error)) error
	DeregisterWorker(ctx context.Context, identityKey []byte) error
	// AcceptsGatekeeperLevel applies gatekeeper_confidence_limit, a
	// registry param (attestation policy, bounded by the workers' limit).
	AcceptsGatekeeperLevel(ctx context.Context, level uint32) (bool, uint32, error)
	ParseMeasurement(kind, measurementHex string) ([]byte, error)
	HasMeasurement(ctx context.Context, kind string, measurement []byte) (bool, error)
	AllowMeasurement(ctx context.Context, m registrytypes.Measurement) error
	DisallowMeasurement(ctx context.Context, kind string, measurement []byte) error
	MeasurementsOfKind(ctx context.Context, kind string, limit int) ([][]byte, error)
}

// IngressQueue appends messages to the chain → pRuntime log, allocates
// gatekeeper tasks, and holds the gatekeeper quorum rule. Implemented by
// x/mq.
type IngressQueue interface {
	PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error)
	// PushGatekeeperTask asks the gatekeepers for a quorum message on
	// replyTopic at the sequence it returns (see x/mq's keeper).
	PushGatekeeperTask(ctx context.Context, module, taskTopic, replyTopic string, body []byte) (uint64, error)
	// GetParams returns x/mq's params, whose Quorum is the rule for
	// gatekeeper-origin messages; a master key rotation counts its live
	// gatekeepers and its acknowledgements by the same rule.
	GetParams(ctx context.Context) (mqtypes.Params, error)
}

// UpgradeKeeper is the part of x/upgrade a pRuntime migration uses: its
// activation is an upgrade plan (see migration/migration.go for why).
type UpgradeKeeper interface {
	ScheduleUpgrade(ctx context.Context, plan upgradetypes.Plan) error
	// GetUpgradePlan returns the pending plan, or an error wrapping
	// upgradetypes.ErrNoUpgradePlanFound.
	GetUpgradePlan(ctx context.Context) (upgradetypes.Plan, error)
}
