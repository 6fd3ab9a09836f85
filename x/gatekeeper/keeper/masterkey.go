package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// MasterKeyCount returns how many master key versions exist. Versions run
// from 0 without gaps, so it is the latest version + 1.
func (k *Keeper) MasterKeyCount(ctx context.Context) (uint32, error) {
	it, err := k.MasterKeys.Iterate(ctx, new(collections.Range[uint32]).Descending())
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, nil
	}
	v, err := it.Key()
	if err != nil {
		return 0, err
	}
	return v + 1, nil
}

// launcher returns the gatekeeper designated to generate master key v0, or
// nil if there is none.
func (k *Keeper) launcher(ctx context.Context) ([]byte, error) {
	l, err := k.Launcher.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	return l, err
}

// gatekeeperAdded runs after gatekeeper key was stored and announced: the
// first gatekeeper of a chain without a master key is told to launch; once a
// master key exists, every new gatekeeper is sent the history by the live
// ones. A gatekeeper added while the launcher is still at work waits: it is
// asked for when v0 is recorded.
func (k *Keeper) gatekeeperAdded(ctx context.Context, key, receiveKey []byte) error {
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return k.requestMasterKey(ctx, key, receiveKey)
	}
	l, err := k.launcher(ctx)
	if err != nil || l != nil {
		return err
	}
	return k.designateLauncher(ctx, key)
}

// gatekeeperRemoved runs after gatekeeper key was removed. If it was the
// launcher, the first remaining gatekeeper in key order takes over, so one
// gatekeeper that never launches cannot stall the network.
func (k *Keeper) gatekeeperRemoved(ctx context.Context, key []byte) error {
	l, err := k.launcher(ctx)
	if err != nil || !bytes.Equal(l, key) {
		return err
	}
	// The launcher is cleared when v0 is recorded, so no master key exists.
	if err := k.Launcher.Remove(ctx); err != nil {
		return err
	}
	gks, err := k.GatekeeperKeys(ctx)
	if err != nil || len(gks) == 0 {
		return err
	}
	return k.designateLauncher(ctx, gks[0])
}

func (k *Keeper) designateLauncher(ctx context.Context, key []byte) error {
	if err := k.Launcher.Set(ctx, key); err != nil {
		return err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicGatekeeperLaunch, key); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventGatekeeperLaunch,
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(key))))
	return nil
}

// requestMasterKey asks the live gatekeepers to send gatekeeper key the
// master key history, sealed to receiveKey.
func (k *Keeper) requestMasterKey(ctx context.Context, key, receiveKey []byte) error {
	req := protocol.KeyRequest{Identity: key, ReceiveKey: receiveKey}
	_, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMasterKeyRequest, req.Encode())
	return err
}

// HandleMasterKey is the x/mq handler of protocol.TopicMasterKey: the
// launcher reports the public key of master key v0, which it generated and
// sealed. The chain records it, marks the launcher live, republishes it, and
// asks the launcher to send it to every other gatekeeper.
func (k *Keeper) HandleMasterKey(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errorsmod.Wrapf(types.ErrMasterKeyExists, "gatekeeper %x sent a master key, but version 0 is already on chain", sender)
	}
	l, err := k.launcher(ctx)
	switch {
	case err != nil:
		return err
	case l == nil:
		return errorsmod.Wrapf(types.ErrNotLauncher, "worker %x sent a master key, but no gatekeeper is designated to launch", sender)
	case !bytes.Equal(l, sender):
		return errorsmod.Wrapf(types.ErrNotLauncher, "worker %x sent a master key; the launcher is %x", sender, l)
	}
	rec, err := protocol.DecodeMasterKeyRecord(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	if rec.Version != 0 {
		return errorsmod.Wrapf(types.ErrInvalidMasterKey, "version %d, the first master key must be version 0", rec.Version)
	}
	if err := crypto.ValidateMasterPublicKey(rec.PublicKey); err != nil {
		return errorsmod.Wrap(types.ErrInvalidMasterKey, err.Error())
	}
	gk, err := k.currentGatekeeper(ctx, sender)
	if err != nil {
		return err
	}
	if err := k.recordMasterKey(ctx, 0, rec.PublicKey, sender); err != nil {
		return err
	}
	if err := k.Launcher.Remove(ctx); err != nil {
		return err
	}
	gk.LiveHeight = ctx.BlockHeight()
	if err := k.Gatekeepers.Set(ctx, sender, gk); err != nil {
		return err
	}
	gks, err := k.GatekeeperKeys(ctx)
	if err != nil {
		return err
	}
	for _, key := range gks {
		if bytes.Equal(key, sender) {
			continue
		}
		w, err := k.registry.GetWorker(ctx, key)
		if err != nil {
			return err
		}
		if err := k.requestMasterKey(ctx, key, w.ReceiveKey); err != nil {
			return err
		}
	}
	return nil
}

