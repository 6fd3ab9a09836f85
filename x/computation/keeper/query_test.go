package keeper_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/x/computation/types"
)

// TestQueryErrorCodes checks that a worker without a session or benchmark
// answers gRPC NotFound (HTTP 404 through grpc-gateway) and a malformed key
// or nil request InvalidArgument (HTTP 400), still wrapping the module's
// registered error.
func TestQueryErrorCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	unknown := hex.EncodeToString(bytes.Repeat([]byte{9}, 32))
	session := func(req *types.QuerySessionRequest) func() error {
		return func() error { _, err := f.query.Session(f.ctx, req); return err }
	}
	benchmark := func(req *types.QueryBenchmarkRequest) func() error {
		return func() error { _, err := f.query.Benchmark(f.ctx, req); return err }
	}
	tests := []struct {
		name  string
		query func() error
		is    error
		code  codes.Code
		http  int
	}{
		{"session unknown worker", session(&types.QuerySessionRequest{Worker: unknown}), types.ErrNotComputing, codes.NotFound, http.StatusNotFound},
		{"session not hex", session(&types.QuerySessionRequest{Worker: "nothex"}), types.ErrInvalidKey, codes.InvalidArgument, http.StatusBadRequest},
		{"session short key", session(&types.QuerySessionRequest{Worker: unknown[:62]}), types.ErrInvalidKey, codes.InvalidArgument, http.StatusBadRequest},
		{"session nil", session(nil), types.ErrInvalidKey, codes.InvalidArgument, http.StatusBadRequest},
		{"benchmark unknown worker", benchmark(&types.QueryBenchmarkRequest{Worker: unknown}), types.ErrNoBenchmark, codes.NotFound, http.StatusNotFound},
		{"benchmark not hex", benchmark(&types.QueryBenchmarkRequest{Worker: "nothex"}), types.ErrInvalidKey, codes.InvalidArgument, http.StatusBadRequest},
		{"benchmark nil", benchmark(nil), types.ErrInvalidKey, codes.InvalidArgument, http.StatusBadRequest},
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
			if got := runtime.HTTPStatusFromCode(status.Code(err)); got != tc.http {
				t.Errorf("HTTP status %d, want %d", got, tc.http)
			}
			if msg := status.Convert(err).Message(); msg != err.Error() {
				t.Errorf("status message %q, want the error's %q", msg, err.Error())
			}
		})
	}
}
