package types

import (
	"context"

	upgradetypes "cosmossdk.io/x/upgrade/types"

	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

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
// activation is an upgrade plan (see keeper/migration.go for why).
type UpgradeKeeper interface {
	ScheduleUpgrade(ctx context.Context, plan upgradetypes.Plan) error
	// GetUpgradePlan returns the pending plan, or an error wrapping
	// upgradetypes.ErrNoUpgradePlanFound.
	GetUpgradePlan(ctx context.Context) (upgradetypes.Plan, error)
}
