package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// maxProofKeyLen bounds each key of a proof batch.
const maxProofKeyLen = 1024

// Query answers mqtypes.ProofBatchPath itself and passes every other query to
// BaseApp. A batch is the same proven reads as "/store/<name>/key" with
// prove=true, one per key at the request's height, returned in one protobuf
// message: relayers carry thousands of proofs to pRuntimes, and one JSON-RPC
// round per key costs far more than the proofs do.
func (app *App) Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if req.Path != mqtypes.ProofBatchPath {
		return app.BaseApp.Query(ctx, req)
	}
	var batch mqtypes.ProofBatchRequest
	if err := gogoproto.Unmarshal(req.Data, &batch); err != nil {
		return queryError(fmt.Errorf("gkd: proof batch: %w", err)), nil
	}
	switch {
	case batch.Store == "" || app.GetKey(batch.Store) == nil:
		return queryError(fmt.Errorf("gkd: proof batch: unknown store %q", batch.Store)), nil
	case len(batch.Keys) == 0 || len(batch.Keys) > mqtypes.MaxProofBatch:
		return queryError(fmt.Errorf("gkd: proof batch: %d keys, want 1-%d", len(batch.Keys), mqtypes.MaxProofBatch)), nil
	}
	resp := mqtypes.ProofBatchResponse{Values: make([]mqtypes.ProvenValue, len(batch.Keys))}
	height := req.Height
	for i, key := range batch.Keys {
		if len(key) == 0 || len(key) > maxProofKeyLen {
			return queryError(fmt.Errorf("gkd: proof batch: key %d is %d bytes, want 1-%d", i, len(key), maxProofKeyLen)), nil
		}
		res, err := app.BaseApp.Query(ctx, &abci.RequestQuery{Path: "/store/" + batch.Store + "/key", Data: key, Height: height, Prove: true})
		if err != nil {
			return nil, err
		}
		if res.Code != 0 {
			return res, nil
		}
		// Every proof of the batch is at the height the first one resolved.
		height = res.Height
		ops, err := gogoproto.Marshal(res.ProofOps)
		if err != nil {
			return nil, err
		}
		resp.Values[i] = mqtypes.ProvenValue{Key: key, Value: res.Value, ProofOps: ops}
	}
	bz, err := gogoproto.Marshal(&resp)
	if err != nil {
		return nil, err
	}
	return &abci.ResponseQuery{Value: bz, Height: height}, nil
}

func queryError(err error) *abci.ResponseQuery {
	return &abci.ResponseQuery{Code: 1, Codespace: "gkd", Log: err.Error()}
}
