package pherry

import (
	"context"
	"fmt"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// What a pRuntime verifies, fetched from a node the way the relayer fetches
// it for its sync calls. Exported for tools and tests that drive a pRuntime
// by hand: the e2e tests replay, alter and reorder what these return to play
// a hostile relayer.

// FetchHeaderUpdate returns the signed header at height with its validator
// set, as POST /sync/init and /sync/header take them.
func FetchHeaderUpdate(ctx context.Context, node *rpchttp.HTTP, height int64) (api.HeaderUpdate, error) {
	return headerUpdate(ctx, node, height)
}

// IngressBatch is a run of consecutive ingress entries proven at one height,
// and the bounds of the chain's ingress log at that height.
type IngressBatch struct {
	// Entries are the entries from the requested start, each with its proof.
	Entries []api.ProvenEntry
	// FirstIndex is the oldest entry the chain still retains.
	FirstIndex uint64
	// NextIndex is the index the chain's next ingress entry will get.
	NextIndex uint64
}

// FetchIngress returns up to limit ingress entries from index start, each
// proven at proofHeight (the state after block proofHeight, which a pRuntime
// whose synced height is proofHeight+1 verifies: api.Info.ProofHeight). It
// returns fewer, or none, when the log at that height holds fewer.
func FetchIngress(ctx context.Context, node *rpchttp.HTTP, start uint64, limit int, proofHeight int64) (IngressBatch, error) {
	if limit < 1 || limit > 1000 {
		return IngressBatch{}, fmt.Errorf("pherry: ingress limit %d, want 1-1000", limit)
	}
	var q mqtypes.QueryIngressResponse
	if err := abciQuery(ctx, node, "/gatekeeper.mq.v1.Query/Ingress",
		&mqtypes.QueryIngressRequest{Start: start, Limit: uint32(limit)}, &q, proofHeight); err != nil {
		return IngressBatch{}, fmt.Errorf("pherry: ingress at %d: %w", proofHeight, err)
	}
	entries, err := proveIngress(ctx, node, q.Entries, proofHeight)
	if err != nil {
		return IngressBatch{}, err
	}
	return IngressBatch{Entries: entries, FirstIndex: q.FirstIndex, NextIndex: q.NextIndex}, nil
}

// FetchProvenRead returns the value of key in the store named store (none
// if the key is absent) with its proof at proofHeight: a membership proof,
// or a non-membership proof when the key is absent. It is what POST
// /sync/egress_ack takes for the key protocol.SequenceKey of the worker.
func FetchProvenRead(ctx context.Context, node *rpchttp.HTTP, store string, key []byte, proofHeight int64) (api.ProvenRead, error) {
	proofs, err := proveKeys(ctx, node, store, [][]byte{key}, proofHeight)
	if err != nil {
		return api.ProvenRead{}, err
	}
	return api.ProvenRead{Value: proofs[0].Value, Proof: proofs[0].ProofOps}, nil
}

// proveIngress fetches, in one batch, the proofs at height of the ingress
// entries an Ingress query returned, and pairs each with its stored value.
func proveIngress(ctx context.Context, node *rpchttp.HTTP, entries []mqtypes.IngressEntry, height int64) ([]api.ProvenEntry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	keys := make([][]byte, len(entries))
	for i, e := range entries {
		keys[i] = protocol.IngressKey(e.Index)
	}
	proofs, err := proveKeys(ctx, node, protocol.MQStoreName, keys, height)
	if err != nil {
		return nil, err
	}
	out := make([]api.ProvenEntry, len(entries))
	for i, e := range entries {
		out[i] = api.ProvenEntry{Index: e.Index, Entry: proofs[i].Value, Proof: proofs[i].ProofOps}
	}
	return out, nil
}
