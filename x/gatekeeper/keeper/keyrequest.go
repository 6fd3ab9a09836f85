package keeper

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Key requests of pRuntimes that bootstrapped from proven state past the
// ingress retention (issue 12 point 6; protocol/keyrequest.go). The entries
// that carried their keys were pruned; the request makes the chain push the
// message the gatekeepers already answer, for the sender only. Each request
// costs every live gatekeeper an HPKE seal and an ingress entry, so the
// chain grants a sender one request per key version, and repeats it only
// after protocol.KeyRequestIntervalBlocks (a copy can be lost only if no
// live gatekeeper answered, which a later retry fixes).

// Kinds of KeyRequests entries.
const (
	keyRequestMaster  = 1
	keyRequestCluster = 2
)

// HandleClusterKeyRequest is the x/mq handler of
// protocol.TopicClusterKeyRequest: a member asks for its cluster's current
// key version again. Only a current member of that cluster may ask, only for
// the version the cluster uses and whose public key is on chain: a worker
// outside the cluster gets no grant.
func (k *Keeper) HandleClusterKeyRequest(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	id, err := protocol.DecodeClusterKeyID(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	c, err := k.GetCluster(ctx, id.Cluster)
	if err != nil {
		return err
	}
	member, ok, err := k.clusterOf(ctx, sender)
	if err != nil {
		return err
	}
	if !ok || member != c.Id {
		return errorsmod.Wrapf(types.ErrNotClusterMember, "worker %x asked for the key of cluster %d, which it is not a member of", sender, c.Id)
	}
	if id.Version != c.KeyVersion {
		return errorsmod.Wrapf(types.ErrKeyVersionMismatch, "worker %x asked for cluster %d key version %d, the cluster uses %d", sender, c.Id, id.Version, c.KeyVersion)
	}
	if len(c.PublicKey) == 0 {
		return errorsmod.Wrapf(types.ErrClusterKeyNotPublished, "cluster %d version %d: the grant follows its publication", c.Id, c.KeyVersion)
	}
	if err := k.admitKeyRequest(ctx, keyRequestCluster, sender, c.Id, c.KeyVersion); err != nil {
		return err
	}
	if err := k.grant(ctx, c, sender); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventClusterKeyRequest,
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(c.Id)),
		sdk.NewAttribute(types.AttributeWorker, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(c.KeyVersion))))
	return nil
}

// HandleMasterKeyRefetch is the x/mq handler of
// protocol.TopicMasterKeyRefetch: a current gatekeeper whose pRuntime lacks
// master key versions (it bootstrapped past the copies, or past the
// proposal of a rotation that activated without it) asks for its history.
// The count must be the chain's: a request from a pRuntime that has not
// seen the newest version is stale.
func (k *Keeper) HandleMasterKeyRefetch(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	count, err := protocol.DecodeU32("version count", m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	if _, err := k.currentGatekeeper(ctx, sender); err != nil {
		return err
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errorsmod.Wrapf(types.ErrNoMasterKey, "gatekeeper %x asked for the master key history", sender)
	}
	if count != n {
		return errorsmod.Wrapf(types.ErrKeyVersionMismatch, "gatekeeper %x asked for %d master key versions, the chain has %d", sender, count, n)
	}
	if err := k.admitKeyRequest(ctx, keyRequestMaster, sender, 0, n); err != nil {
		return err
	}
	return k.refetch(ctx, sender, n-1)
}

// admitKeyRequest records a request of kind for (cluster, version) by
// sender, or refuses it: the same request is granted again only
// protocol.KeyRequestIntervalBlocks blocks after the last one.
func (k *Keeper) admitKeyRequest(ctx sdk.Context, kind byte, sender []byte, cluster uint64, version uint32) error {
	key := append([]byte{kind}, sender...)
	last, err := k.KeyRequests.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	case len(last) != 20:
		return fmt.Errorf("registry: key request record of %x is %d bytes, want 20", sender, len(last))
	default:
		height := int64(binary.BigEndian.Uint64(last))
		sameVersion := binary.BigEndian.Uint64(last[8:]) == cluster && binary.BigEndian.Uint32(last[16:]) == version
		if next := height + protocol.KeyRequestIntervalBlocks; sameVersion && ctx.BlockHeight() < next {
			return errorsmod.Wrapf(types.ErrKeyRequestTooSoon, "%x asked for version %d at height %d; it may ask again from height %d", sender, version, height, next)
		}
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(ctx.BlockHeight()))
	v = binary.BigEndian.AppendUint64(v, cluster)
	v = binary.BigEndian.AppendUint32(v, version)
	return k.KeyRequests.Set(ctx, key, v)
}
