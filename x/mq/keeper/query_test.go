package keeper_test

import (
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

func TestNextSequenceQuery(t *testing.T) {
	t.Parallel()
	// Worker 0 has sent seqs 0-2; the gatekeepers delivered seq 0.
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		for i := range uint64(3) {
			f.mustSync(t, sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], i, "w")))
		}
		f.pushTasks(t, 1)
		f.mustSync(t, sign(t, testChainID, f.gks[0], gkMsg(0, "g")), sign(t, testChainID, f.gks[1], gkMsg(0, "g")))
		return f
	}
	w0 := hex.EncodeToString(pub(testKey(1)))
	w1 := hex.EncodeToString(pub(testKey(2)))
	tests := []struct {
		name   string
		req    *types.QueryNextSequenceRequest
		want   uint64
		wantEr error
	}{
		{name: "worker that sent", req: &types.QueryNextSequenceRequest{Origin: "worker:" + w0}, want: 3},
		{name: "worker that never sent", req: &types.QueryNextSequenceRequest{Origin: "worker:" + w1}},
		{name: "gatekeeper", req: &types.QueryNextSequenceRequest{Origin: "gatekeeper"}, want: 1},
		{name: "cluster", req: &types.QueryNextSequenceRequest{Origin: "cluster:7"}},
		{name: "module", req: &types.QueryNextSequenceRequest{Origin: "module:registry"}},
		{name: "nil request", req: nil, wantEr: types.ErrInvalidQuery},
		{name: "empty origin", req: &types.QueryNextSequenceRequest{}, wantEr: types.ErrInvalidQuery},
		{name: "unknown kind", req: &types.QueryNextSequenceRequest{Origin: "validator:1"}, wantEr: types.ErrInvalidQuery},
		{name: "worker key not hex", req: &types.QueryNextSequenceRequest{Origin: "worker:zz"}, wantEr: types.ErrInvalidQuery},
		{name: "worker key too short", req: &types.QueryNextSequenceRequest{Origin: "worker:" + w0[:62]}, wantEr: types.ErrInvalidQuery},
		{name: "gatekeeper lane", req: &types.QueryNextSequenceRequest{Origin: "gatekeeper:computation"}},
		{name: "gatekeeper lane not a name", req: &types.QueryNextSequenceRequest{Origin: "gatekeeper:Computation"}, wantEr: types.ErrInvalidQuery},
		{name: "cluster not a number", req: &types.QueryNextSequenceRequest{Origin: "cluster:x"}, wantEr: types.ErrInvalidQuery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			resp, err := f.query.NextSequence(f.ctx, tc.req)
			wantErrIs(t, err, tc.wantEr)
			if tc.wantEr != nil {
				wantInvalidArgument(t, err)
			}
			if tc.wantEr == nil && resp.NextSeq != tc.want {
				t.Errorf("next seq = %d, want %d", resp.NextSeq, tc.want)
			}
		})
	}
}

func TestIngressQueryRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *types.QueryIngressRequest
	}{
		{name: "nil request", req: nil},
		{name: "limit too large", req: &types.QueryIngressRequest{Limit: 1_001}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.query.Ingress(f.ctx, tc.req)
			wantErrIs(t, err, types.ErrInvalidQuery)
			wantInvalidArgument(t, err)
		})
	}
}

// wantInvalidArgument fails t unless err is gRPC InvalidArgument, which
// grpc-gateway answers with HTTP 400, with the error's own message.
func wantInvalidArgument(t *testing.T, err error) {
	t.Helper()
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Errorf("gRPC code %v, want InvalidArgument (err %v)", got, err)
	}
	if got := runtime.HTTPStatusFromCode(status.Code(err)); got != http.StatusBadRequest {
		t.Errorf("HTTP status %d, want 400", got)
	}
	if msg := status.Convert(err).Message(); msg != err.Error() {
		t.Errorf("status message %q, want the error's %q", msg, err.Error())
	}
}

func TestParamsQueryAndUpdate(t *testing.T) {
	t.Parallel()
	valid := types.Params{GkQuorum: 2, IngressRetentionBlocks: 50, MaxMessagesPerTx: 10}
	tests := []struct {
		name      string
		authority func(f *fixture) string
		params    types.Params
		want      error
	}{
		{name: "governance", params: valid},
		{name: "wrong authority", authority: func(f *fixture) string { return f.submitter }, params: valid, want: types.ErrInvalidAuthority},
		{name: "empty authority", authority: func(*fixture) string { return "" }, params: valid, want: types.ErrInvalidAuthority},
		{name: "invalid params", params: types.Params{MaxMessagesPerTx: 0}, want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			authority := f.authority
			if tc.authority != nil {
				authority = tc.authority(f)
			}
			before := f.snapshot(t)
			_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: authority, Params: tc.params})
			wantErrIs(t, err, tc.want)
			want := types.DefaultParams()
			if tc.want != nil {
				f.assertUnchanged(t, before)
			} else {
				want = tc.params
			}
			resp, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Params != want {
				t.Errorf("params = %+v, want %+v", resp.Params, want)
			}
			if got, _ := f.k.GetParams(f.ctx); got != want {
				t.Errorf("GetParams = %+v, want %+v", got, want)
			}
		})
	}
}

// TestOriginKeyRoundTrip pins that NextSequence and the sequence store agree
// on the origin encoding.
func TestOriginKeyRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mustSync(t, sign(t, testChainID, f.workers[1], workerMsg(f.workers[1], 0, "w")))
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs.Sequences) != 1 {
		t.Fatalf("sequences = %v", gs.Sequences)
	}
	o, err := protocol.OriginFromKey(gs.Sequences[0].Origin)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Equal(protocol.WorkerOrigin(pub(f.workers[1]))) || gs.Sequences[0].NextSeq != 1 {
		t.Errorf("sequence %s = %d", o, gs.Sequences[0].NextSeq)
	}
}
