.PHONY: build build-s3 images test proto proto-check devnet bench

# Reproducible static builds: the same commit gives the same bytes on every
# machine and in every directory (no cgo, no file paths, no VCS stamp, no
# build id), so a pRuntime's sim measurement (the SHA-256 of its binary) is
# known before it runs. Version and commit come from the tree; outside a git
# checkout (a source tarball) they fall back to "unknown", or set them:
# make build VERSION=v1.0.0 COMMIT=abc... . CMDS picks the commands.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
CMDS    ?= gkd pruntime pherry
BUILDINFO := github.com/gatekeeper-net/gatekeeper/internal/buildinfo
LDFLAGS := -buildid= -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT)

build:
	CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags '$(LDFLAGS)' -o build/ $(addprefix ./cmd/,$(CMDS))

# A pruntime with the S3 state store (--state-store). It links minio-go,
# which the default build keeps out of the enclave (cmd/pruntime/deps_test.go
# checks the default build only), so its measurement differs.
build-s3:
	CGO_ENABLED=0 go build -tags s3 -trimpath -buildvcs=false -ldflags '$(LDFLAGS)' -o build/s3/ ./cmd/pruntime

# Images FROM scratch of the static binaries (deploy/docker/Dockerfile),
# tagged gatekeeper/<bin>:$(VERSION); `gkd testnet --compose` writes a
# docker-compose.yml that runs them.
images: build
	for b in $(CMDS); do docker build -q -f deploy/docker/Dockerfile --target $$b -t gatekeeper/$$b:$(VERSION) . || exit 1; done

# The test command of the README and of CI: generated code matches the protos,
# vet is clean, every test passes (unit, fuzz seeds, app integration, e2e).
# The e2e tests build and run the binaries, which Go's test cache does not
# see, so they always run (-count=1); the rest may come from the cache. The
# e2e run ends with each scenario's duration, slowest first
# (scripts/testsummary), and prints the output of failing tests only.
test: proto-check
	go vet ./...
	go test -timeout 25m $$(go list ./... | grep -v '/e2e$$')
	go build -o build/testsummary ./scripts/testsummary
	bash -o pipefail -c 'go test -count=1 -timeout 25m -json ./e2e/ | build/testsummary'

# Regenerates protobuf Go code with pinned tools; see scripts/protocgen.sh.
proto:
	./scripts/protocgen.sh

# Fails if the committed generated code differs from what the protos give.
proto-check: proto
	@git diff --exit-code -- '*.pb.go' '*.pb.gw.go' || \
		(echo "generated code is out of date: run 'make proto' and commit" >&2; exit 1)

devnet: build
	./build/gkd devnet --home .devnet

bench:
	GK_BENCH=1 go test -run=Report -bench=. -benchtime=1x -v ./bench/...
	GK_BENCH=1 go test -run=TestReportGatekeeper -v ./internal/pruntime/
