package app

import "github.com/gatekeeper-net/gatekeeper/app/params"

const (
	// Name is the application's name in ABCI info and the CLI.
	Name = "gkd"
	// BondDenom is the staking and fee denomination.
	BondDenom = params.BondDenom
	// DefaultNodeDir is the default --home under the user's home directory.
	DefaultNodeDir = ".gkd"
)

// SetAddressPrefixes sets the SDK's bech32 prefixes (see params).
func SetAddressPrefixes() { params.SetAddressPrefixes() }
