package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

type queryServer struct {
	k  *Keeper
	gk types.GatekeeperProtocol
}

// NewQueryServerImpl returns the Query service. gk tells which workers are
// gatekeepers (x/gatekeeper's keeper).
func NewQueryServerImpl(k *Keeper, gk types.GatekeeperProtocol) types.QueryServer {
	return queryServer{k: k, gk: gk}
}

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Workers(ctx context.Context, req *types.QueryWorkersRequest) (*types.QueryWorkersResponse, error) {
	if req == nil {
		req = &types.QueryWorkersRequest{}
	}
	workers, page, err := query.CollectionPaginate(ctx, q.k.Workers, req.Pagination,
		func(_ []byte, w types.Worker) (types.Worker, error) { return q.k.withEndpoint(ctx, w) })
	if err != nil {
		return nil, err
	}
	return &types.QueryWorkersResponse{Workers: workers, Pagination: page}, nil
}

func (q queryServer) Worker(ctx context.Context, req *types.QueryWorkerRequest) (*types.QueryWorkerResponse, error) {
	if req == nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidKey, "empty request"))
	}
	key, err := types.ParseKey(req.IdentityKey)
	if err != nil {
		return nil, querystatus.InvalidArgument(err)
	}
	w, err := q.k.GetWorker(ctx, key)
	if errors.Is(err, types.ErrWorkerNotFound) {
		return nil, querystatus.NotFound(err)
	}
	if err != nil {
		return nil, err
	}
	isGK, err := q.gk.IsGatekeeper(ctx, key)
	if err != nil {
		return nil, err
	}
	return &types.QueryWorkerResponse{Worker: w, IsGatekeeper: isGK}, nil
}

func (q queryServer) Measurements(ctx context.Context, req *types.QueryMeasurementsRequest) (*types.QueryMeasurementsResponse, error) {
	if req == nil {
		req = &types.QueryMeasurementsRequest{}
	}
	ms, page, err := query.CollectionPaginate(ctx, q.k.Measurements, req.Pagination,
		func(_ collections.Pair[string, []byte], m types.Measurement) (types.Measurement, error) {
			return m, nil
		})
	if err != nil {
		return nil, err
	}
	return &types.QueryMeasurementsResponse{Measurements: ms, Pagination: page}, nil
}

func (q queryServer) Collaterals(ctx context.Context, req *types.QueryCollateralsRequest) (*types.QueryCollateralsResponse, error) {
	if req == nil {
		req = &types.QueryCollateralsRequest{}
	}
	cs, page, err := query.CollectionPaginate(ctx, q.k.Collaterals, req.Pagination,
		func(_ collections.Pair[string, string], c types.Collateral) (types.Collateral, error) { return c, nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryCollateralsResponse{Collaterals: cs, Pagination: page}, nil
}

func (q queryServer) Collateral(ctx context.Context, req *types.QueryCollateralRequest) (*types.QueryCollateralResponse, error) {
	if req == nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrNoCollateral, "empty request"))
	}
	c, err := q.k.Collaterals.Get(ctx, collections.Join(req.TeeKind, req.PlatformId))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, querystatus.NotFound(errorsmod.Wrapf(types.ErrNoCollateral, "%.32q/%.32q", req.TeeKind, req.PlatformId))
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryCollateralResponse{Collateral: c}, nil
}