// recordMasterKey records master key version, generated by gatekeeper
// generatedBy, and republishes its MasterKeyRecord on ingress
// (protocol.TopicMasterKey), from which every pRuntime learns the public
// keys it checks copies against. Launch (v0) and rotation (v+1) both record
// a version this way.
func (k *Keeper) recordMasterKey(ctx sdk.Context, version uint32, publicKey, generatedBy []byte) error {
	mk := types.MasterKey{Version: version, PublicKey: publicKey, Height: ctx.BlockHeight(), GeneratedBy: generatedBy}
	if err := k.MasterKeys.Set(ctx, version, mk); err != nil {
		return err
	}
	rec := protocol.MasterKeyRecord{Version: version, PublicKey: publicKey}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicMasterKey, rec.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventMasterKeyRecorded,
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(version)),
		sdk.NewAttribute(types.AttributePublicKey, hex.EncodeToString(publicKey)),
		sdk.NewAttribute(types.AttributeSender, hex.EncodeToString(generatedBy))))
	return nil
}

// HandleMasterKeyCopy is the x/mq handler of protocol.TopicMasterKeyCopy: a
// live gatekeeper sends master key versions, sealed, to another gatekeeper.
// The chain relays the copy on ingress with the sender's key, and only to a
// current gatekeeper: no other worker ever receives the master key.
func (k *Keeper) HandleMasterKeyCopy(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	if err := k.requireLive(ctx, sender); err != nil {
		return err
	}
	cp, err := protocol.DecodeMasterKeyCopy(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	if bytes.Equal(cp.Recipient, sender) {
		return errorsmod.Wrapf(types.ErrInvalidRecipient, "gatekeeper %x sent a master key copy to itself", sender)
	}
	if ok, err := k.Gatekeepers.Has(ctx, cp.Recipient); err != nil {
		return err
	} else if !ok {
		return errorsmod.Wrapf(types.ErrInvalidRecipient, "%x is not a current gatekeeper: the master key goes to gatekeepers only", cp.Recipient)
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if uint64(cp.First)+uint64(cp.Count) > uint64(n) {
		return errorsmod.Wrapf(types.ErrUnknownKeyVersion, "copy of versions %d-%d, the chain has %d", cp.First, uint64(cp.First)+uint64(cp.Count)-1, n)
	}
	if err := k.requireNotErased(ctx, cp.First, cp.Count); err != nil {
		return err
	}
	return k.relay(ctx, m, sender, cp.Recipient, cp.First, "master")
}

// relay republishes a key copy on ingress as Relayed{sender, payload}.
func (k *Keeper) relay(ctx sdk.Context, m protocol.Message, sender, recipient []byte, version uint32, kind string) error {
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, m.Topic, protocol.Relayed{Sender: sender, Body: m.Payload}.Encode()); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventKeyCopyRelayed,
		sdk.NewAttribute(types.AttributeKind, kind),
		sdk.NewAttribute(types.AttributeSender, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeRecipient, hex.EncodeToString(recipient)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(version))))
	return nil
}

// HandleGatekeeperLive is the x/mq handler of protocol.TopicGatekeeperLive: a
// gatekeeper holds and has verified the whole master key history, so it may
// now send copies.
func (k *Keeper) HandleGatekeeperLive(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	sender := m.Origin.ID
	gk, err := k.currentGatekeeper(ctx, sender)
	if err != nil {
		return err
	}
	count, err := protocol.DecodeU32("version count", m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	n, err := k.MasterKeyCount(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errorsmod.Wrapf(types.ErrNoMasterKey, "gatekeeper %x reports live", sender)
	}
	if count != n {
		return errorsmod.Wrapf(types.ErrKeyVersionMismatch, "gatekeeper %x holds %d master key versions, the chain has %d", sender, count, n)
	}
	if gk.LiveHeight != 0 {
		return nil
	}
	gk.LiveHeight = ctx.BlockHeight()
	if err := k.Gatekeepers.Set(ctx, sender, gk); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventGatekeeperLive,
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(sender)),
		sdk.NewAttribute(types.AttributeVersions, fmt.Sprint(n))))
	return nil
}

