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
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// CreateCluster records a cluster of registered workers owned by msg.Owner
// and asks the gatekeepers (a gatekeeper task) to publish its key, derived
// from the latest master key version. It returns the cluster id. The owner
// must operate every worker listed: another operator's worker joins only by
// invitation and its operator's acceptance (InviteClusterWorker,
// JoinCluster), so no account can put a worker into a cluster whose other
// members would then read its state.
func (k *Keeper) CreateCluster(ctx context.Context, msg *types.MsgCreateCluster) (uint64, error) {
	if _, err := k.addressCodec.StringToBytes(msg.Owner); err != nil {
		return 0, errorsmod.Wrapf(types.ErrInvalidOwner, "%q: %v", msg.Owner, err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	workers, err := msg.ParseWorkers()
	if err != nil {
		return 0, err
	}
	if len(workers) > int(params.MaxClusterWorkers) {
		return 0, errorsmod.Wrapf(types.ErrInvalidCluster, "%d workers, want 1-%d (max_cluster_workers)", len(workers), params.MaxClusterWorkers)
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errorsmod.Wrap(types.ErrNoMasterKey, "cannot create a cluster")
	}
	owner, _ := k.addressCodec.StringToBytes(msg.Owner)
	for _, w := range workers {
		rec, err := k.checkJoinable(ctx, w)
		if err != nil {
			return 0, err
		}
		if err := k.requireOwnWorker(rec, owner, msg.Owner); err != nil {
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

// AddClusterWorker adds a registered worker that msg.Owner operates and that
// is in no cluster to cluster msg.ClusterId, whose owner must sign. Another
// operator's worker needs an invitation its operator accepts.
func (k *Keeper) AddClusterWorker(ctx context.Context, msg *types.MsgAddClusterWorker) error {
	c, err := k.ownedCluster(ctx, msg.Owner, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return err
	}
	rec, err := k.checkJoinable(ctx, key)
	if err != nil {
		return err
	}
	owner, _ := k.addressCodec.StringToBytes(msg.Owner)
	if err := k.requireOwnWorker(rec, owner, msg.Owner); err != nil {
		return err
	}
	return k.addMember(ctx, c, key)
}

// addMember adds worker key, already checked joinable and consenting, to
// cluster c if it has room, and grants it the cluster key if that is on
// chain.
func (k *Keeper) addMember(ctx context.Context, c types.Cluster, key []byte) error {
	if err := k.requireRoom(ctx, c); err != nil {
		return err
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

// requireRoom requires cluster c to have fewer than max_cluster_workers
// members.
func (k *Keeper) requireRoom(ctx context.Context, c types.Cluster) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if len(c.Workers) >= int(params.MaxClusterWorkers) {
		return errorsmod.Wrapf(types.ErrClusterFull, "cluster %d has %d workers", c.Id, len(c.Workers))
	}
	return nil
}

// InviteClusterWorker records cluster msg.ClusterId's owner's invitation of
// a registered worker, in no cluster and not a gatekeeper, and returns the
// last height at which its operator can accept it. A new invitation of the
// same worker replaces the old. Expired invitations of the cluster are
// pruned here, so that at most max_cluster_workers are stored per cluster
// without an end-block sweep.
func (k *Keeper) InviteClusterWorker(ctx context.Context, msg *types.MsgInviteClusterWorker) (int64, error) {
	c, err := k.ownedCluster(ctx, msg.Owner, msg.ClusterId)
	if err != nil {
		return 0, err
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return 0, err
	}
	if _, err := k.checkJoinable(ctx, key); err != nil {
		return 0, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if len(c.Workers) >= int(params.MaxClusterWorkers) {
		return 0, errorsmod.Wrapf(types.ErrClusterFull, "cluster %d has %d workers", c.Id, len(c.Workers))
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	var expired [][]byte
	live := 0
	rng := collections.NewPrefixedPairRange[uint64, []byte](c.Id)
	if err := k.ClusterInvitations.Walk(ctx, rng, func(_ collections.Pair[uint64, []byte], inv types.ClusterInvitation) (bool, error) {
		switch {
		case height > inv.ExpiresHeight:
			expired = append(expired, inv.Worker)
		case !bytes.Equal(inv.Worker, key):
			live++
		}
		return false, nil
	}); err != nil {
		return 0, err
	}
	if live >= int(params.MaxClusterWorkers) {
		return 0, errorsmod.Wrapf(types.ErrTooManyInvitations, "cluster %d has %d pending invitations: withdraw one first (cancel-cluster-invite)", c.Id, live)
	}
	// Checked before anything is written: a rejected invitation stores nothing.
	for _, w := range expired {
		if err := k.ClusterInvitations.Remove(ctx, collections.Join(c.Id, w)); err != nil {
			return 0, err
		}
		sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterInviteCancelled,
			sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
			sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(w)),
			sdk.NewAttribute(types.AttributeReason, "expired")))
	}
	// ClusterInviteBlocks ≤ 2^32 (Validate), so this cannot overflow.
	inv := types.ClusterInvitation{ClusterId: c.Id, Worker: key, InvitedHeight: height, ExpiresHeight: height + int64(params.ClusterInviteBlocks)}
	if err := k.ClusterInvitations.Set(ctx, collections.Join(c.Id, key), inv); err != nil {
		return 0, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterInvited,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeOwner, msg.Owner),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeExpires, fmt.Sprint(inv.ExpiresHeight))))
	return inv.ExpiresHeight, nil
}

// JoinCluster accepts a pending, unexpired invitation of msg.Worker to
// cluster msg.ClusterId: the signer must be the worker's registered
// operator. This acceptance is the consent that lets the worker in.
func (k *Keeper) JoinCluster(ctx context.Context, msg *types.MsgJoinCluster) error {
	signer, err := k.addressCodec.StringToBytes(msg.Operator)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidSigner, "%q: %v", msg.Operator, err)
	}
	c, err := k.GetCluster(ctx, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return err
	}
	w, err := k.registry.GetWorker(ctx, key)
	if err != nil {
		return err
	}
	if !k.operates(w, signer) {
		return errorsmod.Wrapf(types.ErrNotWorkerOperator, "worker %x is operated by %s, not %s", key, w.Operator, msg.Operator)
	}
	inv, err := k.ClusterInvitations.Get(ctx, collections.Join(c.Id, key))
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrNoInvitation, "worker %x, cluster %d: its owner must invite it first", key, c.Id)
	} else if err != nil {
		return err
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h > inv.ExpiresHeight {
		return errorsmod.Wrapf(types.ErrInvitationExpired, "worker %x, cluster %d: expired at height %d, now %d", key, c.Id, inv.ExpiresHeight, h)
	}
	if _, err := k.checkJoinable(ctx, key); err != nil {
		return err
	}
	// Checked before the invitation is consumed: a rejection stores nothing.
	if err := k.requireRoom(ctx, c); err != nil {
		return err
	}
	if err := k.ClusterInvitations.Remove(ctx, collections.Join(c.Id, key)); err != nil {
		return err
	}
	return k.addMember(ctx, c, key)
}

