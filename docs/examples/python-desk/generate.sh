#!/bin/sh
# Regenerates the Python gRPC code in gen/ (or in the directory given as the
# first argument) from the Parley protocol, go-plugin's own services and the
# two vendored protos in proto/. The output depends on the generators'
# versions, so they are pinned to Debian bookworm's packages:
#   apt-get install protobuf-compiler=3.21.12* protobuf-compiler-grpc=1.51.1*
# and the go-plugin version comes from the repository's go.mod.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-$here/gen}

want_protoc="libprotoc 3.21.12"
want_grpc="1.51.1"
have_protoc=$(protoc --version 2>/dev/null || true)
have_grpc=$(dpkg-query -W -f '${Version}' protobuf-compiler-grpc 2>/dev/null || true)
if [ "$have_protoc" != "$want_protoc" ]; then
  echo "generate.sh: need protoc $want_protoc (Debian protobuf-compiler), have '${have_protoc:-none}'" >&2
  exit 2
fi
case "$have_grpc" in
  "$want_grpc"*) ;;
  *) echo "generate.sh: need grpc_python_plugin $want_grpc (Debian protobuf-compiler-grpc), have '${have_grpc:-none}'" >&2
     exit 2 ;;
esac
plugin=$(command -v grpc_python_plugin)

goplugin=$(cd "$repo" && go list -m -f '{{.Dir}}' github.com/hashicorp/go-plugin)
if [ ! -d "$goplugin/internal/plugin" ]; then
  # Not in the module cache yet: go list printed nothing. Fetch, then ask again.
  (cd "$repo" && go mod download github.com/hashicorp/go-plugin)
  goplugin=$(cd "$repo" && go list -m -f '{{.Dir}}' github.com/hashicorp/go-plugin)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# go-plugin's broker and controller services, at the top level of the output.
for f in grpc_broker grpc_controller; do cp "$goplugin/internal/plugin/$f.proto" "$work/"; done

rm -rf "$out"
mkdir -p "$out"
gen() {
  protoc --plugin=protoc-gen-grpc_python="$plugin" --python_out="$out" --grpc_python_out="$out" "$@"
}
gen -I "$repo/proto" parley/channel/v1/channel.proto
gen -I "$work" grpc_broker.proto grpc_controller.proto
gen -I "$here/proto" health.proto
protoc --python_out="$out" -I "$here/proto" rpc_status.proto
echo "generated Python code in $out"
