package types

import (
	"context"
)

// IngressQueue appends messages to the chain → pRuntime log. Implemented
// by x/mq.
type IngressQueue interface {
	PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error)
}

// GatekeeperProtocol is the one thing worker registration needs of the
// gatekeeper protocol (x/gatekeeper), which itself depends on x/registry:
// the app hands x/gatekeeper's keeper to x/registry's module when it builds
// it, so the keepers depend one way and nothing is wired after
// construction.
type GatekeeperProtocol interface {
	// PairSuccessor pairs a registering successor, already recorded, with
	// the predecessor its attested registration info names, in the pending
	// pRuntime migration. An error fails the registration.
	PairSuccessor(ctx context.Context, successor Worker, predecessor []byte) error
	// IsGatekeeper reports whether a worker is a gatekeeper (the worker
	// query shows it).
	IsGatekeeper(ctx context.Context, identityKey []byte) (bool, error)
}
