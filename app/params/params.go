// Package params holds the chain's address prefixes and denominations, for
// every binary: the node, the relayer and tests. It imports no module.
package params

import (
	"sync"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

const (
	// Bech32Prefix is the account address prefix: gk1... The pRuntime, which
	// does not import the SDK, checks operators against the same constant.
	Bech32Prefix = protocol.AccountAddressPrefix
	// BondDenom is the staking and fee denomination.
	BondDenom = "stake"
)

var configOnce sync.Once

// SetAddressPrefixes sets the SDK's global bech32 prefixes to gk, gkvaloper
// and gkvalcons, once, and seals the config. The SDK reads these globals deep
// inside; every entry point (the CLI, NewApp, tests) calls this first.
func SetAddressPrefixes() {
	configOnce.Do(func() {
		cfg := sdk.GetConfig()
		cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32Prefix+sdk.PrefixPublic)
		cfg.SetBech32PrefixForValidator(Bech32Prefix+sdk.PrefixValidator+sdk.PrefixOperator, Bech32Prefix+sdk.PrefixValidator+sdk.PrefixOperator+sdk.PrefixPublic)
		cfg.SetBech32PrefixForConsensusNode(Bech32Prefix+sdk.PrefixValidator+sdk.PrefixConsensus, Bech32Prefix+sdk.PrefixValidator+sdk.PrefixConsensus+sdk.PrefixPublic)
		cfg.Seal()
	})
}
