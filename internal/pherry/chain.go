package pherry

import (
	"bytes"
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
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

// proveKeys fetches store values and their proofs at height through the
// chain's batch proof query (mqtypes.ProofBatchPath), at most
// mqtypes.MaxProofBatch keys per query. It checks that every answer is for
// the key asked and carries a proof; the pRuntime checks the proofs.
func proveKeys(ctx context.Context, node *rpchttp.HTTP, store string, keys [][]byte, height int64) ([]mqtypes.ProvenValue, error) {
	out := make([]mqtypes.ProvenValue, 0, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), mqtypes.MaxProofBatch)
		var resp mqtypes.ProofBatchResponse
		if err := abciQuery(ctx, node, mqtypes.ProofBatchPath, &mqtypes.ProofBatchRequest{Store: store, Keys: keys[:n]}, &resp, height); err != nil {
			return nil, fmt.Errorf("pherry: proofs at %d: %w", height, err)
		}
		if len(resp.Values) != n {
			return nil, fmt.Errorf("pherry: proofs at %d: node answered %d of %d keys", height, len(resp.Values), n)
		}
		for i, v := range resp.Values {
			if !bytes.Equal(v.Key, keys[i]) {
				return nil, fmt.Errorf("pherry: node answered the proof of %x at %d for key %x", keys[i], height, v.Key)
			}
			if len(v.ProofOps) == 0 {
				return nil, fmt.Errorf("pherry: node returned no proof for %x at %d", keys[i], height)
			}
		}
		out = append(out, resp.Values...)
		keys = keys[n:]
	}
	return out, nil
}
