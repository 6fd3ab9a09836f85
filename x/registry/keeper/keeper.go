package keeper

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Keeper owns the "registry" store.
type Keeper struct {
	authority    string
	addressCodec address.Codec
	ingress      types.IngressQueue
	verifiers    map[string]attest.Verifier
	// upgrade schedules the x/upgrade plans of pRuntime migrations (nil:
	// migrations cannot be scheduled); see SetUpgradeKeeper.
	upgrade types.UpgradeKeeper

	Schema       collections.Schema
	Params       collections.Item[types.Params]
	Measurements collections.Map[collections.Pair[string, []byte], types.Measurement]
	Workers      collections.Map[[]byte, types.Worker]
	Gatekeepers  collections.Map[[]byte, types.Gatekeeper]
	MasterKeys   collections.Map[uint32, types.MasterKey]
	Clusters     collections.Map[uint64, types.Cluster]
	// NextClusterID is the id the next cluster gets; absent means
	// types.FirstClusterID.
	NextClusterID collections.Item[uint64]
	// WorkerCluster indexes Clusters by member.
	WorkerCluster collections.Map[[]byte, uint64]
	Launcher      collections.Item[[]byte]
	LatestBeacon  collections.Item[types.Beacon]
	// Collaterals holds vendor collateral by (tee kind, platform id).
	Collaterals collections.Map[collections.Pair[string, string], types.Collateral]
	// Rotations holds every master key rotation by to_version; the running
	// one is the last.
	Rotations collections.Map[uint32, types.Rotation]
	// Migrations holds every pRuntime migration by id; the pending one is
	// the last.
	Migrations collections.Map[uint64, types.Migration]
	// ClusterInvitations holds pending invitations by (cluster id, worker).
	ClusterInvitations collections.Map[collections.Pair[uint64, []byte], types.ClusterInvitation]
	// KeyRequests holds each sender's last granted key request (keyrequest.go).
	KeyRequests collections.Map[[]byte, []byte]
}

// NewKeeper returns a keeper. authority may change params, measurements and
// the gatekeeper set (the gov module account by default). verifiers are the
// quote verifiers of the TEE kinds this chain knows, one per kind.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec,
	authority string, ingress types.IngressQueue, verifiers ...attest.Verifier,
) (*Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return nil, fmt.Errorf("registry: invalid authority %q: %w", authority, err)
	}
	vs := make(map[string]attest.Verifier, len(verifiers))
	for _, v := range verifiers {
		if _, dup := vs[v.Kind()]; dup {
			return nil, fmt.Errorf("registry: two verifiers for TEE kind %q", v.Kind())
		}
		vs[v.Kind()] = v
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		authority:    authority,
		addressCodec: addressCodec,
		ingress:      ingress,
		verifiers:    vs,
		Params:       collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Measurements: collections.NewMap(sb, types.MeasurementPrefix, "measurements",
			collections.PairKeyCodec(collections.StringKey, collections.BytesKey), codec.CollValue[types.Measurement](cdc)),
		Workers:       collections.NewMap(sb, types.WorkerPrefix, "workers", collections.BytesKey, codec.CollValue[types.Worker](cdc)),
		Gatekeepers:   collections.NewMap(sb, types.GatekeeperPrefix, "gatekeepers", collections.BytesKey, codec.CollValue[types.Gatekeeper](cdc)),
		MasterKeys:    collections.NewMap(sb, types.MasterKeyPrefix, "master_keys", collections.Uint32Key, codec.CollValue[types.MasterKey](cdc)),
		Clusters:      collections.NewMap(sb, types.ClusterPrefix, "clusters", collections.Uint64Key, codec.CollValue[types.Cluster](cdc)),
		NextClusterID: collections.NewItem(sb, types.NextClusterIDKey, "next_cluster_id", collections.Uint64Value),
		WorkerCluster: collections.NewMap(sb, types.WorkerClusterPrefix, "worker_cluster", collections.BytesKey, collections.Uint64Value),
		Launcher:      collections.NewItem(sb, types.LauncherKey, "launcher", collections.BytesValue),
		LatestBeacon:  collections.NewItem(sb, types.LatestBeaconKey, "latest_beacon", codec.CollValue[types.Beacon](cdc)),
		Collaterals: collections.NewMap(sb, types.CollateralPrefix, "collaterals",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), codec.CollValue[types.Collateral](cdc)),
		Rotations:  collections.NewMap(sb, types.RotationPrefix, "rotations", collections.Uint32Key, codec.CollValue[types.Rotation](cdc)),
		Migrations: collections.NewMap(sb, types.MigrationPrefix, "migrations", collections.Uint64Key, codec.CollValue[types.Migration](cdc)),
		ClusterInvitations: collections.NewMap(sb, types.ClusterInvitationPrefix, "cluster_invitations",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey), codec.CollValue[types.ClusterInvitation](cdc)),
		KeyRequests: collections.NewMap(sb, types.KeyRequestPrefix, "key_requests", collections.BytesKey, collections.BytesValue),
	}
	schema, err := sb.Build()
	if err != nil {
		return nil, fmt.Errorf("registry: building schema: %w", err)
	}
	k.Schema = schema
	return k, nil
}

// SetUpgradeKeeper gives the keeper x/upgrade, through which pRuntime
// migrations schedule their activation. The app sets it once, at wiring.
func (k *Keeper) SetUpgradeKeeper(u types.UpgradeKeeper) { k.upgrade = u }

// Authority returns the governance account.
func (k *Keeper) Authority() string { return k.authority }

// IsWorker implements x/mq's SenderRegistry.
func (k *Keeper) IsWorker(ctx context.Context, identityKey []byte) (bool, error) {
	return k.Workers.Has(ctx, identityKey)
}

// GatekeeperKeys implements x/mq's SenderRegistry: the current gatekeepers'
// identity keys in key order.
func (k *Keeper) GatekeeperKeys(ctx context.Context) ([][]byte, error) {
	var keys [][]byte
	err := k.Gatekeepers.Walk(ctx, nil, func(key []byte, _ types.Gatekeeper) (bool, error) {
		keys = append(keys, key)
		return false, nil
	})
	return keys, err
}

// GetWorker returns a registered worker.
func (k *Keeper) GetWorker(ctx context.Context, identityKey []byte) (types.Worker, error) {
	w, err := k.Workers.Get(ctx, identityKey)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Worker{}, errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", identityKey)
	}
	return w, err
}

func (k *Keeper) checkAuthority(authority string) error {
	if authority != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, authority)
	}
	return nil
}

// parseKey decodes a 32-byte identity key given as hex (as operators type
// it) or base64 (as JSON output shows bytes).
func parseKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errorsmod.Wrapf(types.ErrInvalidKey, "%q is not a 32-byte key in hex or base64", s)
}

// maxKindInError bounds how much of an unknown TEE kind an error repeats: the
// string comes from a transaction and could be as large as the tx.
const maxKindInError = 32

func unknownKind(kind string) error {
	if len(kind) > maxKindInError {
		return errorsmod.Wrapf(types.ErrUnknownTEEKind, "%q… (%d bytes)", kind[:maxKindInError], len(kind))
	}
	return errorsmod.Wrapf(types.ErrUnknownTEEKind, "%q", kind)
}
