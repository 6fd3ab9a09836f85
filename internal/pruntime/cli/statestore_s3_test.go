//go:build s3

package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3/s3test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}

// --state-store selects the S3 store: what it writes is in the bucket
// under the prefix.
func TestOpenStateStoreS3(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	t.Setenv(s3.EnvAccessKey, srv.AccessKey)
	t.Setenv(s3.EnvSecretKey, srv.SecretKey)
	cfg := pruntime.Config{DataDir: t.TempDir(), StateStore: "s3://" + bucket + "/cluster-7?endpoint=" + srv.Endpoint + "&secure=false"}
	ctx := context.Background()
	st, err := OpenStateStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*s3.Store); !ok {
		t.Fatalf("OpenStateStore gave a %T, want *s3.Store", st)
	}
	if err := st.Put(ctx, "app/x", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	root, err := s3.Open(ctx, srv.Config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := root.Get(ctx, "cluster-7/app/x"); err != nil || !bytes.Equal(got, []byte("hello")) {
		t.Fatalf("object under the prefix: %q, %v", got, err)
	}
}

func TestOpenStateStoreS3Credentials(t *testing.T) {
	cfg := pruntime.Config{DataDir: t.TempDir()}
	t.Setenv(s3.EnvAccessKey, "")
	t.Setenv(s3.EnvSecretKey, "")
	cfg.StateStore = "s3://gk-state?endpoint=127.0.0.1:35999"
	if _, err := OpenStateStore(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), s3.EnvSecretKey) {
		t.Fatalf("no credentials: %v", err)
	}
}
