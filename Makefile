.PHONY: build test proto proto-check devnet bench

build:
	go build -o build/ ./cmd/...

# The test command of the README and of CI: generated code matches the protos,
# vet is clean, every test passes (unit, fuzz seeds, app integration, e2e).
# The e2e tests build and run the binaries, which Go's test cache does not
# see, so they always run (-count=1); the rest may come from the cache.
test: proto-check
	go vet ./...
	go test -timeout 25m $$(go list ./... | grep -v '/e2e$$')
	go test -count=1 -timeout 25m ./e2e/

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
