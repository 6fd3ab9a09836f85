package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// CreateCluster records a cluster of registered workers owned by msg.Owner
// and asks the gatekeepers (a gatekeeper task) to publish its key, derived
// from the latest master key version. It returns the cluster id.
func (k *Keeper) CreateCluster(ctx context.Context, msg *types.MsgCreateCluster) (uint64, error) {
	if _, err := k.addressCodec.StringToBytes(msg.Owner); err != nil {
		return 0, errorsmod.Wrapf(types.ErrInvalidOwner, "%q: %v", msg.Owner, err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if len(msg.Workers) == 0 || len(msg.Workers) > int(params.MaxClusterWorkers) {
		return 0, errorsmod.Wrapf(types.ErrInvalidCluster, "%d workers, want 1-%d (max_cluster_workers)", len(msg.Workers), params.MaxClusterWorkers)
	}
	workers := make([][]byte, 0, len(msg.Workers))
	for _, s := range msg.Workers {
		key, err := parseKey(s)
		if err != nil {
			return 0, err
		}
		workers = append(workers, key)
	}
	slices.SortFunc(workers, bytes.Compare)
	for i := 1; i < len(workers); i++ {
		if bytes.Equal(workers[i-1], workers[i]) {
			return 0, errorsmod.Wrapf(types.ErrInvalidCluster, "worker %x listed twice", workers[i])
		}
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errorsmod.Wrap(types.ErrNoMasterKey, "cannot create a cluster")
	}
	for _, w := range workers {
		if err := k.checkJoinable(ctx, w); err != nil {
			return 0, err
		}
	}
	id, err := k.NextClusterID.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		id = types.FirstClusterID
	} else if err != nil {
		return 0, err
	}
	if err := k.NextClusterID.Set(ctx, id+1); err != nil {
		return 0, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	c := types.Cluster{Id: id, Owner: msg.Owner, Workers: workers, KeyVersion: n - 1, CreatedHeight: sdkCtx.BlockHeight()}
	if err := k.Clusters.Set(ctx, id, c); err != nil {
		return 0, err
	}
	for _, w := range workers {
		if err := k.WorkerCluster.Set(ctx, w, id); err != nil {
			return 0, err
		}
	}
	seq, err := k.requestClusterKey(ctx, c)
	if err != nil {
		return 0, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterCreated,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(id)),
		sdk.NewAttribute(types.AttributeOwner, msg.Owner),
		sdk.NewAttribute(types.AttributeWorkers, fmt.Sprint(len(workers))),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(c.KeyVersion)),
		sdk.NewAttribute(types.AttributeSeq, fmt.Sprint(seq))))
	return id, nil
}

// requestClusterKey asks the gatekeepers (a gatekeeper task) for the public
// key of cluster c's key version c.KeyVersion; HandleClusterKey records the
// answer and grants every member. It returns the task's sequence.
func (k *Keeper) requestClusterKey(ctx context.Context, c types.Cluster) (uint64, error) {
	return k.ingress.PushGatekeeperTask(ctx, types.ModuleName, protocol.TopicClusterTask, protocol.TopicClusterKey,
		protocol.ClusterKeyID{Cluster: c.Id, Version: c.KeyVersion}.Encode())
}

// AddClusterWorker adds a registered worker that is in no cluster to
// cluster msg.ClusterId, whose owner must sign. If the cluster's public key is
// on chain, the gatekeepers are asked to send the worker the cluster key.
func (k *Keeper) AddClusterWorker(ctx context.Context, msg *types.MsgAddClusterWorker) error {
	c, err := k.ownedCluster(ctx, msg.Owner, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := parseKey(msg.Worker)
	if err != nil {
		return err
	}
	if err := k.checkJoinable(ctx, key); err != nil {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if len(c.Workers) >= int(params.MaxClusterWorkers) {
		return errorsmod.Wrapf(types.ErrClusterFull, "cluster %d has %d workers", c.Id, len(c.Workers))
	}
	i, _ := slices.BinarySearchFunc(c.Workers, key, bytes.Compare)
	c.Workers = slices.Insert(c.Workers, i, key)
	if err := k.Clusters.Set(ctx, c.Id, c); err != nil {
		return err
	}
	if err := k.WorkerCluster.Set(ctx, key, c.Id); err != nil {
		return err
	}
	if len(c.PublicKey) > 0 {
		if err := k.grant(ctx, c, key); err != nil {
			return err
		}
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventClusterWorkerAdded,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key))))
	return nil
}

// RemoveClusterWorker removes a member from cluster msg.ClusterId, whose
// owner must sign, and announces it: the worker drops the cluster's keys and
// the gatekeepers send it no more.
func (k *Keeper) RemoveClusterWorker(ctx context.Context, msg *types.MsgRemoveClusterWorker) error {
	c, err := k.ownedCluster(ctx, msg.Owner, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := parseKey(msg.Worker)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(c.Workers, key, bytes.Compare)
	if !found {
		return errorsmod.Wrapf(types.ErrNotClusterMember, "worker %x, cluster %d", key, c.Id)
	}
	c.Workers = slices.Delete(c.Workers, i, i+1)
	if err := k.Clusters.Set(ctx, c.Id, c); err != nil {
		return err
	}
	if err := k.WorkerCluster.Remove(ctx, key); err != nil {
		return err
	}
	removed := protocol.ClusterMember{Cluster: c.Id, Worker: key}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicClusterMemberRemoved, removed.Encode()); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventClusterWorkerRemoved,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key))))
	return nil
}

