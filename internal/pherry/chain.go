package pherry

import (
	"bytes"
	"context"
	"fmt"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
)

// abciQuery runs a gRPC query through the node's ABCI query at height (0:
// latest).
func abciQuery(ctx context.Context, node *rpchttp.HTTP, path string, req, resp gogoproto.Message, height int64) error {
	bz, err := gogoproto.Marshal(req)
	if err != nil {
		return err
	}
	res, err := node.ABCIQueryWithOptions(ctx, path, bz, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return err
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("%s: %s", path, res.Response.Log)
	}
	return gogoproto.Unmarshal(res.Response.Value, resp)
}

// headerUpdate fetches the signed header at height and its validator set.
func headerUpdate(ctx context.Context, node *rpchttp.HTTP, height int64) (api.HeaderUpdate, error) {
	c, err := node.Commit(ctx, &height)
	if err != nil {
		return api.HeaderUpdate{}, fmt.Errorf("pherry: commit %d: %w", height, err)
	}
	vals, err := validators(ctx, node, height)
	if err != nil {
		return api.HeaderUpdate{}, err
	}
	sh, err := gogoproto.Marshal(c.SignedHeader.ToProto())
	if err != nil {
		return api.HeaderUpdate{}, err
	}
	vs, err := vals.ToProto()
	if err != nil {
		return api.HeaderUpdate{}, err
	}
	vb, err := gogoproto.Marshal(vs)
	if err != nil {
		return api.HeaderUpdate{}, err
	}
	return api.HeaderUpdate{SignedHeader: sh, Validators: vb}, nil
}

// validators fetches every page of the validator set at height.
func validators(ctx context.Context, node *rpchttp.HTTP, height int64) (*cmttypes.ValidatorSet, error) {
	var all []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := node.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("pherry: validators at %d: %w", height, err)
		}
		all = append(all, res.Validators...)
		if len(all) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	vs := cmttypes.NewValidatorSet(all)
	return vs, vs.ValidateBasic()
}

// maxRPCBatch is CometBFT's default rpc.max_request_batch_size. A node
// answers a larger JSON-RPC batch with one error instead of a result per
// request, so proofs are asked for in batches of at most this many.
const maxRPCBatch = 10

// proveKeys fetches proofs of store keys at height, in batch requests of at
// most maxRPCBatch.
func proveKeys(ctx context.Context, node *rpchttp.HTTP, store string, keys [][]byte, height int64) ([]*coretypes.ResultABCIQuery, error) {
	out := make([]*coretypes.ResultABCIQuery, 0, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), maxRPCBatch)
		part, err := proveBatch(ctx, node, store, keys[:n], height)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		keys = keys[n:]
	}
	return out, nil
}

// proveBatch fetches, in one batch request, proofs of store keys at height.
func proveBatch(ctx context.Context, node *rpchttp.HTTP, store string, keys [][]byte, height int64) ([]*coretypes.ResultABCIQuery, error) {
	opts := rpcclient.ABCIQueryOptions{Height: height, Prove: true}
	if len(keys) == 1 {
		// CometBFT answers a one-request batch with a bare response, which
		// the batch client cannot inject into its result; ask plainly.
		q, err := node.ABCIQueryWithOptions(ctx, "/store/"+store+"/key", keys[0], opts)
		if err != nil {
			return nil, fmt.Errorf("pherry: proof at %d: %w", height, err)
		}
		if q.Response.Code != 0 {
			return nil, fmt.Errorf("pherry: proof of %x at %d: %s", keys[0], height, q.Response.Log)
		}
		return []*coretypes.ResultABCIQuery{q}, nil
	}
	batch := node.NewBatch()
	out := make([]*coretypes.ResultABCIQuery, len(keys))
	for i, k := range keys {
		// Each call returns the result it will fill when the batch is sent.
		res, err := batch.ABCIQueryWithOptions(ctx, "/store/"+store+"/key", k, opts)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	results, err := batch.Send(ctx)
	if err != nil {
		return nil, fmt.Errorf("pherry: proofs at %d: %w", height, err)
	}
	// A batch the node refused as a whole comes back as a single error and
	// no error from Send, leaving every result unfilled.
	for _, r := range results {
		if e, ok := r.(error); ok {
			return nil, fmt.Errorf("pherry: proofs at %d: %w", height, e)
		}
	}
	for i, q := range out {
		if q.Response.Code != 0 {
			return nil, fmt.Errorf("pherry: proof of %x at %d: %s", keys[i], height, q.Response.Log)
		}
		if !bytes.Equal(q.Response.Key, keys[i]) {
			return nil, fmt.Errorf("pherry: node answered the proof of %x at %d for key %x", keys[i], height, q.Response.Key)
		}
	}
	return out, nil
}

func marshalProof(q *coretypes.ResultABCIQuery) ([]byte, error) {
	if q.Response.ProofOps == nil {
		return nil, fmt.Errorf("pherry: node returned no proof for %x", q.Response.Key)
	}
	return gogoproto.Marshal(q.Response.ProofOps)
}
