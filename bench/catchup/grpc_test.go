package catchup_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	gogoproto "github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	"github.com/cosmos/cosmos-sdk/codec"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// fetchGRPC fetches the same entries with the same proofs as
// pherry.FetchIngress, batch by batch, but through the node's gRPC server:
// x/mq's Ingress query, then one cosmos.base.tendermint.v1beta1 ABCIQuery
// per key on the same /store/mq/key path with prove. It reaches the same
// app.Query as CometBFT's JSON-RPC abci_query, protobuf end to end, one
// call at a time on one connection. It is a reference for what the
// relayer's transport costs, not something pherry does.
func fetchGRPC(ctx context.Context, addr string, total uint64, batch int, proofHeight int64) ([][]api.ProvenEntry, error) {
	cdc, _, err := pherry.Codec()
	if err != nil {
		return nil, err
	}
	pc, ok := cdc.(*codec.ProtoCodec)
	if !ok {
		return nil, fmt.Errorf("catchup: pherry's codec is a %T, not a *codec.ProtoCodec", cdc)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(pc.GRPCCodec())))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	mq, svc := mqtypes.NewQueryClient(conn), cmtservice.NewServiceClient(conn)
	atHeight := metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(proofHeight, 10))
	var out [][]api.ProvenEntry
	for next := uint64(0); next < total; {
		q, err := mq.Ingress(atHeight, &mqtypes.QueryIngressRequest{Start: next, Limit: uint32(batch)})
		if err != nil {
			return nil, fmt.Errorf("catchup: gRPC ingress from %d at %d: %w", next, proofHeight, err)
		}
		if len(q.Entries) == 0 {
			return nil, fmt.Errorf("catchup: gRPC ingress: no entries from %d at %d", next, proofHeight)
		}
		entries := make([]api.ProvenEntry, 0, len(q.Entries))
		for _, e := range q.Entries {
			res, err := svc.ABCIQuery(ctx, &cmtservice.ABCIQueryRequest{
				Path: "/store/" + protocol.MQStoreName + "/key", Data: protocol.IngressKey(e.Index), Height: proofHeight, Prove: true,
			})
			if err != nil {
				return nil, fmt.Errorf("catchup: gRPC proof of entry %d: %w", e.Index, err)
			}
			if res.Code != 0 || res.ProofOps == nil {
				return nil, fmt.Errorf("catchup: gRPC proof of entry %d: code %d, %s", e.Index, res.Code, res.Log)
			}
			ops := cmtcrypto.ProofOps{Ops: make([]cmtcrypto.ProofOp, len(res.ProofOps.Ops))}
			for i, op := range res.ProofOps.Ops {
				ops.Ops[i] = cmtcrypto.ProofOp{Type: op.Type, Key: op.Key, Data: op.Data}
			}
			proof, err := gogoproto.Marshal(&ops)
			if err != nil {
				return nil, err
			}
			entries = append(entries, api.ProvenEntry{Index: e.Index, Entry: res.Value, Proof: proof})
		}
		out = append(out, entries)
		next += uint64(len(entries))
	}
	return out, nil
}

// measureGRPC times fetchGRPC and checks that it got exactly the bytes the
// JSON-RPC fetch got.
func measureGRPC(t *testing.T, c *chain, want [][]api.ProvenEntry, total uint64, batch int, proofHeight int64) (time.Duration, cpuReading) {
	t.Helper()
	meter := cpuMeter{pids: []int{c.pid()}}
	cpu0 := meter.read(t)
	start := time.Now()
	got, err := fetchGRPC(t.Context(), c.grpcAddr, total, batch, proofHeight)
	if err != nil {
		t.Fatal(err)
	}
	d, cpu := time.Since(start), meter.read(t).since(cpu0)
	if len(got) != len(want) {
		t.Fatalf("gRPC fetch: %d batches, JSON-RPC %d", len(got), len(want))
	}
	for i := range got {
		for j := range got[i] {
			g, w := got[i][j], want[i][j]
			if g.Index != w.Index || string(g.Entry) != string(w.Entry) || string(g.Proof) != string(w.Proof) {
				t.Fatalf("gRPC fetch: entry %d differs from the JSON-RPC one", w.Index)
			}
		}
	}
	return d, cpu
}
