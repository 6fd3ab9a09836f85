package keeper_test

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

func TestGatekeepersQueryOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeds := []byte{4, 1, 3, 2}
	for _, s := range seeds {
		f.registerSim(t, s)
	}
	resp, err := f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
	if err != nil || len(resp.Gatekeepers) != 0 {
		t.Fatalf("empty set: %v, %v", resp, err)
	}
	for i, s := range seeds {
		f.ctx = f.ctx.WithBlockHeight(testHeight + int64(i))
		f.addGatekeeper(t, s)
	}
	resp, err = f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, g := range resp.Gatekeepers {
		got = append(got, g.IdentityKey)
	}
	want := sortedKeys(seeds...)
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("gatekeepers %x, want key order %x", got, want)
	}
	// x/mq sees the same set in the same order.
	keys, err := f.k.GatekeeperKeys(f.ctx)
	if err != nil || !slices.EqualFunc(keys, want, bytes.Equal) {
		t.Errorf("GatekeeperKeys = %x, %v; want %x", keys, err, want)
	}
	for _, g := range resp.Gatekeepers {
		i := slices.IndexFunc(seeds, func(s byte) bool { return bytes.Equal(pub(testKey(s)), g.IdentityKey) })
		if g.AddedHeight != testHeight+int64(i) {
			t.Errorf("gatekeeper %x added at %d, want %d", g.IdentityKey, g.AddedHeight, testHeight+int64(i))
		}
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

// TestQueryErrorCodes checks that a missing record answers gRPC NotFound
// (HTTP 404 through grpc-gateway) and a malformed request InvalidArgument
// (HTTP 400), still wrapping the module's registered error.
func TestQueryErrorCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name     string
		query    func() error
		code     codes.Code
		httpCode int
		is       error
	}{
		{"cluster nil request", func() error { _, err := f.query.Cluster(f.ctx, nil); return err },
			codes.InvalidArgument, http.StatusBadRequest, types.ErrInvalidCluster},
		{"cluster missing", func() error {
			_, err := f.query.Cluster(f.ctx, &types.QueryClusterRequest{Id: 99})
			return err
		}, codes.NotFound, http.StatusNotFound, types.ErrClusterNotFound},
		{"rotation missing", func() error {
			_, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{ToVersion: 9})
			return err
		}, codes.NotFound, http.StatusNotFound, types.ErrNoRotation},
		{"migration missing", func() error {
			_, err := f.query.Migration(f.ctx, &types.QueryMigrationRequest{Id: 9})
			return err
		}, codes.NotFound, http.StatusNotFound, types.ErrNoMigration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.query()
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("gRPC code %v, want %v (err %v)", got, tc.code, err)
			}
			if got := runtime.HTTPStatusFromCode(status.Code(err)); got != tc.httpCode {
				t.Errorf("HTTP status %d, want %d", got, tc.httpCode)
			}
			if msg := status.Convert(err).Message(); msg != err.Error() {
				t.Errorf("status message %q, want the error's %q", msg, err.Error())
			}
		})
	}
}
