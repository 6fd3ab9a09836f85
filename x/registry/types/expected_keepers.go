package types

import "context"

// IngressQueue appends messages to the chain → pRuntime log. Implemented by
// x/mq.
type IngressQueue interface {
	PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error)
}
