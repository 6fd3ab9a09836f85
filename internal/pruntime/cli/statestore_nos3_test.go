//go:build !s3

package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
)

// The default build refuses --state-store with an error saying why and
// which build has it.
func TestOpenStateStoreWithoutS3(t *testing.T) {
	cfg := pruntime.Config{DataDir: t.TempDir(), StateStore: "s3://gk-state?endpoint=127.0.0.1:35999"}
	if _, err := OpenStateStore(context.Background(), cfg); !errors.Is(err, errNoS3) {
		t.Fatalf("--state-store in a build without s3: %v, want errNoS3", err)
	}
}
