package pherry

import (
	"context"
	"fmt"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
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

// IngressBatch is a run of consecutive raw ingress entries at one height
// with one proof of the ingress head after them, and the bounds of the
// chain's ingress log at that height.
type IngressBatch struct {
	// Start and End bound the entries: [Start, End).
	Start, End uint64
	// Entries are the raw values the chain stores for [Start, End).
	Entries [][]byte
	// Head is the ingress head at End with its proof; empty without entries.
	Head api.ProvenRead
	// FirstIndex is the oldest entry the chain still retains.
	FirstIndex uint64
	// NextIndex is the index the chain's next ingress entry will get.
	NextIndex uint64
}

// Request returns the POST /sync/ingress body that carries the batch, with
// base (the proven head at Start) when the pRuntime holds no head.
func (b IngressBatch) Request(base *api.ProvenRead) api.IngressRequest {
	return api.IngressRequest{Start: b.Start, End: b.End, Entries: chainsync.EncodeIngressEntries(b.Entries), Head: b.Head, Base: base}
}

// FetchIngress returns up to limit raw ingress entries from index start and
// the ingress head after them proven at proofHeight (the state after block
// proofHeight, which a pRuntime whose synced height is proofHeight+1
// verifies: api.Info.ProofHeight): one page query and one proof, however
// many entries. It returns fewer entries, or none, when the log at that
// height holds fewer, and none when start is no longer retained.
func FetchIngress(ctx context.Context, node *rpchttp.HTTP, start uint64, limit int, proofHeight int64) (IngressBatch, error) {
	if limit < 1 || limit > 1000 {
		return IngressBatch{}, fmt.Errorf("pherry: ingress limit %d, want 1-1000", limit)
	}
	var q mqtypes.QueryIngressResponse
	if err := abciQuery(ctx, node, "/gatekeeper.mq.v1.Query/Ingress",
		&mqtypes.QueryIngressRequest{Start: start, Limit: uint32(limit)}, &q, proofHeight); err != nil {
		return IngressBatch{}, fmt.Errorf("pherry: ingress at %d: %w", proofHeight, err)
	}
	b := IngressBatch{Start: start, End: start, FirstIndex: q.FirstIndex, NextIndex: q.NextIndex}
	if len(q.Entries) == 0 || q.Entries[0].Index != start {
		return b, nil
	}
	b.Entries = make([][]byte, len(q.Entries))
	for i, e := range q.Entries {
		if e.Index != start+uint64(i) {
			return IngressBatch{}, fmt.Errorf("pherry: ingress at %d: entry %d where %d belongs", proofHeight, e.Index, start+uint64(i))
		}
		b.Entries[i] = protocol.IngressEntry{Height: e.Height, Message: e.Message}.Encode()
	}
	b.End = start + uint64(len(b.Entries))
	head, err := FetchProvenRead(ctx, node, protocol.MQStoreName, protocol.IngressHeadKey(b.End), proofHeight)
	if err != nil {
		return IngressBatch{}, fmt.Errorf("pherry: ingress head at %d: %w", b.End, err)
	}
	b.Head = head
	return b, nil
}

// FetchProvenReads returns the values of keys in the store named store with
// their proofs at proofHeight, in order, through the batch proof query. The
// relayer proves one ingress head per batch; the catch-up benchmark uses
// this to measure the per-entry proofs the sync path no longer needs.
func FetchProvenReads(ctx context.Context, node *rpchttp.HTTP, store string, keys [][]byte, proofHeight int64) ([]api.ProvenRead, error) {
	proofs, err := proveKeys(ctx, node, store, keys, proofHeight)
	if err != nil {
		return nil, err
	}
	out := make([]api.ProvenRead, len(proofs))
	for i, p := range proofs {
		out[i] = api.ProvenRead{Value: p.Value, Proof: p.ProofOps}
	}
	return out, nil
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
