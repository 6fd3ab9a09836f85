package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/gatekeeper-net/gatekeeper/app"
	"github.com/gatekeeper-net/gatekeeper/app/apptest"
)

// abciNode answers a client.Context's ABCI queries from the app, as the
// node's RPC would; the REST gateway calls nothing else in these tests.
type abciNode struct {
	client.CometRPC
	app *app.App
}

func (n abciNode) ABCIQueryWithOptions(ctx context.Context, path string, data cmtbytes.HexBytes, opts rpcclient.ABCIQueryOptions) (*coretypes.ResultABCIQuery, error) {
	resp, err := n.app.Query(ctx, &abci.RequestQuery{Path: path, Data: data, Height: opts.Height, Prove: opts.Prove})
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultABCIQuery{Response: *resp}, nil
}

// TestRESTQueryStatus sends REST requests through the modules' real
// grpc-gateway routes (the ones RegisterAPIRoutes mounts) and the
// client.Context's ABCI query path to the app: a missing record answers
// 404 and a malformed argument 400, with the module's message in the body.
func TestRESTQueryStatus(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1)
	clientCtx := client.Context{}.
		WithClient(abciNode{app: c.App}).
		WithCodec(c.App.AppCodec()).
		WithInterfaceRegistry(c.App.InterfaceRegistry())
	mux := runtime.NewServeMux()
	c.App.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, mux)

	unknown := strings.Repeat("09", 32)
	tests := []struct {
		name     string
		path     string
		want     int
		wantBody string
	}{
		{"worker unknown", "/gatekeeper/registry/v1/workers/" + unknown, http.StatusNotFound, "worker not"},
		{"worker not hex", "/gatekeeper/registry/v1/workers/nothex", http.StatusBadRequest, "not a 32-byte key"},
		{"collateral missing", "/gatekeeper/registry/v1/collaterals/tdx/00", http.StatusNotFound, "tdx"},
		{"cluster missing", "/gatekeeper/gatekeeper/v1/clusters/99", http.StatusNotFound, "cluster 99"},
		{"rotation missing", "/gatekeeper/gatekeeper/v1/rotation?to_version=9", http.StatusNotFound, "no rotation to v9"},
		{"migration missing", "/gatekeeper/gatekeeper/v1/migration?id=9", http.StatusNotFound, "no migration 9"},
		{"session unknown", "/gatekeeper/computation/v1/sessions/" + unknown, http.StatusNotFound, "has no session"},
		{"benchmark short key", "/gatekeeper/computation/v1/benchmarks/abcd", http.StatusBadRequest, "not a 32-byte key"},
		{"ingress limit too large", "/gatekeeper/mq/v1/ingress?limit=1001", http.StatusBadRequest, "exceeds"},
		{"sequence bad origin", "/gatekeeper/mq/v1/sequence/validator:1", http.StatusBadRequest, "validator"},
		{"params found", "/gatekeeper/registry/v1/params", http.StatusOK, "params"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("GET %s = %d %s; want %d containing %q", tc.path, rec.Code, rec.Body, tc.want, tc.wantBody)
			}
		})
	}
}
