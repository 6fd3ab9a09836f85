package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
		return nil, invalidArgument(errorsmod.Wrap(types.ErrInvalidKey, "empty request"))
	}
	key, err := parseKey(req.Worker)
	if err != nil {
		return nil, invalidArgument(err)
	}
	s, found, err := q.k.GetSession(ctx, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(errorsmod.Wrapf(types.ErrNotComputing, "worker %x has no session", key))
	}
	return &types.QuerySessionResponse{Session: s}, nil
}

func (q queryServer) Benchmark(ctx context.Context, req *types.QueryBenchmarkRequest) (*types.QueryBenchmarkResponse, error) {
	if req == nil {
		return nil, invalidArgument(errorsmod.Wrap(types.ErrInvalidKey, "empty request"))
	}
	key, err := parseKey(req.Worker)
	if err != nil {
		return nil, invalidArgument(err)
	}
	b, err := q.k.Benchmarks.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, notFound(errorsmod.Wrapf(types.ErrNoBenchmark, "%x", key))
		}
		return nil, err
	}
	return &types.QueryBenchmarkResponse{Benchmark: b}, nil
}

// queryError is a query's error with the gRPC code grpc-gateway maps to an
// HTTP status (NotFound 404, InvalidArgument 400). It still wraps the
// module's registered error, so errors.Is keeps working, and its message is
// that error's.
type queryError struct {
	code codes.Code
	err  error
}

func (e queryError) Error() string              { return e.err.Error() }
func (e queryError) Unwrap() error              { return e.err }
func (e queryError) GRPCStatus() *status.Status { return status.New(e.code, e.err.Error()) }

// notFound marks err as a missing record (gRPC NotFound, HTTP 404).
func notFound(err error) error { return queryError{code: codes.NotFound, err: err} }

// invalidArgument marks err as a malformed request (gRPC InvalidArgument, HTTP 400).
func invalidArgument(err error) error { return queryError{code: codes.InvalidArgument, err: err} }
