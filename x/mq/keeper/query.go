package keeper

import (
	"context"
	"encoding/hex"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
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
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, "empty request"))
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = defaultIngressLimit
	case limit > maxIngressLimit:
		return nil, querystatus.InvalidArgument(errorsmod.Wrapf(types.ErrInvalidQuery, "limit %d exceeds %d", limit, maxIngressLimit))
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
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, "empty request"))
	}
	o, err := protocol.ParseOrigin(req.Origin)
	if err != nil {
		return nil, querystatus.InvalidArgument(errorsmod.Wrap(types.ErrInvalidQuery, err.Error()))
	}
	n, err := q.k.nextSeq(ctx, o)
	if err != nil {
		return nil, err
	}
	return &types.QueryNextSequenceResponse{NextSeq: n}, nil
}

func sdkUint(v uint64) string   { return strconv.FormatUint(v, 10) }
func hexString(b []byte) string { return hex.EncodeToString(b) }
