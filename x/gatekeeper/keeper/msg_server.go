package keeper

import (
	"context"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// MigrationMsgServer serves the Msg service's pRuntime migration messages
// (x/gatekeeper/migration's keeper).
type MigrationMsgServer interface {
	ScheduleMigration(ctx context.Context, msg *types.MsgScheduleMigration) (*types.MsgScheduleMigrationResponse, error)
}

type msgServer struct {
	k *Keeper
	MigrationMsgServer
}

// NewMsgServerImpl returns the Msg service; migrations serves its
// migration messages.
func NewMsgServerImpl(k *Keeper, migrations MigrationMsgServer) types.MsgServer {
	return msgServer{k: k, MigrationMsgServer: migrations}
}

var _ types.MsgServer = msgServer{}

func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, s.k.Params.Set(ctx, msg.Params)
}

func (s msgServer) AddGatekeeper(ctx context.Context, msg *types.MsgAddGatekeeper) (*types.MsgAddGatekeeperResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := s.k.requireGatekeeperSetUnlocked(ctx); err != nil {
		return nil, err
	}
	key, err := types.ParseKey(msg.IdentityKey)
	if err != nil {
		return nil, err
	}
	w, err := s.k.registry.GetWorker(ctx, key)
	if err != nil {
		return nil, err
	}
	if ok, limit, err := s.k.registry.AcceptsGatekeeperLevel(ctx, w.ConfidenceLevel); err != nil {
		return nil, err
	} else if !ok {
		return nil, errorsmod.Wrapf(types.ErrConfidenceTooLow, "worker %s has level %d, gatekeepers need 1-%d",
			msg.IdentityKey, w.ConfidenceLevel, limit)
	}
	if has, err := s.k.Gatekeepers.Has(ctx, key); err != nil {
		return nil, err
	} else if has {
		return nil, errorsmod.Wrap(types.ErrAlreadyGatekeeper, msg.IdentityKey)
	}
	// A gatekeeper holds the master key; a cluster member hands app keys to
	// its app API. One pRuntime is never both (see checkJoinable).
	if id, in, err := s.k.clusterOf(ctx, key); err != nil {
		return nil, err
	} else if in {
		return nil, errorsmod.Wrapf(types.ErrGatekeeperInCluster, "worker %s is a member of cluster %d: it must leave first (remove-cluster-worker, signed by its operator)", msg.IdentityKey, id)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := s.k.Gatekeepers.Set(ctx, key, types.Gatekeeper{IdentityKey: key, AddedHeight: sdkCtx.BlockHeight()}); err != nil {
		return nil, err
	}
	if _, err := s.k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicGatekeeperAdded, key); err != nil {
		return nil, err
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventGatekeeperAdded, sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(key))))
	if err := s.k.gatekeeperAdded(ctx, key, w.ReceiveKey); err != nil {
		return nil, err
	}
	return &types.MsgAddGatekeeperResponse{}, nil
}

func (s msgServer) RemoveGatekeeper(ctx context.Context, msg *types.MsgRemoveGatekeeper) (*types.MsgRemoveGatekeeperResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	if err := s.k.requireGatekeeperSetUnlocked(ctx); err != nil {
		return nil, err
	}
	key, err := types.ParseKey(msg.IdentityKey)
	if err != nil {
		return nil, err
	}
	if has, err := s.k.Gatekeepers.Has(ctx, key); err != nil {
		return nil, err
	} else if !has {
		return nil, errorsmod.Wrap(types.ErrNotGatekeeper, msg.IdentityKey)
	}
	if err := s.k.Gatekeepers.Remove(ctx, key); err != nil {
		return nil, err
	}
	if _, err := s.k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicGatekeeperRemoved, key); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventGatekeeperRemoved, sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(key))))
	if err := s.k.gatekeeperRemoved(ctx, key); err != nil {
		return nil, err
	}
	return &types.MsgRemoveGatekeeperResponse{}, nil
}

func (s msgServer) CreateCluster(ctx context.Context, msg *types.MsgCreateCluster) (*types.MsgCreateClusterResponse, error) {
	id, err := s.k.CreateCluster(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateClusterResponse{ClusterId: id}, nil
}

func (s msgServer) AddClusterWorker(ctx context.Context, msg *types.MsgAddClusterWorker) (*types.MsgAddClusterWorkerResponse, error) {
	if err := s.k.AddClusterWorker(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgAddClusterWorkerResponse{}, nil
}

func (s msgServer) RemoveClusterWorker(ctx context.Context, msg *types.MsgRemoveClusterWorker) (*types.MsgRemoveClusterWorkerResponse, error) {
	if err := s.k.RemoveClusterWorker(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgRemoveClusterWorkerResponse{}, nil
}

func (s msgServer) InviteClusterWorker(ctx context.Context, msg *types.MsgInviteClusterWorker) (*types.MsgInviteClusterWorkerResponse, error) {
	expires, err := s.k.InviteClusterWorker(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgInviteClusterWorkerResponse{ExpiresHeight: expires}, nil
}

func (s msgServer) JoinCluster(ctx context.Context, msg *types.MsgJoinCluster) (*types.MsgJoinClusterResponse, error) {
	if err := s.k.JoinCluster(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgJoinClusterResponse{}, nil
}

func (s msgServer) CancelClusterInvite(ctx context.Context, msg *types.MsgCancelClusterInvite) (*types.MsgCancelClusterInviteResponse, error) {
	if err := s.k.CancelClusterInvite(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgCancelClusterInviteResponse{}, nil
}

func (s msgServer) RotateMasterKey(ctx context.Context, msg *types.MsgRotateMasterKey) (*types.MsgRotateMasterKeyResponse, error) {
	if err := s.k.checkAuthority(msg.Authority); err != nil {
		return nil, err
	}
	r, err := s.k.StartRotation(ctx, true)
	if err != nil {
		return nil, err
	}
	return &types.MsgRotateMasterKeyResponse{ToVersion: r.ToVersion}, nil
}