// HandleKeyFault is the x/mq handler of protocol.TopicKeyFault: a receiver
// reports a key copy that did not open or did not match its public key on
// chain. Only a worker that could have received such a copy may report it:
// a gatekeeper for master key copies, a member of the cluster for cluster
// key copies. The accused gatekeeper's fault count goes up. A master key
// fault against the proposal a rotation is acknowledging (Sender = its
// proposer, Version = its to_version) also counts against that proposal
// (see proposalFault).
func (k *Keeper) HandleKeyFault(ctx sdk.Context, m protocol.Message) error {
	if err := types.RequireOrigin(m, protocol.OriginWorker); err != nil {
		return err
	}
	reporter := m.Origin.ID
	if ok, err := k.registry.IsWorker(ctx, reporter); err != nil {
		return err
	} else if !ok {
		return errorsmod.Wrapf(registrytypes.ErrWorkerNotFound, "fault reporter %x", reporter)
	}
	f, err := protocol.DecodeKeyFault(m.Payload)
	if err != nil {
		return errorsmod.Wrapf(types.ErrMalformedPayload, "%s: %v", m.Topic, err)
	}
	accused, err := k.Gatekeepers.Get(ctx, f.Sender)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrNotGatekeeper, "accused %x is not a current gatekeeper", f.Sender)
	} else if err != nil {
		return err
	}
	switch f.Kind {
	case protocol.FaultMasterKeyCopy:
		if ok, err := k.Gatekeepers.Has(ctx, reporter); err != nil {
			return err
		} else if !ok {
			return errorsmod.Wrapf(types.ErrNotGatekeeper, "reporter %x of a master key copy fault: only gatekeepers receive master key copies", reporter)
		}
	case protocol.FaultClusterKeyCopy:
		if id, ok, err := k.clusterOf(ctx, reporter); err != nil {
			return err
		} else if !ok || id != f.Cluster {
			return errorsmod.Wrapf(types.ErrNotClusterMember, "reporter %x of a cluster %d key copy fault", reporter, f.Cluster)
		}
	}
	accused.Faults++
	if err := k.Gatekeepers.Set(ctx, f.Sender, accused); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventKeyFault,
		sdk.NewAttribute(types.AttributeReporter, hex.EncodeToString(reporter)),
		sdk.NewAttribute(types.AttributeAccused, hex.EncodeToString(f.Sender)),
		sdk.NewAttribute(types.AttributeKind, faultKind(f.Kind)),
		sdk.NewAttribute(types.AttributeClusterID, fmt.Sprint(f.Cluster)),
		sdk.NewAttribute(types.AttributeVersion, fmt.Sprint(f.Version)),
		sdk.NewAttribute(types.AttributeFaults, fmt.Sprint(accused.Faults))))
	if f.Kind == protocol.FaultMasterKeyCopy {
		return k.proposalFault(ctx, reporter, f)
	}
	return nil
}

func faultKind(kind uint8) string {
	if kind == protocol.FaultMasterKeyCopy {
		return "master_key_copy"
	}
	return "cluster_key_copy"
}

// currentGatekeeper returns the record of gatekeeper key.
func (k *Keeper) currentGatekeeper(ctx context.Context, key []byte) (types.Gatekeeper, error) {
	gk, err := k.Gatekeepers.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Gatekeeper{}, errorsmod.Wrapf(types.ErrNotGatekeeper, "sender %x", key)
	}
	return gk, err
}

// requireLive requires key to be a current gatekeeper that has gone live.
func (k *Keeper) requireLive(ctx context.Context, key []byte) error {
	gk, err := k.currentGatekeeper(ctx, key)
	if err != nil {
		return err
	}
	if gk.LiveHeight == 0 {
		return errorsmod.Wrapf(types.ErrNotLive, "gatekeeper %x has not reported the master key history: it may not send key copies", key)
	}
	return nil
}
