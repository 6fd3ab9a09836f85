package querystatus_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gatekeeper-net/gatekeeper/internal/querystatus"
)

func TestCodes(t *testing.T) {
	t.Parallel()
	base := errors.New("registry: worker not found")
	for _, tc := range []struct {
		name     string
		err      error
		code     codes.Code
		httpCode int
	}{
		{"not found", querystatus.NotFound(base), codes.NotFound, http.StatusNotFound},
		{"invalid argument", querystatus.InvalidArgument(base), codes.InvalidArgument, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !errors.Is(tc.err, base) {
				t.Fatal("the module's error is not wrapped")
			}
			if tc.err.Error() != base.Error() {
				t.Fatalf("message %q, want %q", tc.err.Error(), base.Error())
			}
			st, ok := status.FromError(tc.err)
			if !ok || st.Code() != tc.code || st.Message() != base.Error() {
				t.Fatalf("status %v (ok %v), want %v %q", st, ok, tc.code, base.Error())
			}
			if got := runtime.HTTPStatusFromCode(st.Code()); got != tc.httpCode {
				t.Fatalf("HTTP %d, want %d", got, tc.httpCode)
			}
		})
	}
}
