package keeper

import "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"

// SetUpgradeKeeper lets the black-box tests swap x/upgrade for a fake after
// the fixture built the keeper; the app passes x/upgrade to NewKeeper.
func (k *Keeper) SetUpgradeKeeper(u types.UpgradeKeeper) { k.upgrade = u }
