//go:build !s3

package cli

import (
	"context"
	"errors"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// errNoS3 refuses --state-store in the default build, which keeps minio-go
// and its dependencies out of the enclave (cmd/pruntime/deps_test.go).
var errNoS3 = errors.New("this pruntime is built without the S3 backend, which the default build keeps out of the enclave's trusted computing base; use a build with -tags s3 (make build-s3), whose measurement differs, or --state-dir")

func openS3(context.Context, string) (statestore.Store, error) { return nil, errNoS3 }