// HandleClusterKey is the x/mq handler of protocol.TopicClusterKey, a
// gatekeeper-origin (quorum) message answering a cluster task: the public key
// of a cluster's key. The chain records it once, republishes it, and asks the
// gatekeepers to send the key to every member.
func (k *Keeper) HandleClusterKey(ctx sdk.Context, m protocol.Message) error {
	if err := requireOrigin(m, protocol.OriginGatekeeper); err != nil {
		return err
	}
	p, err := protocol.DecodeClusterPublicKey(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	c, err := k.GetCluster(ctx, p.Cluster)
	if err != nil {
		return err
	}
	if p.Version != c.KeyVersion {
		return errorsmod.Wrapf(types.ErrKeyVersionMismatch, "cluster %d key version %d, the cluster uses %d", c.Id, p.Version, c.KeyVersion)
	}
	if len(c.PublicKey) > 0 {
		return errorsmod.Wrapf(types.ErrClusterKeyExists, "cluster %d version %d", c.Id, c.KeyVersion)
	}
	c.PublicKey = p.PublicKey
	if err := k.Clusters.Set(ctx, c.Id, c); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicClusterKey, m.Payload); err != nil {
		return err
	}
	for _, w := range c.Workers {
		if err := k.grant(ctx, c, w); err != nil {
			return err
		}
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterKeyPublished,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(c.KeyVersion)),
		sdk.NewAttribute(types.AttributePublicKey, hex.EncodeToString(c.PublicKey))))
	return nil
}

// HandleClusterKeyCopy is the x/mq handler of protocol.TopicClusterKeyCopy: a
// live gatekeeper sends a cluster key, sealed, to a member. The chain relays
// it only to a current member, for the cluster's key version, once its
// public key is on chain: a worker outside the cluster gets no copy.
func (k *Keeper) HandleClusterKeyCopy(ctx sdk.Context, m protocol.Message) error {
	if err := requireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	if err := k.requireLive(ctx, sender); err != nil {
		return err
	}
	cp, err := protocol.DecodeClusterKeyCopy(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	c, err := k.GetCluster(ctx, cp.Cluster)
	if err != nil {
		return err
	}
	if cp.Version != c.KeyVersion {
		return errorsmod.Wrapf(types.ErrKeyVersionMismatch, "copy of cluster %d key version %d, the cluster uses %d", c.Id, cp.Version, c.KeyVersion)
	}
	if len(c.PublicKey) == 0 {
		return errorsmod.Wrapf(types.ErrClusterKeyNotPublished, "cluster %d: a copy could not be verified", c.Id)
	}
	if _, found := slices.BinarySearchFunc(c.Workers, cp.Recipient, bytes.Compare); !found {
		return errorsmod.Wrapf(types.ErrInvalidRecipient, "%x is not a member of cluster %d: its key goes to members only", cp.Recipient, c.Id)
	}
	return k.relay(ctx, m, sender, cp.Recipient, cp.Version, "cluster")
}

// GetCluster returns cluster id.
func (k *Keeper) GetCluster(ctx context.Context, id uint64) (types.Cluster, error) {
	c, err := k.Clusters.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Cluster{}, errorsmod.Wrapf(types.ErrClusterNotFound, "cluster %d", id)
	}
	return c, err
}

// ownedCluster returns cluster id after checking that owner is a valid
// address and owns it.
func (k *Keeper) ownedCluster(ctx context.Context, owner string, id uint64) (types.Cluster, error) {
	signer, err := k.addressCodec.StringToBytes(owner)
	if err != nil {
		return types.Cluster{}, errorsmod.Wrapf(types.ErrInvalidOwner, "%q: %v", owner, err)
	}
	c, err := k.GetCluster(ctx, id)
	if err != nil {
		return types.Cluster{}, err
	}
	// Compared as bytes: the same account may be spelled differently.
	if have, err := k.addressCodec.StringToBytes(c.Owner); err != nil || !bytes.Equal(have, signer) {
		return types.Cluster{}, errorsmod.Wrapf(types.ErrNotClusterOwner, "cluster %d is owned by %s, not %s", id, c.Owner, owner)
	}
	return c, nil
}

// checkJoinable requires key to be a registered worker in no cluster.
func (k *Keeper) checkJoinable(ctx context.Context, key []byte) error {
	if ok, err := k.IsWorker(ctx, key); err != nil {
		return err
	} else if !ok {
		return errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", key)
	}
	if id, ok, err := k.clusterOf(ctx, key); err != nil {
		return err
	} else if ok {
		return errorsmod.Wrapf(types.ErrWorkerInCluster, "worker %x is in cluster %d", key, id)
	}
	return nil
}

// clusterOf returns the cluster worker key is in, if any.
func (k *Keeper) clusterOf(ctx context.Context, key []byte) (uint64, bool, error) {
	id, err := k.WorkerCluster.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// grant asks the gatekeepers to send member worker the key of cluster c,
// whose public key is on chain; the grant carries it so that the worker can
// check its copies.
func (k *Keeper) grant(ctx context.Context, c types.Cluster, worker []byte) error {
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return err
	}
	g := protocol.ClusterGrant{
		ClusterKeyID: protocol.ClusterKeyID{Cluster: c.Id, Version: c.KeyVersion},
		PublicKey:    c.PublicKey,
		Worker:       worker,
		ReceiveKey:   w.ReceiveKey,
	}
	_, err = k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicClusterGrant, g.Encode())
	return err
}
