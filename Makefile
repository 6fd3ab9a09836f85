.PHONY: build test proto lint devnet

build:
	go build -o build/ ./cmd/...

test:
	go test ./...

# Regenerates protobuf Go code with pinned tools; see scripts/protocgen.sh.
proto:
	./scripts/protocgen.sh

devnet: build
	./build/gkd devnet --home .devnet
