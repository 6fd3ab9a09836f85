#!/usr/bin/env bash
# Regenerates the Go code for proto/ (committed; never edited by hand).
#
# Needs only Go: buf and the protoc plugins are pinned in tools/go.mod and built
# here (once per tools/go.sum: see the cache below), and the third-party .proto files (gogoproto, cosmos-proto, the Cosmos
# SDK's, googleapis) come from the Go module cache at the versions go.mod pins,
# so no schema registry is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
module=$(go list -m)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tools are built once per tools/go.mod + go.sum, Go version and platform
# and kept outside the clone, like Go's own caches, so that a warm machine
# (or CI after its first run) skips building them: under
# $GATEKEEPER_TOOLS_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/gatekeeper/tools.
key=$( (cat tools/go.mod tools/go.sum; go env GOVERSION GOOS GOARCH) | sha256sum | cut -c1-32)
cache_root=${GATEKEEPER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatekeeper/tools}
bin="$cache_root/$key"
tools="buf protoc-gen-gocosmos protoc-gen-grpc-gateway"
cached=1
for t in $tools; do [ -x "$bin/$t" ] || cached=0; done
if [ $cached = 1 ]; then
  echo "protocgen: buf and plugins from the cache $bin"
else
  echo "protocgen: building buf and plugins (tools/go.mod) into $bin"
  mkdir -p "$cache_root"
  # Built aside and renamed into place, so that an interrupted or
  # concurrent build never leaves a partial cache entry.
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  (cd tools && go build -o "$tmp/" \
    github.com/bufbuild/buf/cmd/buf \
    github.com/cosmos/gogoproto/protoc-gen-gocosmos \
    github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway) || { rm -rf "$tmp"; exit 1; }
  if ! mv -T "$tmp" "$bin" 2>/dev/null; then
    rm -rf "$tmp" # another run filled it first
  fi
fi
export PATH="$bin:$PATH"

moddir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
modver() { go list -m -f '{{.Version}}' "$1"; }

echo "protocgen: staging third-party protos from the module cache"
src="$work/proto"
mkdir -p "$src"
cp -r proto/gatekeeper "$src/"
gogo=$(moddir "github.com/cosmos/gogoproto@$(modver github.com/cosmos/gogoproto)")
cproto=$(moddir "github.com/cosmos/cosmos-proto@$(modver github.com/cosmos/cosmos-proto)")
sdk=$(moddir "github.com/cosmos/cosmos-sdk@$(modver github.com/cosmos/cosmos-sdk)")
gw=$(cd tools && go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway)
mkdir -p "$src/gogoproto" "$src/cosmos_proto" "$src/google/api" "$src/cosmos/msg/v1" \
  "$src/cosmos/base/query/v1beta1" "$src/cosmos/base/v1beta1" "$src/amino"
cp "$gogo/gogoproto/gogo.proto" "$src/gogoproto/"
cp "$cproto/proto/cosmos_proto/cosmos.proto" "$src/cosmos_proto/"
cp "$gw/third_party/googleapis/google/api/annotations.proto" "$gw/third_party/googleapis/google/api/http.proto" "$src/google/api/"
cp "$sdk/proto/cosmos/msg/v1/msg.proto" "$src/cosmos/msg/v1/"
cp "$sdk/proto/cosmos/base/query/v1beta1/pagination.proto" "$src/cosmos/base/query/v1beta1/"
cp "$sdk/proto/cosmos/base/v1beta1/coin.proto" "$src/cosmos/base/v1beta1/"
cp "$sdk/proto/amino/amino.proto" "$src/amino/"
chmod -R u+w "$src"

cat > "$work/buf.yaml" <<YAML
version: v2
modules:
  - path: proto
YAML
cat > "$work/buf.gen.yaml" <<YAML
version: v2
plugins:
  - local: protoc-gen-gocosmos
    out: out
    opt:
      - plugins=grpc
      - Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any
  - local: protoc-gen-grpc-gateway
    out: out
    opt:
      - logtostderr=true
      - allow_colon_final_segments=true
YAML

echo "protocgen: generating"
(cd "$work" && buf generate --path proto/gatekeeper)

# Replace every generated file so that removed protos leave nothing behind.
if [ -d x ]; then find x \( -name '*.pb.go' -o -name '*.pb.gw.go' \) -delete; fi
cp -r "$work/out/$module/." "$root/"
echo "protocgen: done"
