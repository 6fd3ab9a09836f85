package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

type queryServer struct{ k *Keeper }

// NewQueryServerImpl returns the Query service.
func NewQueryServerImpl(k *Keeper) types.QueryServer { return queryServer{k: k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Sessions(ctx context.Context, req *types.QuerySessionsRequest) (*types.QuerySessionsResponse, error) {
	if req == nil {
		req = &types.QuerySessionsRequest{}
	}
	sessions, page, err := query.CollectionPaginate(ctx, q.k.Sessions, req.Pagination,
		func(_ []byte, s types.Session) (types.Session, error) { return s, nil })
	if err != nil {
		return nil, err
	}
	return &types.QuerySessionsResponse{Sessions: sessions, Pagination: page}, nil
}

func (q queryServer) Session(ctx context.Context, req *types.QuerySessionRequest) (*types.QuerySessionResponse, error) {
	if req == nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidKey, "empty request"))
	}
	key, err := types.ParseKey(req.Worker)
	if err != nil {
		return nil, querystatus.InvalidArgument(err)
	}
	s, found, err := q.k.GetSession(ctx, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, querystatus.NotFound(errorsmod.Wrapf(types.ErrNotComputing, "worker %x has no session", key))
	}
	return &types.QuerySessionResponse{Session: s}, nil
}

func (q queryServer) Benchmark(ctx context.Context, req *types.QueryBenchmarkRequest) (*types.QueryBenchmarkResponse, error) {
	if req == nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidKey, "empty request"))
	}
	key, err := types.ParseKey(req.Worker)
	if err != nil {
		return nil, querystatus.InvalidArgument(err)
	}
	b, err := q.k.Benchmarks.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, querystatus.NotFound(errorsmod.Wrapf(types.ErrNoBenchmark, "%x", key))
		}
		return nil, err
	}
	return &types.QueryBenchmarkResponse{Benchmark: b}, nil
}