// CancelClusterInvite deletes a pending invitation: the cluster owner
// withdraws it, or the worker's operator declines it.
func (k *Keeper) CancelClusterInvite(ctx context.Context, msg *types.MsgCancelClusterInvite) error {
	signer, err := k.addressCodec.StringToBytes(msg.Signer)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidSigner, "%q: %v", msg.Signer, err)
	}
	c, err := k.GetCluster(ctx, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return err
	}
	ik := collections.Join(c.Id, key)
	if has, err := k.ClusterInvitations.Has(ctx, ik); err != nil {
		return err
	} else if !has {
		return errorsmod.Wrapf(types.ErrNoInvitation, "worker %x, cluster %d", key, c.Id)
	}
	reason := "withdrawn"
	if !k.sameAccount(c.Owner, signer) {
		// The worker's record may be gone (retired by a migration); then
		// only the owner can cancel, and expiry removes it anyway.
		w, err := k.registry.GetWorker(ctx, key)
		if err != nil || !k.operates(w, signer) {
			return errorsmod.Wrapf(types.ErrNotWorkerOperator, "%s is neither the owner of cluster %d nor the operator of worker %x", msg.Signer, c.Id, key)
		}
		reason = "declined"
	}
	if err := k.ClusterInvitations.Remove(ctx, ik); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventClusterInviteCancelled,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeSigner, msg.Signer),
		sdk.NewAttribute(types.AttributeReason, reason)))
	return nil
}

