package migration

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// GatekeeperKeeper is what a migration needs of the gatekeeper protocol
// (x/gatekeeper/keeper): the governance account; whether a master key
// rotation runs; the gatekeeper set, its quorum and the master key count
// (may the activation go ahead); and, at the activation, putting a
// successor in its predecessor's place in the set, its cluster and as
// launcher, and asking for the history a new gatekeeper lacks. A fault
// reported on a handover is counted on a predecessor gatekeeper.
type GatekeeperKeeper interface {
	Authority() string
	IsGatekeeper(ctx context.Context, identityKey []byte) (bool, error)
	RunningRotation(ctx context.Context) (types.Rotation, bool, error)
	MasterKeyCount(ctx context.Context) (uint32, error)
	AllGatekeepers(ctx context.Context) ([]types.Gatekeeper, error)
	GatekeeperQuorum(ctx context.Context, n int) (int, error)
	CountFault(ctx context.Context, key []byte) error
	ReplaceGatekeeper(ctx context.Context, retiree, successor []byte, versions uint32) (wasGatekeeper, needsMasterKey bool, err error)
	ReplaceClusterMember(ctx context.Context, retiree, successor []byte) (id uint64, inCluster bool, err error)
	CurrentLauncher(ctx context.Context) ([]byte, error)
	HandOverLaunch(ctx context.Context, launcher, successor []byte) error
	RequestMasterKey(ctx context.Context, key, receiveKey []byte) error
}

// Keeper runs pRuntime migrations on the migration records (Store).
type Keeper struct {
	records     *Store
	gatekeepers GatekeeperKeeper
	registry    types.RegistryKeeper
	ingress     types.IngressQueue
	// upgrade schedules the x/upgrade plans of migrations (nil: migrations
	// cannot be scheduled).
	upgrade types.UpgradeKeeper
}

// NewKeeper returns a keeper of the migration records. gatekeepers is
// x/gatekeeper's keeper (built on the same records), registry x/registry's,
// ingress x/mq's, upgrade x/upgrade's (nil: migrations cannot be
// scheduled). Governance (gatekeepers.Authority) schedules migrations.
func NewKeeper(records *Store, gatekeepers GatekeeperKeeper, registry types.RegistryKeeper,
	ingress types.IngressQueue, upgrade types.UpgradeKeeper,
) (*Keeper, error) {
	if records == nil || gatekeepers == nil || registry == nil || ingress == nil {
		return nil, fmt.Errorf("migration: records and the gatekeeper, registry and ingress keepers are required")
	}
	return &Keeper{records: records, gatekeepers: gatekeepers, registry: registry, ingress: ingress, upgrade: upgrade}, nil
}

// IsGatekeeper implements x/registry's GatekeeperProtocol with the
// gatekeeper keeper's answer; PairSuccessor (migration.go) is this
// keeper's.
func (k *Keeper) IsGatekeeper(ctx context.Context, identityKey []byte) (bool, error) {
	return k.gatekeepers.IsGatekeeper(ctx, identityKey)
}

var _ registrytypes.GatekeeperProtocol = (*Keeper)(nil)

// PendingMigration returns the scheduled migration, if any.
func (k *Keeper) PendingMigration(ctx context.Context) (types.Migration, bool, error) {
	return k.records.PendingMigration(ctx)
}

func (k *Keeper) checkAuthority(authority string) error {
	if want := k.gatekeepers.Authority(); authority != want {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", want, authority)
	}
	return nil
}
