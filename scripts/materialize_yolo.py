#!/usr/bin/env python3
"""Regenerate the runnable YOLOv8n-architecture test model from its committed
structure file, with seeded random weights. Needs only numpy and onnx.

    python3 scripts/materialize_yolo.py            # -> Models/cache/yolov8n_random.onnx
    python3 scripts/materialize_yolo.py --force    # rebuild even if the file is already right

Input:  Models/yolov8n_random.structure.onnx -- the graph exactly as
        scripts/export_yolo.py got it from Ultralytics (opset 17, dynamic
        batch/height/width), with the data of every Conv weight and bias removed
        (those initializers keep name, dtype and dims and carry doc_string
        "vigil:random-init"). Its sha256 is pinned below.
Output: Models/cache/yolov8n_random.onnx (~12 MB, gitignored), sha256 pinned
        below and recorded in Models/README.md. Nothing is downloaded.

Weights (filled in initializer order from ONE numpy.random.default_rng(SEED)
stream, float64 standard normals scaled, then cast to float32):
  * Conv weight [out, in/groups, kh, kw]: N(0, std^2) with Kaiming-normal
    std = GAIN * sqrt(2 / fan_in), fan_in = in/groups * kh * kw, GAIN = 1.0;
    x HEAD_GAIN (8) for the six detection-head output convs (cv2.{0,1,2}.2 box
    logits and cv3.{0,1,2}.2 class logits, found as the Convs whose output feeds
    a Reshape), so that class scores spread over (0, 1) and the DFL softmax is
    not uniform;
  * Conv bias: N(0, BIAS_STD^2), BIAS_STD = 0.1.
  Why not smaller: with std = 0.5 * Kaiming the activations shrink to ~1% after a
  few layers and all 80 class scores end up in 0.494..0.510 (a near-constant,
  uninformative output). Why not larger: with GAIN >= 1.1 some seeds blow up
  (activations ~1e2..1e5, scores saturate at exactly 0/1).
Everything else is kept exactly as exported: the DFL projection conv weight
(model.22.dfl.conv.weight = arange(16) as [1,16,1,1]), all Constant nodes
(shape plumbing, Resize scales, the 0.5 anchor offsets; the strides 8/16/32 are
ConstantOfShape values) and the Ultralytics metadata_props. Anchors and strides
are not initializers: the dynamic export computes them in the graph.

Determinism: the output bytes depend only on the structure file, SEED and the
rules above (numpy's PCG64 + standard_normal stream, protobuf serialisation).
Generated with numpy==2.4.6, onnx==1.22.0, Python 3.11.7; the same bytes came
out with protobuf 4.25.9 and 7.36.2, and with numpy 1.26.4 + onnx 1.16.2.
scripts/fetch_models.sh installs numpy==2.4.6 onnx==1.22.0 when either is missing.
On a sha256 mismatch the script exits 1 and leaves no output file
(--allow-mismatch keeps it, e.g. to investigate a different numpy/onnx).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRUCTURE = "Models/yolov8n_random.structure.onnx"
OUTPUT = "Models/cache/yolov8n_random.onnx"
STRUCTURE_SHA256 = "53e028d7e83f9806756d4ee46bd9fa51bb8288c8ba2bd7904f44e4a0b66ec42a"
OUTPUT_SHA256 = "7f674813e7041002e06e429520782a6b3d6842c2f1f4cf4fb2277c3cb9515ce5"
SEED = 0
GAIN = 1.0
HEAD_GAIN = 8.0
BIAS_STD = 0.1
STRIP_MARK = "vigil:random-init"


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def materialize(structure: onnx.ModelProto) -> tuple[onnx.ModelProto, dict]:
    graph = structure.graph
    consumers: dict[str, list[str]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node.op_type)
    conv_role: dict[str, tuple[str, bool]] = {}  # initializer -> ("weight"|"bias", is head output conv)
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        head = "Reshape" in consumers.get(node.output[0], [])
        for k, name in enumerate(node.input[1:3], start=1):
            conv_role[name] = ("weight" if k == 1 else "bias", head)

    rng = np.random.default_rng(SEED)
    stats = dict(random=0, random_params=0, head=0, kept=0)
    for i, t in enumerate(graph.initializer):
        if t.doc_string != STRIP_MARK:
            stats["kept"] += 1
            continue
        if t.data_type != onnx.TensorProto.FLOAT or t.name not in conv_role:
            raise SystemExit(f"{t.name}: stripped initializer that is not a float Conv weight/bias")
        role, head = conv_role[t.name]
        dims = [int(d) for d in t.dims]
        if role == "weight":
            if len(dims) != 4:
                raise SystemExit(f"{t.name}: Conv weight with dims {dims}")
            fan_in = dims[1] * dims[2] * dims[3]
            std = GAIN * np.sqrt(2.0 / fan_in) * (HEAD_GAIN if head else 1.0)
        else:
            std = BIAS_STD
        values = (rng.standard_normal(dims) * std).astype("<f4")
        graph.initializer[i].CopyFrom(numpy_helper.from_array(values, t.name))
        stats["random"] += 1
        stats["random_params"] += values.size
        stats["head"] += int(head)
    return structure, stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="rebuild even if the output already has the pinned sha256")
    ap.add_argument("--allow-mismatch", action="store_true", help="keep the output even if its sha256 differs")
    args = ap.parse_args()

    src = os.path.join(REPO, STRUCTURE)
    dst = os.path.join(REPO, OUTPUT)
    if not args.force and os.path.isfile(dst) and sha256_of(dst) == OUTPUT_SHA256:
        print(f"ok  {OUTPUT} (already materialized) sha256 {OUTPUT_SHA256}")
        return 0

    got = sha256_of(src)
    if got != STRUCTURE_SHA256:
        raise SystemExit(f"{STRUCTURE}: sha256 {got} != pinned {STRUCTURE_SHA256}")
    model, stats = materialize(onnx.load(src))

    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    digest = sha256_of(tmp)
    print(f"{OUTPUT}: {stats['random']} initializers ({stats['random_params']:,} values, "
          f"{stats['head']} of them head-output convs) filled from default_rng({SEED}), "
          f"{stats['kept']} kept as exported; {os.path.getsize(tmp):,} bytes")
    print(f"sha256 {digest}")
    if digest != OUTPUT_SHA256:
        msg = (f"sha256 mismatch: got {digest}, pinned {OUTPUT_SHA256} "
               f"(numpy {np.__version__}, onnx {onnx.__version__}; generated with numpy 2.4.6, onnx 1.22.0)")
        if not args.allow_mismatch:
            os.remove(tmp)
            print(msg, file=sys.stderr)
            return 1
        print("warning: " + msg, file=sys.stderr)
    os.replace(tmp, dst)
    print(f"ok  {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
