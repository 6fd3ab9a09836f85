package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// IngressQueue appends messages to the chain → pRuntime log. Implemented by
// x/mq.
type IngressQueue interface {
	PushIngress(ctx context.Context, module, topic string, payload []byte) (uint64, error)
}

// WorkerInfo is what x/computation needs to know of a registered worker.
type WorkerInfo struct {
	Operator        string
	ConfidenceLevel uint32
}

// Registry is x/computation's view of x/registry: registered workers, and
// whether the gatekeepers' master key and random beacon exist. Keeper's
// NewRegistryView implements it over the registry keeper.
type Registry interface {
	// Worker returns a registered worker; found is false for an unknown key.
	Worker(ctx context.Context, identityKey []byte) (w WorkerInfo, found bool, err error)
	// MasterKeyCount is the number of master key versions.
	MasterKeyCount(ctx context.Context) (uint32, error)
	// LatestBeacon returns the newest beacon value; found is false before
	// the first.
	LatestBeacon(ctx context.Context) (value []byte, found bool, err error)
}

// BankKeeper moves the stakes and mints the budget. Implemented by x/bank.
type BankKeeper interface {
	MintCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
}
