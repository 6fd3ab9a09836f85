package keeper

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// What a pRuntime migration (x/gatekeeper/migration) asks of the gatekeeper
// protocol: at its activation a ready successor takes its predecessor's
// place in the gatekeeper set, as launcher and in its cluster. These are
// changes of this keeper's state, so they are made here, by the rules that
// keep it consistent; the migration decides only who replaces whom.

// RunningRotation returns the master key rotation in progress, if any (a
// migration may not be scheduled during one).
func (k *Keeper) RunningRotation(ctx context.Context) (types.Rotation, bool, error) {
	return k.runningRotation(ctx)
}

// AllGatekeepers returns the gatekeeper set in key order.
func (k *Keeper) AllGatekeepers(ctx context.Context) ([]types.Gatekeeper, error) {
	var gks []types.Gatekeeper
	err := k.Gatekeepers.Walk(ctx, nil, func(_ []byte, g types.Gatekeeper) (bool, error) {
		gks = append(gks, g)
		return false, nil
	})
	return gks, err
}

// GatekeeperQuorum is how many of a gatekeeper set of n make a quorum, by
// x/mq's rule for gatekeeper-origin messages.
func (k *Keeper) GatekeeperQuorum(ctx context.Context, n int) (int, error) {
	return k.gatekeeperQuorum(ctx, n)
}

// CountFault counts a fault on key if it is a gatekeeper: evidence for
// governance, as for a bad key copy (a worker that is not one has no
// record to count it on).
func (k *Keeper) CountFault(ctx context.Context, key []byte) error {
	gk, err := k.Gatekeepers.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	gk.Faults++
	return k.Gatekeepers.Set(ctx, key, gk)
}

// ReplaceGatekeeper removes retiree from the gatekeeper set, if it is a
// gatekeeper, and adds successor (if not nil) in its place: live if the
// retiree was (a ready successor holds the verified history). A successor
// governance already designated keeps its own record. It reports whether
// retiree was a gatekeeper, and whether the successor was added not live
// while a master key exists (versions > 0), so it must be sent the history.
func (k *Keeper) ReplaceGatekeeper(ctx context.Context, retiree, successor []byte, versions uint32) (wasGatekeeper, needsMasterKey bool, err error) {
	gk, err := k.Gatekeepers.Get(ctx, retiree)
	if errors.Is(err, collections.ErrNotFound) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	if err := k.Gatekeepers.Remove(ctx, retiree); err != nil {
		return false, false, err
	}
	if successor == nil {
		return true, false, nil
	}
	already, err := k.Gatekeepers.Has(ctx, successor)
	if err != nil || already {
		return true, false, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	g := types.Gatekeeper{IdentityKey: successor, AddedHeight: height}
	if gk.LiveHeight != 0 {
		g.LiveHeight = height
	} else if versions > 0 {
		needsMasterKey = true
	}
	return true, needsMasterKey, k.Gatekeepers.Set(ctx, successor, g)
}

// ReplaceClusterMember puts successor (if not nil) in retiree's place in
// retiree's cluster, if it is in one, and returns that cluster.
func (k *Keeper) ReplaceClusterMember(ctx context.Context, retiree, successor []byte) (id uint64, inCluster bool, err error) {
	id, inCluster, err = k.clusterOf(ctx, retiree)
	if err != nil || !inCluster {
		return 0, false, err
	}
	return id, true, k.replaceMember(ctx, id, retiree, successor)
}

// replaceMember puts successor (if any) in old's place in cluster id.
func (k *Keeper) replaceMember(ctx context.Context, id uint64, old, successor []byte) error {
	c, err := k.GetCluster(ctx, id)
	if err != nil {
		return err
	}
	if i, found := slices.BinarySearchFunc(c.Workers, old, bytes.Compare); found {
		c.Workers = slices.Delete(c.Workers, i, i+1)
	}
	if err := k.WorkerCluster.Remove(ctx, old); err != nil {
		return err
	}
	// A successor its owner already put in a cluster stays where it is: a
	// worker is in at most one. A successor governance made a gatekeeper
	// stays out: a gatekeeper is never a cluster member.
	if successor == nil {
		return k.Clusters.Set(ctx, id, c)
	}
	gk, err := k.Gatekeepers.Has(ctx, successor)
	if err != nil {
		return err
	}
	if _, inCluster, err := k.clusterOf(ctx, successor); err != nil {
		return err
	} else if !inCluster && !gk {
		i, _ := slices.BinarySearchFunc(c.Workers, successor, bytes.Compare)
		c.Workers = slices.Insert(c.Workers, i, successor)
		if err := k.WorkerCluster.Set(ctx, successor, id); err != nil {
			return err
		}
	}
	return k.Clusters.Set(ctx, id, c)
}

// CurrentLauncher returns the gatekeeper designated to generate master key
// v0, or nil if there is none.
func (k *Keeper) CurrentLauncher(ctx context.Context) ([]byte, error) { return k.launcher(ctx) }

// HandOverLaunch runs after launcher was retired: its successor (if not
// nil) is designated in its place; without one the launch passes on as if
// the launcher were removed from the set.
func (k *Keeper) HandOverLaunch(ctx context.Context, launcher, successor []byte) error {
	if successor != nil {
		return k.designateLauncher(ctx, successor)
	}
	return k.gatekeeperRemoved(ctx, launcher)
}

// RequestMasterKey asks the live gatekeepers to send gatekeeper key the
// master key history, sealed to receiveKey.
func (k *Keeper) RequestMasterKey(ctx context.Context, key, receiveKey []byte) error {
	return k.requestMasterKey(ctx, key, receiveKey)
}
