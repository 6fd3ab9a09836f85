package keeper

import (
	"context"
	"encoding/hex"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

const (
	defaultIngressLimit = 100
	maxIngressLimit     = 1_000
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

// Ingress returns retained entries from max(start, first_index), in order.
func (q queryServer) Ingress(ctx context.Context, req *types.QueryIngressRequest) (*types.QueryIngressResponse, error) {
	if req == nil {
		return nil, invalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, "empty request"))
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = defaultIngressLimit
	case limit > maxIngressLimit:
		return nil, invalidArgument(errorsmod.Wrapf(types.ErrInvalidQuery, "limit %d exceeds %d", limit, maxIngressLimit))
	}
	first, err := q.k.firstIngress(ctx)
	if err != nil {
		return nil, err
	}
	next, err := q.k.nextIngress(ctx)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryIngressResponse{FirstIndex: first, NextIndex: next}
	start := max(req.Start, first)
	rng := new(collections.Range[uint64]).StartInclusive(start)
	err = q.k.Ingress.Walk(ctx, rng, func(index uint64, raw []byte) (bool, error) {
		e, _, err := protocol.DecodeIngressEntry(raw)
		if err != nil {
			return true, err
		}
		resp.Entries = append(resp.Entries, types.IngressEntry{Index: index, Height: e.Height, Message: e.Message})
		return len(resp.Entries) >= int(limit), nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// NextSequence returns the next egress sequence expected from an origin.
func (q queryServer) NextSequence(ctx context.Context, req *types.QueryNextSequenceRequest) (*types.QueryNextSequenceResponse, error) {
	if req == nil {
		return nil, invalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, "empty request"))
	}
	o, err := protocol.ParseOrigin(req.Origin)
	if err != nil {
		return nil, invalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, err.Error()))
	}
	n, err := q.k.nextSeq(ctx, o)
	if err != nil {
		return nil, err
	}
	return &types.QueryNextSequenceResponse{NextSeq: n}, nil
}

func sdkUint(v uint64) string   { return strconv.FormatUint(v, 10) }
func hexString(b []byte) string { return hex.EncodeToString(b) }

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