// RemoveClusterWorker removes a member from cluster msg.ClusterId at once
// and announces it: the worker drops the cluster's keys and the gatekeepers
// send it no more. The signer is the member's operator (it leaves), the
// owner if the owner also operates the member, or the authority
// (governance). The owner cannot remove another operator's worker: that
// would take away, without its operator's consent, the keys to the state
// the worker saved under the cluster key.
func (k *Keeper) RemoveClusterWorker(ctx context.Context, msg *types.MsgRemoveClusterWorker) error {
	signer, err := k.addressCodec.StringToBytes(msg.Signer)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidSigner, "%q: %v", msg.Signer, err)
	}
	c, err := k.GetCluster(ctx, msg.ClusterId)
	if err != nil {
		return err
	}
	key, err := types.ParseKey(msg.Worker)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(c.Workers, key, bytes.Compare)
	if !found {
		return errorsmod.Wrapf(types.ErrNotClusterMember, "worker %x, cluster %d", key, c.Id)
	}
	allowed := k.sameAccount(k.authority, signer)
	if w, err := k.registry.GetWorker(ctx, key); err == nil {
		allowed = allowed || k.operates(w, signer)
		if !allowed && k.sameAccount(c.Owner, signer) {
			return errorsmod.Wrapf(types.ErrRemovalNotAllowed, "worker %x is operated by %s, not the owner of cluster %d: it leaves when its operator signs, or by governance",
				key, w.Operator, c.Id)
		}
	} else if !errors.Is(err, registrytypes.ErrWorkerNotFound) {
		return err
	} else {
		// A member without a record (not reachable today: a retired worker
		// leaves its cluster at activation) consented to nothing further;
		// its owner may clear it.
		allowed = allowed || k.sameAccount(c.Owner, signer)
	}
	if !allowed {
		return errorsmod.Wrapf(types.ErrRemovalNotAllowed, "%s, worker %x, cluster %d", msg.Signer, key, c.Id)
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
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(key)),
		sdk.NewAttribute(types.AttributeSigner, msg.Signer)))
	return nil
}

// HandleClusterKey is the x/mq handler of protocol.TopicClusterKey, a
// gatekeeper-origin (quorum) message answering a cluster task: the public key
// of a cluster's key. The chain records it once, republishes it, and asks the
// gatekeepers to send the key to every member.
func (k *Keeper) HandleClusterKey(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginGatekeeper); err != nil {
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
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
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
	if !k.sameAccount(c.Owner, signer) {
		return types.Cluster{}, errorsmod.Wrapf(types.ErrNotClusterOwner, "cluster %d is owned by %s, not %s", id, c.Owner, owner)
	}
	return c, nil
}

// checkJoinable requires key to be a registered worker in no cluster that
// is not a gatekeeper and will not become one as a migration successor, and
// returns its record. A gatekeeper holds the master key: a cluster member's
// app API hands out app keys to whoever reaches it, and a gatekeeper's host
// must get nothing of the kind.
func (k *Keeper) checkJoinable(ctx context.Context, key []byte) (registrytypes.Worker, error) {
	w, err := k.registry.GetWorker(ctx, key)
	if err != nil {
		return registrytypes.Worker{}, err
	}
	if id, ok, err := k.clusterOf(ctx, key); err != nil {
		return registrytypes.Worker{}, err
	} else if ok {
		return registrytypes.Worker{}, errorsmod.Wrapf(types.ErrWorkerInCluster, "worker %x is in cluster %d", key, id)
	}
	if gk, err := k.Gatekeepers.Has(ctx, key); err != nil {
		return registrytypes.Worker{}, err
	} else if gk {
		return registrytypes.Worker{}, errorsmod.Wrapf(types.ErrGatekeeperInCluster, "worker %x is a gatekeeper", key)
	}
	m, pending, err := k.pendingMigration(ctx)
	if err != nil {
		return registrytypes.Worker{}, err
	}
	if i := m.PairOfSuccessor(key); pending && i >= 0 {
		if gk, err := k.Gatekeepers.Has(ctx, m.Pairs[i].Predecessor); err != nil {
			return registrytypes.Worker{}, err
		} else if gk {
			return registrytypes.Worker{}, errorsmod.Wrapf(types.ErrGatekeeperInCluster, "worker %x succeeds gatekeeper %x in migration %d", key, m.Pairs[i].Predecessor, m.Id)
		}
	}
	return w, nil
}

// requireOwnWorker requires owner (the account ownerStr spells) to be w's
// registered operator: adding a worker without an invitation is consented
// to only by the account that operates it.
func (k *Keeper) requireOwnWorker(w registrytypes.Worker, owner []byte, ownerStr string) error {
	if !k.operates(w, owner) {
		return errorsmod.Wrapf(types.ErrNoOperatorConsent, "worker %x is operated by %s, not %s: invite it (invite-cluster-worker) and its operator accepts (join-cluster)",
			w.IdentityKey, w.Operator, ownerStr)
	}
	return nil
}

// operates reports whether account is w's registered operator.
func (k *Keeper) operates(w registrytypes.Worker, account []byte) bool {
	return k.sameAccount(w.Operator, account)
}

// sameAccount reports whether addr names account. Compared as bytes: the
// same account may be spelled differently.
func (k *Keeper) sameAccount(addr string, account []byte) bool {
	have, err := k.addressCodec.StringToBytes(addr)
	return err == nil && len(have) > 0 && bytes.Equal(have, account)
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
	w, err := k.registry.GetWorker(ctx, worker)
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
