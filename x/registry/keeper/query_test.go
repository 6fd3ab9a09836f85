package keeper_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

func TestWorkerQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		req    *types.QueryWorkerRequest
		wantGK bool
		want   error
		code   codes.Code // gRPC code of want; grpc-gateway maps it to the HTTP status
	}{
		{name: "gatekeeper", req: &types.QueryWorkerRequest{IdentityKey: keyHex(1)}, wantGK: true},
		{name: "plain worker", req: &types.QueryWorkerRequest{IdentityKey: keyHex(2)}},
		{name: "upper-case hex", req: &types.QueryWorkerRequest{IdentityKey: strings.ToUpper(keyHex(1))}, wantGK: true},
		{name: "base64 as JSON shows it", req: &types.QueryWorkerRequest{IdentityKey: base64.StdEncoding.EncodeToString(pub(testKey(1)))}, wantGK: true},
		{name: "unknown", req: &types.QueryWorkerRequest{IdentityKey: keyHex(3)}, want: types.ErrWorkerNotFound, code: codes.NotFound},
		{name: "not hex", req: &types.QueryWorkerRequest{IdentityKey: "nothex"}, want: types.ErrInvalidKey, code: codes.InvalidArgument},
		{name: "short", req: &types.QueryWorkerRequest{IdentityKey: keyHex(1)[:60]}, want: types.ErrInvalidKey, code: codes.InvalidArgument},
		{name: "empty", req: &types.QueryWorkerRequest{}, want: types.ErrInvalidKey, code: codes.InvalidArgument},
		{name: "nil", req: nil, want: types.ErrInvalidKey, code: codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.registerSim(t, 1)
			f.registerSim(t, 2)
			f.addGatekeeper(t, 1)
			resp, err := f.query.Worker(f.ctx, tc.req)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				wantCode(t, err, tc.code)
				return
			}
			asHex := strings.EqualFold(hex.EncodeToString(resp.Worker.IdentityKey), tc.req.IdentityKey)
			asBase64 := base64.StdEncoding.EncodeToString(resp.Worker.IdentityKey) == tc.req.IdentityKey
			if !(asHex || asBase64) || resp.IsGatekeeper != tc.wantGK {
				t.Errorf("worker %x, is_gatekeeper %v; want %s, %v", resp.Worker.IdentityKey, resp.IsGatekeeper, tc.req.IdentityKey, tc.wantGK)
			}
		})
	}
}

func TestCollateralQueryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *types.QueryCollateralRequest
		code codes.Code
	}{
		{name: "missing", req: &types.QueryCollateralRequest{TeeKind: "tdx", PlatformId: "00"}, code: codes.NotFound},
		{name: "nil", req: nil, code: codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.query.Collateral(f.ctx, tc.req)
			wantErrIs(t, err, types.ErrNoCollateral)
			wantCode(t, err, tc.code)
		})
	}
}

// wantCode fails t unless err carries the gRPC code want, grpc-gateway
// answers it with the matching HTTP status (404 for NotFound, 400 for
// InvalidArgument) and the status message is the error's own.
func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("gRPC code %v, want %v (err %v)", got, want, err)
	}
	httpWant := map[codes.Code]int{codes.NotFound: http.StatusNotFound, codes.InvalidArgument: http.StatusBadRequest}[want]
	if got := runtime.HTTPStatusFromCode(status.Code(err)); got != httpWant {
		t.Errorf("HTTP status %d, want %d", got, httpWant)
	}
	if msg := status.Convert(err).Message(); msg != err.Error() {
		t.Errorf("status message %q, want the error's %q", msg, err.Error())
	}
}

// sortedKeys returns the identity keys of seeds in store order.
func sortedKeys(seeds ...byte) [][]byte {
	var keys [][]byte
	for _, s := range seeds {
		keys = append(keys, pub(testKey(s)))
	}
	slices.SortFunc(keys, bytes.Compare)
	return keys
}

func TestWorkersQueryPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, s := range []byte{1, 2, 3, 4, 5} {
		f.registerSim(t, s)
	}
	want := sortedKeys(1, 2, 3, 4, 5)

	var got [][]byte
	var next []byte
	for page := 0; ; page++ {
		resp, err := f.query.Workers(f.ctx, &types.QueryWorkersRequest{Pagination: &query.PageRequest{Key: next, Limit: 2, CountTotal: page == 0}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Workers) > 2 {
			t.Fatalf("page %d has %d workers, limit 2", page, len(resp.Workers))
		}
		if page == 0 && resp.Pagination.Total != 5 {
			t.Errorf("total = %d, want 5", resp.Pagination.Total)
		}
		for _, w := range resp.Workers {
			got = append(got, w.IdentityKey)
		}
		next = resp.Pagination.NextKey
		if next == nil {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("paged workers %x, want %x", got, want)
	}

	// Offset pagination and a nil request.
	resp, err := f.query.Workers(f.ctx, &types.QueryWorkersRequest{Pagination: &query.PageRequest{Offset: 4, Limit: 10}})
	if err != nil || len(resp.Workers) != 1 || !bytes.Equal(resp.Workers[0].IdentityKey, want[4]) {
		t.Errorf("offset 4: %v, %v", resp, err)
	}
	resp, err = f.query.Workers(f.ctx, nil)
	if err != nil || len(resp.Workers) != 5 {
		t.Errorf("nil request: %d workers, %v", len(resp.Workers), err)
	}
}

func TestMeasurementsQueryPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, m := range []string{"03", "01", "02"} {
		if _, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{Authority: f.authority, TeeKind: attest.KindSim, Measurement: m}); err != nil {
			t.Fatal(err)
		}
	}
	// Key order: kind (length-prefixed string), then measurement bytes.
	type km struct {
		kind string
		m    []byte
	}
	want := []km{{registrytest.FakeKind, registrytest.FakeMeasurement[:]}, {attest.KindSim, []byte{1}}, {attest.KindSim, []byte{2}}, {attest.KindSim, []byte{3}}, {attest.KindSim, simMeasurement[:]}}

	var got []km
	var next []byte
	for range 10 {
		resp, err := f.query.Measurements(f.ctx, &types.QueryMeasurementsRequest{Pagination: &query.PageRequest{Key: next, Limit: 2}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Measurements {
			got = append(got, km{m.TeeKind, m.Measurement})
		}
		if next = resp.Pagination.NextKey; next == nil {
			break
		}
	}
	if !slices.EqualFunc(got, want, func(a, b km) bool { return a.kind == b.kind && bytes.Equal(a.m, b.m) }) {
		t.Errorf("paged measurements %v, want %v", got, want)
	}
	resp, err := f.query.Measurements(f.ctx, nil)
	if err != nil || len(resp.Measurements) != 5 {
		t.Errorf("nil request: %v, %v", resp, err)
	}
}

func TestParamsQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := types.DefaultParams()
	want.AllowSimulatedTee = true
	if !reflect.DeepEqual(resp.Params, want) {
		t.Errorf("params = %+v, want %+v", resp.Params, want)
	}
}
