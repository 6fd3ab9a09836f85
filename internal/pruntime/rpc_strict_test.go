package pruntime

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// The relayer's RPC takes untrusted JSON too: a body that two parsers can
// read differently (duplicate or differently-cased keys, invalid UTF-8, an
// unpaired surrogate, trailing data) is refused with 400 before the runtime
// sees it, and changes nothing.
func TestRPCStrictJSON(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	h := n.r.Handler()
	tests := []struct {
		name, path, body, want string
	}{
		{"duplicate key", api.PathSyncInit, `{"signed_header":"AA==","validators":"AA==","validators":"AQ=="}`, "duplicate key"},
		{"case variant", api.PathSyncInit, `{"Signed_Header":"AA==","validators":"AA=="}`, "case-sensitive"},
		{"case variant nested", api.PathSyncIngress, `{"start":1,"entries":"AA==","head":{"Value":"AA==","proof":"AA=="}}`, "case-sensitive"},
		{"duplicate key nested", api.PathSyncEgressAck, `{"worker":{"proof":"AA==","proof":"AQ=="}}`, "duplicate key"},
		{"invalid UTF-8", api.PathSyncEgressAck, "{\"lanes\":[{\"lane\":\"a\xff\"}]}", "invalid UTF-8"},
		{"lone surrogate", api.PathSyncEgressAck, `{"lanes":[{"lane":"\udc00"}]}`, "surrogate"},
		{"trailing data", api.PathSyncHeader, `{"signed_header":"AA=="} {}`, "trailing data"},
		{"unknown field", api.PathSyncBootstrap, `{"worker":{},"extra":1}`, "unknown field"},
	}
	t.Run("bodies", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var e api.Error
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
					t.Fatalf("%d %q: %v", rec.Code, rec.Body.Bytes(), err)
				}
				if rec.Code != http.StatusBadRequest || !strings.Contains(e.Error, tc.want) || !strings.HasPrefix(e.Error, "pruntime: ") {
					t.Fatalf("%d %q, want 400 and an error containing %q", rec.Code, e.Error, tc.want)
				}
			})
		}
	})
	if info := n.r.Info(); info.Initialized || info.SyncedHeight != 0 {
		t.Fatalf("a refused body changed the runtime: %+v", info)
	}
}
