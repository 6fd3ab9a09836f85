package types

import "context"

// IngressQueue appends messages to the chain → pRuntime log and allocates
// gatekeeper tasks. Implemented by x/mq.
type IngressQueue interface {
	PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error)
	// PushGatekeeperTask asks the gatekeepers for a quorum message on
	// replyTopic at the sequence it returns (see x/mq's keeper).
	PushGatekeeperTask(ctx context.Context, module, taskTopic, replyTopic string, body []byte) (uint64, error)
}
