#!/usr/bin/env bash
# Fetches the reference models Vigil does NOT ship in Models/ into Models/cache/
# (gitignored), from the pinned PyPI package, and verifies their sha256.
# Also verifies the sha256 of the shipped models in Models/.
#
#   bash scripts/fetch_models.sh
#
# Models/cache/ is what the engine tests and scripts/make_references.py look at
# for these models; see Models/README.md for sources and licences.
#
# The package is installed with --no-deps: only its model files are needed,
# not mediapipe's Python dependencies (jax, matplotlib, opencv-contrib, ...).
# If pip cannot install it for this Python (mediapipe 0.10.14 has wheels for
# CPython 3.8-3.12 only), the cp311 manylinux wheel is downloaded instead and the
# files are read straight from it; the .tflite files are platform independent.
#
# Last, Models/cache/yolov8n_random.onnx is regenerated (not downloaded) from the
# committed Models/yolov8n_random.structure.onnx by scripts/materialize_yolo.py
# (seeded random weights; needs numpy and onnx, installed at the pinned versions
# below if either is missing). It is skipped quickly when the file is already
# there with the pinned sha256.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
PKG="mediapipe"
PKG_VERSION="0.10.14"
CACHE="$REPO/Models/cache"

# <path inside the package>  <sha256>
FETCHED=(
    "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite 2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"
    "mediapipe/modules/pose_detection/pose_detection.tflite 9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
    "mediapipe/modules/palm_detection/palm_detection_lite.tflite e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18"
)
# Shipped in Models/ (checked, not fetched).
SHIPPED=(
    "ppocr_det_v4.onnx d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
    "face_detection_short_range.tflite bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
    "selfie_segmentation.tflite 9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"
)

check_sha() { # file expected
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "$got" != "$2" ]]; then
        echo "sha256 mismatch for $1: got $got, expected $2" >&2
        return 1
    fi
}

installed_version() {
    "$PYTHON" -c "import importlib.metadata as m; print(m.version('$PKG'))" 2>/dev/null || true
}

# Directory under which the package paths resolve (site-packages or an unpacked wheel).
SRC_ROOT=""
TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT

# FROM_WHEEL=1 skips pip install and always reads from the downloaded wheel.
if [[ "${FROM_WHEEL:-0}" != 1 && "$(installed_version)" != "$PKG_VERSION" ]]; then
    "$PYTHON" -m pip install --no-deps "$PKG==$PKG_VERSION" || true
fi
if [[ "${FROM_WHEEL:-0}" != 1 && "$(installed_version)" == "$PKG_VERSION" ]]; then
    # find_spec locates the package without importing it (so missing deps don't matter)
    SRC_ROOT="$("$PYTHON" -c "import importlib.util, os; print(os.path.dirname(os.path.dirname(importlib.util.find_spec('$PKG').origin)))")"
else
    echo "pip could not install $PKG==$PKG_VERSION for this Python; extracting from the wheel instead" >&2
    TMP="$(mktemp -d)"
    "$PYTHON" -m pip download --no-deps --only-binary=:all: \
        --python-version 3.11 --platform manylinux_2_17_x86_64 \
        -d "$TMP" "$PKG==$PKG_VERSION"
    SRC_ROOT="$TMP/unpacked"
    "$PYTHON" - "$TMP" "$SRC_ROOT" "${FETCHED[@]%% *}" <<'PY'
import glob, sys, zipfile
tmp, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
(wheel,) = glob.glob(f"{tmp}/*.whl")
with zipfile.ZipFile(wheel) as z:
    for m in members:
        z.extract(m, dest)
PY
fi

mkdir -p "$CACHE"
for entry in "${FETCHED[@]}"; do
    rel="${entry%% *}"; sha="${entry##* }"
    src="$SRC_ROOT/$rel"
    dst="$CACHE/$(basename "$rel")"
    check_sha "$src" "$sha"
    cp "$src" "$dst.tmp" && mv "$dst.tmp" "$dst"
    check_sha "$dst" "$sha"
    echo "ok  Models/cache/$(basename "$rel")"
done

for entry in "${SHIPPED[@]}"; do
    name="${entry%% *}"; sha="${entry##* }"
    check_sha "$REPO/Models/$name" "$sha"
    echo "ok  Models/$name (shipped)"
done

# YOLOv8n-architecture random-weight model (see Models/README.md).
YOLO_PINS=(numpy==2.4.6 onnx==1.22.0)
if ! "$PYTHON" -c "import numpy, onnx" 2>/dev/null; then
    "$PYTHON" -m pip install "${YOLO_PINS[@]}"
fi
"$PYTHON" "$REPO/scripts/materialize_yolo.py"
