package types

import (
	"bytes"
	"slices"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// The Msgs' ValidateBasic methods hold the checks that need no state: the
// node runs them in CheckTx before the ante handler takes a fee, and gov
// runs them when a proposal is submitted, so a malformed message costs its
// sender nothing and never waits for a vote to fail. The keeper repeats the
// checks it needs (a keeper test or another module may call it directly);
// what needs state (params, the registry, ownership) stays in the keeper.

var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgAddGatekeeper)(nil)
	_ sdk.HasValidateBasic = (*MsgRemoveGatekeeper)(nil)
	_ sdk.HasValidateBasic = (*MsgCreateCluster)(nil)
	_ sdk.HasValidateBasic = (*MsgAddClusterWorker)(nil)
	_ sdk.HasValidateBasic = (*MsgRemoveClusterWorker)(nil)
	_ sdk.HasValidateBasic = (*MsgInviteClusterWorker)(nil)
	_ sdk.HasValidateBasic = (*MsgJoinCluster)(nil)
	_ sdk.HasValidateBasic = (*MsgCancelClusterInvite)(nil)
	_ sdk.HasValidateBasic = (*MsgScheduleMigration)(nil)
)

// ParseKey decodes a 32-byte identity key given as hex or base64
// (protocol.ParseIdentityKey), as ErrInvalidKey.
func ParseKey(s string) ([]byte, error) {
	b, err := protocol.ParseIdentityKey(s)
	if err != nil {
		return nil, errorsmod.Wrap(ErrInvalidKey, err.Error())
	}
	return b, nil
}

// ValidateBasic checks the params.
func (m *MsgUpdateParams) ValidateBasic() error { return m.Params.Validate() }

// ValidateBasic checks the identity key.
func (m *MsgAddGatekeeper) ValidateBasic() error {
	_, err := ParseKey(m.IdentityKey)
	return err
}

// ValidateBasic checks the identity key.
func (m *MsgRemoveGatekeeper) ValidateBasic() error {
	_, err := ParseKey(m.IdentityKey)
	return err
}

// ParseWorkers decodes a new cluster's workers, sorted: 1 to
// MaxClusterWorkersLimit identity keys, none listed twice. The keeper also
// holds the count to the max_cluster_workers param.
func (m *MsgCreateCluster) ParseWorkers() ([][]byte, error) {
	if len(m.Workers) == 0 || len(m.Workers) > MaxClusterWorkersLimit {
		return nil, errorsmod.Wrapf(ErrInvalidCluster, "%d workers, want 1-%d", len(m.Workers), MaxClusterWorkersLimit)
	}
	workers := make([][]byte, 0, len(m.Workers))
	for _, s := range m.Workers {
		key, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		workers = append(workers, key)
	}
	slices.SortFunc(workers, bytes.Compare)
	for i := 1; i < len(workers); i++ {
		if bytes.Equal(workers[i-1], workers[i]) {
			return nil, errorsmod.Wrapf(ErrInvalidCluster, "worker %x listed twice", workers[i])
		}
	}
	return workers, nil
}

// ValidateBasic checks the worker list (ParseWorkers).
func (m *MsgCreateCluster) ValidateBasic() error {
	_, err := m.ParseWorkers()
	return err
}

// validClusterMember checks a cluster message's cluster id and worker key.
func validClusterMember(clusterID uint64, worker string) error {
	if clusterID < FirstClusterID {
		return errorsmod.Wrapf(ErrClusterNotFound, "cluster id %d: ids start at %d", clusterID, FirstClusterID)
	}
	_, err := ParseKey(worker)
	return err
}

// ValidateBasic checks the cluster id and the worker key.
func (m *MsgAddClusterWorker) ValidateBasic() error { return validClusterMember(m.ClusterId, m.Worker) }

// ValidateBasic checks the cluster id and the worker key.
func (m *MsgRemoveClusterWorker) ValidateBasic() error {
	return validClusterMember(m.ClusterId, m.Worker)
}

// ValidateBasic checks the cluster id and the worker key.
func (m *MsgInviteClusterWorker) ValidateBasic() error {
	return validClusterMember(m.ClusterId, m.Worker)
}

// ValidateBasic checks the cluster id and the worker key.
func (m *MsgJoinCluster) ValidateBasic() error { return validClusterMember(m.ClusterId, m.Worker) }

// ValidateBasic checks the cluster id and the worker key.
func (m *MsgCancelClusterInvite) ValidateBasic() error {
	return validClusterMember(m.ClusterId, m.Worker)
}

// ValidateBasic checks the kind's size, that the measurement is hex of a
// measurement's size, the description's size, and that the activation
// height is a height. Whether the kind is known, the measurement new and
// the height far enough ahead needs state.
func (m *MsgScheduleMigration) ValidateBasic() error {
	if m.TeeKind == "" || len(m.TeeKind) > protocol.MaxTEEKindLen {
		return errorsmod.Wrapf(ErrInvalidMigration, "tee_kind is %d bytes, want 1-%d", len(m.TeeKind), protocol.MaxTEEKindLen)
	}
	if _, err := registrytypes.ParseMeasurement(m.Measurement); err != nil {
		return err
	}
	if len(m.Description) > MaxMigrationDescriptionLen {
		return errorsmod.Wrapf(ErrInvalidMigration, "description longer than %d bytes", MaxMigrationDescriptionLen)
	}
	if m.ActivationHeight <= 0 {
		return errorsmod.Wrapf(ErrInvalidMigration, "activation_height %d is not a block height", m.ActivationHeight)
	}
	return nil
}
