#!/usr/bin/env bash
# Regenerates Sources/VigilEngine/Import/ONNX/onnx.pb.swift.
#
# Source schema: onnx.proto (proto2, `package onnx`; NOT onnx-ml.proto) as shipped
# inside the `onnx` PyPI package, version 1.22.0 (the version used for the
# checked-in file; override with ONNX_VERSION=... to use another one).
# Generator:     protoc (Debian package protobuf-compiler; 3.21.12 when last run)
#                + protoc-gen-swift built from swift-protobuf tag 1.39.0, which
#                must match the SwiftProtobuf runtime the package resolves to.
# Options:       --swift_opt=Visibility=Internal, default FileNaming.
#
# Usage: bash scripts/regenerate_onnx_proto.sh   (needs root for apt-get, ~2-5 min)
set -euo pipefail

ONNX_VERSION="${ONNX_VERSION:-1.22.0}"
SWIFT_PROTOBUF_VERSION="1.39.0"
SWIFT_PROTOBUF_SRC="${SWIFT_PROTOBUF_SRC:-/opt/swift-packages/apple/swift-protobuf.git}"
PLUGIN_DIR="/tmp/swift-protobuf"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$REPO/Sources/VigilEngine/Import/ONNX"
PYTHON="${PYTHON:-python3}"

# 1. protoc
if ! command -v protoc >/dev/null 2>&1; then
    apt-get update
    apt-get install -y protobuf-compiler
fi
echo "protoc: $(protoc --version)"

# 2. protoc-gen-swift at exactly $SWIFT_PROTOBUF_VERSION, built into /tmp
PLUGIN="$PLUGIN_DIR/.build/release/protoc-gen-swift"
if [[ ! -x "$PLUGIN" ]] || [[ "$("$PLUGIN" --version 2>/dev/null)" != "protoc-gen-swift $SWIFT_PROTOBUF_VERSION" ]]; then
    rm -rf "$PLUGIN_DIR"
    git clone "$SWIFT_PROTOBUF_SRC" "$PLUGIN_DIR"
    git -C "$PLUGIN_DIR" checkout -q "$SWIFT_PROTOBUF_VERSION"
    (cd "$PLUGIN_DIR" && swift build -c release --product protoc-gen-swift)
fi
echo "plugin: $("$PLUGIN" --version)"

# 3. onnx.proto from the pinned onnx wheel
if [[ "$("$PYTHON" -c 'import onnx; print(onnx.__version__)' 2>/dev/null || true)" != "$ONNX_VERSION" ]]; then
    "$PYTHON" -m pip install "onnx==$ONNX_VERSION"
fi
ONNX_DIR="$("$PYTHON" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')"
PROTO="$ONNX_DIR/onnx.proto"
grep -q '^package onnx;' "$PROTO" || { echo "unexpected $PROTO (no 'package onnx;')" >&2; exit 1; }
echo "proto: $PROTO ($(sha256sum "$PROTO" | cut -c1-16)…)"

# 4. generate (output name follows FileNaming=FullPath default: onnx.proto -> onnx.pb.swift)
mkdir -p "$OUT_DIR"
protoc \
    --plugin=protoc-gen-swift="$PLUGIN" \
    --proto_path="$ONNX_DIR" \
    --swift_opt=Visibility=Internal \
    --swift_out="$OUT_DIR" \
    "$PROTO"
echo "wrote $OUT_DIR/onnx.pb.swift"
