package types

import "context"

// SenderRegistry tells the queue who may send egress. It is implemented by
// x/registry.
type SenderRegistry interface {
	// IsWorker reports whether identityKey belongs to a registered worker.
	IsWorker(ctx context.Context, identityKey []byte) (bool, error)
	// GatekeeperKeys returns the identity keys of the current gatekeepers.
	GatekeeperKeys(ctx context.Context) ([][]byte, error)
}
