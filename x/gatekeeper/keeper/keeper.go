package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// Keeper owns the "gatekeeper" store.
type Keeper struct {
	authority    string
	addressCodec address.Codec
	registry     types.RegistryKeeper
	ingress      types.IngressQueue
	migrations   Migrations

	Schema      collections.Schema
	Params      collections.Item[types.Params]
	Gatekeepers collections.Map[[]byte, types.Gatekeeper]
	MasterKeys  collections.Map[uint32, types.MasterKey]
	Clusters    collections.Map[uint64, types.Cluster]
	// NextClusterID is the id the next cluster gets; absent means
	// types.FirstClusterID.
	NextClusterID collections.Item[uint64]
	// WorkerCluster indexes Clusters by member.
	WorkerCluster collections.Map[[]byte, uint64]
	Launcher      collections.Item[[]byte]
	LatestBeacon  collections.Item[types.Beacon]
	// Rotations holds every master key rotation by to_version; the running
	// one is the last.
	Rotations collections.Map[uint32, types.Rotation]
	// ClusterInvitations holds pending invitations by (cluster id, worker).
	ClusterInvitations collections.Map[collections.Pair[uint64, []byte], types.ClusterInvitation]
	// KeyRequests holds each sender's last granted key request (keyrequest.go).
	KeyRequests collections.Map[[]byte, []byte]
}

// Migrations is what the gatekeeper protocol reads of pRuntime migrations:
// whether one is pending, which refuses a master key rotation and a
// gatekeeper's successor joining a cluster. Implemented by
// x/gatekeeper/migration's Store, the migration records, which depend on
// nothing (see doc.go).
type Migrations interface {
	PendingMigration(ctx context.Context) (types.Migration, bool, error)
}

// NewKeeper returns a keeper. authority may change params and the gatekeeper
// set and rotate the master key (the gov module account by default).
// registry is x/registry's keeper, ingress x/mq's, migrations the pRuntime
// migration records.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, addressCodec address.Codec,
	authority string, registry types.RegistryKeeper, ingress types.IngressQueue, migrations Migrations,
) (*Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return nil, fmt.Errorf("gatekeeper: invalid authority %q: %w", authority, err)
	}
	if registry == nil || ingress == nil || migrations == nil {
		return nil, fmt.Errorf("gatekeeper: registry and ingress keepers and the migration records are required")
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		authority:     authority,
		addressCodec:  addressCodec,
		registry:      registry,
		ingress:       ingress,
		migrations:    migrations,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Gatekeepers:   collections.NewMap(sb, types.GatekeeperPrefix, "gatekeepers", collections.BytesKey, codec.CollValue[types.Gatekeeper](cdc)),
		MasterKeys:    collections.NewMap(sb, types.MasterKeyPrefix, "master_keys", collections.Uint32Key, codec.CollValue[types.MasterKey](cdc)),
		Clusters:      collections.NewMap(sb, types.ClusterPrefix, "clusters", collections.Uint64Key, codec.CollValue[types.Cluster](cdc)),
		NextClusterID: collections.NewItem(sb, types.NextClusterIDKey, "next_cluster_id", collections.Uint64Value),
		WorkerCluster: collections.NewMap(sb, types.WorkerClusterPrefix, "worker_cluster", collections.BytesKey, collections.Uint64Value),
		Launcher:      collections.NewItem(sb, types.LauncherKey, "launcher", collections.BytesValue),
		LatestBeacon:  collections.NewItem(sb, types.LatestBeaconKey, "latest_beacon", codec.CollValue[types.Beacon](cdc)),
		Rotations:     collections.NewMap(sb, types.RotationPrefix, "rotations", collections.Uint32Key, codec.CollValue[types.Rotation](cdc)),
		ClusterInvitations: collections.NewMap(sb, types.ClusterInvitationPrefix, "cluster_invitations",
			collections.PairKeyCodec(collections.Uint64Key, collections.BytesKey), codec.CollValue[types.ClusterInvitation](cdc)),
		KeyRequests: collections.NewMap(sb, types.KeyRequestPrefix, "key_requests", collections.BytesKey, collections.BytesValue),
	}
	schema, err := sb.Build()
	if err != nil {
		return nil, fmt.Errorf("gatekeeper: building schema: %w", err)
	}
	k.Schema = schema
	return k, nil
}

// Authority returns the governance account.
func (k *Keeper) Authority() string { return k.authority }

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

// IsGatekeeper reports whether a worker is a gatekeeper (half of
// x/registry's GatekeeperProtocol, which x/gatekeeper/migration's keeper
// implements).
func (k *Keeper) IsGatekeeper(ctx context.Context, identityKey []byte) (bool, error) {
	return k.Gatekeepers.Has(ctx, identityKey)
}

// pendingMigration returns the scheduled pRuntime migration, if any.
func (k *Keeper) pendingMigration(ctx context.Context) (types.Migration, bool, error) {
	return k.migrations.PendingMigration(ctx)
}

// requireNoMigration refuses what may not start while a migration is
// pending (a master key rotation).
func (k *Keeper) requireNoMigration(ctx context.Context, what string) error {
	m, ok, err := k.pendingMigration(ctx)
	if err != nil || !ok {
		return err
	}
	return m.BlocksErr(what)
}

func (k *Keeper) checkAuthority(authority string) error {
	if authority != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", k.authority, authority)
	}
	return nil
}
