package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// MigrationQueryServer serves the Query service's pRuntime migration query
// (x/gatekeeper/migration's keeper).
type MigrationQueryServer interface {
	Migration(ctx context.Context, req *types.QueryMigrationRequest) (*types.QueryMigrationResponse, error)
}

type queryServer struct {
	k *Keeper
	MigrationQueryServer
}

// NewQueryServerImpl returns the Query service; migrations serves its
// migration query.
func NewQueryServerImpl(k *Keeper, migrations MigrationQueryServer) types.QueryServer {
	return queryServer{k: k, MigrationQueryServer: migrations}
}

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Gatekeepers(ctx context.Context, _ *types.QueryGatekeepersRequest) (*types.QueryGatekeepersResponse, error) {
	resp := &types.QueryGatekeepersResponse{}
	err := q.k.Gatekeepers.Walk(ctx, nil, func(_ []byte, g types.Gatekeeper) (bool, error) {
		resp.Gatekeepers = append(resp.Gatekeepers, g)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	resp.Launcher, err = q.k.launcher(ctx)
	return resp, err
}

func (q queryServer) MasterKeys(ctx context.Context, _ *types.QueryMasterKeysRequest) (*types.QueryMasterKeysResponse, error) {
	resp := &types.QueryMasterKeysResponse{}
	err := q.k.MasterKeys.Walk(ctx, nil, func(_ uint32, mk types.MasterKey) (bool, error) {
		resp.MasterKeys = append(resp.MasterKeys, mk)
		return false, nil
	})
	return resp, err
}

func (q queryServer) Clusters(ctx context.Context, req *types.QueryClustersRequest) (*types.QueryClustersResponse, error) {
	if req == nil {
		req = &types.QueryClustersRequest{}
	}
	cs, page, err := query.CollectionPaginate(ctx, q.k.Clusters, req.Pagination,
		func(_ uint64, c types.Cluster) (types.Cluster, error) { return c, nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryClustersResponse{Clusters: cs, Pagination: page}, nil
}

func (q queryServer) Cluster(ctx context.Context, req *types.QueryClusterRequest) (*types.QueryClusterResponse, error) {
	if req == nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidCluster, "empty request"))
	}
	c, err := q.k.GetCluster(ctx, req.Id)
	if errors.Is(err, types.ErrClusterNotFound) {
		return nil, querystatus.NotFound(err)
	}
	if err != nil {
		return nil, err
	}
	resp := &types.QueryClusterResponse{Cluster: c}
	// At most max_cluster_workers live ones plus expired ones not yet pruned.
	rng := collections.NewPrefixedPairRange[uint64, []byte](c.Id)
	if err := q.k.ClusterInvitations.Walk(ctx, rng, func(_ collections.Pair[uint64, []byte], inv types.ClusterInvitation) (bool, error) {
		resp.Invitations = append(resp.Invitations, inv)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return resp, nil
}

func (q queryServer) Beacon(ctx context.Context, _ *types.QueryBeaconRequest) (*types.QueryBeaconResponse, error) {
	b, err := q.k.LatestBeacon.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return &types.QueryBeaconResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryBeaconResponse{Beacon: &b}, nil
}

func (q queryServer) Rotation(ctx context.Context, req *types.QueryRotationRequest) (*types.QueryRotationResponse, error) {
	if req == nil {
		req = &types.QueryRotationRequest{}
	}
	resp := &types.QueryRotationResponse{}
	if req.ToVersion == 0 {
		r, ok, err := q.k.lastRotation(ctx)
		if err != nil {
			return nil, err
		}
		if ok {
			resp.Rotation = &r
		}
	} else {
		r, err := q.k.Rotations.Get(ctx, req.ToVersion)
		if errors.Is(err, collections.ErrNotFound) {
			return nil, querystatus.NotFound(errorsmod.Wrapf(types.ErrNoRotation, "no rotation to v%d", req.ToVersion))
		} else if err != nil {
			return nil, err
		}
		resp.Rotation = &r
	}
	if resp.Rotation != nil {
		quorum, err := q.k.gatekeeperQuorum(ctx, len(resp.Rotation.Gatekeepers))
		if err != nil {
			return nil, err
		}
		resp.AckQuorum = uint32(quorum)
		if resp.Rotation.Phase == types.ROTATION_PHASE_REENCRYPTING {
			if resp.UnackedWorkers, err = q.k.UnackedWorkers(ctx, *resp.Rotation); err != nil {
				return nil, err
			}
		}
	}
	params, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, ok, err := q.k.nextAutomaticRotation(ctx, params)
	if err != nil {
		return nil, err
	}
	if ok {
		resp.NextAutomaticHeight = next
	}
	return resp, nil
}
