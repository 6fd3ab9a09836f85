//go:build s3

package cli

import (
	"context"
	"os"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
)

// openS3 opens the S3 store of url, credentials from the environment (see
// s3.ParseURL). Only a build with the s3 tag links minio-go: it is not on
// the enclave's allow-list (cmd/pruntime/deps_test.go), so the default
// build keeps it out of the trusted computing base.
func openS3(ctx context.Context, url string) (statestore.Store, error) {
	c, err := s3.ParseURL(url, os.Getenv)
	if err != nil {
		return nil, err
	}
	return s3.Open(ctx, c)
}
