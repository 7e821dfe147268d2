#!/usr/bin/env python3
"""One-time export of a YOLOv8n-architecture ONNX graph, stripped to a small
*structure* file that is committed as Models/yolov8n_random.structure.onnx.

The weights are NOT from a model hub: the network is built from Ultralytics'
bundled yaml (`YOLO("yolov8n.yaml")`, random init, seeded) and every trainable
tensor's data is removed again before the file is written. The runnable model is
regenerated from the structure file by scripts/materialize_yolo.py (numpy +
onnx only, seeded random weights) into Models/cache/yolov8n_random.onnx.

Versions used to produce the committed structure file (Python 3.11.7, x86_64
Linux, all from PyPI, in a throw-away virtualenv -- torch from PyPI pulls ~4 GB
of CUDA wheels; the export itself runs on the CPU):

    ultralytics==8.4.190  torch==2.15.0 (+cu132 wheel)  torchvision==0.29.2
    onnx==1.22.0  onnxruntime==1.32.0  numpy==2.4.6

    python3 -m venv /tmp/yolo-venv
    /tmp/yolo-venv/bin/pip install ultralytics==8.4.190 torch==2.15.0 \
        onnx==1.22.0 onnxruntime==1.32.0 numpy==2.4.6
    /tmp/yolo-venv/bin/python scripts/export_yolo.py

What Ultralytics does here (ultralytics 8.4.190, Exporter.export_onnx):
  * model.fuse(): Conv+BatchNorm folded into Conv weight+bias (72 layers,
    3,151,904 parameters); SiLU stays SiLU and is traced as Sigmoid + Mul;
  * torch.onnx.export(..., dynamo=False) -- the TorchScript-based exporter --
    with opset_version=17, input_names=["images"], output_names=["output0"],
    dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"},
                  "output0": {0: "batch", 2: "anchors"}},
    traced at imgsz 640 (1x3x640x640); torch's default do_constant_folding=True;
  * dynamic=True makes the Detect head rebuild anchors/strides in the graph on
    every run (make_anchors -> Shape/Gather/Range/Expand/ConstantOfShape/...),
    instead of baking them in as constants;
  * simplify=False here, so onnxslim is NOT run (Ultralytics' own default is
    simplify=True; see the note printed at the end / Models/README.md);
  * Ultralytics writes metadata_props (author, date, version, stride, task,
    names, imgsz, args, ...) into the file; they are kept as exported.

Network access: YOLO_OFFLINE=1 is set (no online checks); building from the yaml
and exporting to ONNX with simplify=False needs no download (onnx is already
installed, so check_requirements installs nothing). YOLO_CONFIG_DIR points at a
temporary directory so no settings file is written to the home directory.

Why the BatchNorm statistics are randomised before export: with Ultralytics'
fresh init every BN is the identity (weight 1, bias 0, mean 0, var 1), so many
fused Conv biases come out as identical all-zero tensors. torch.onnx's
exporter de-duplicates identical initializers and inserts 53 `Identity` nodes
that alias one bias to many Convs -- something an export of a trained model
never contains. Perturbing BN weight/bias/running stats (seeded) makes every
tensor distinct, so the graph has the structure of a real trained export. The
values themselves are discarded anyway.

Stripping: every FLOAT initializer that is the weight (input 1) or bias
(input 2) of a Conv is replaced by a TensorProto with the same name, data_type
and dims but no data, and doc_string "vigil:random-init". Every other
initializer and every Constant node is kept byte for byte. The one Conv weight
that is semantically fixed -- the DFL projection `model.22.dfl.conv.weight`,
arange(16) reshaped to [1,16,1,1] (requires_grad=False in Ultralytics) -- is
kept verbatim too; it is detected by its value, not only its name.

Re-running this script reproduces the committed structure file byte for byte
except Ultralytics' `date` metadata entry (checked once), so the sha256 pinned
in scripts/materialize_yolo.py (STRUCTURE_SHA256) and OUTPUT_SHA256 must be
updated after a re-export.

For comparison (not committed): the same export with Ultralytics' default
simplify=True (onnxslim 0.1.98) has 321 nodes instead of 454 -- no Constant
nodes (folded into initializers), Shape 10, Gather 9, Concat 32, Reshape 17,
Unsqueeze 13, Cast 6, Add 14, Mul 61, Div 1 -- and declares output0 as
[batch, 84, anchors]; the unsimplified graph declares dim 1 symbolically
("Concatoutput0_dim_1"), its value is 84 at run time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRUCTURE = os.path.join(REPO, "Models", "yolov8n_random.structure.onnx")
SEED = 0
STRIP_MARK = "vigil:random-init"


def main() -> int:
    work = tempfile.mkdtemp(prefix="yolo_export_")
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_CONFIG_DIR"] = os.path.join(work, "cfg")
    import numpy as np
    import onnx
    import torch
    from onnx import numpy_helper

    import ultralytics
    from ultralytics import YOLO

    torch.manual_seed(SEED)
    model = YOLO("yolov8n.yaml")  # bundled yaml, scale 'n', random init, no download
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for mod in model.model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(n, generator=g))
                mod.bias.copy_(0.1 * torch.randn(n, generator=g))
                mod.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(n, generator=g))
            elif isinstance(mod, torch.nn.Conv2d) and mod.bias is not None and mod.weight.requires_grad:
                mod.bias.add_(0.1 * torch.randn(mod.bias.shape, generator=g))

    cwd = os.getcwd()
    os.chdir(work)  # the yaml-built model exports into the working directory
    try:
        exported = model.export(format="onnx", opset=17, dynamic=True, simplify=False,
                                imgsz=640, batch=1, device="cpu", nms=False)
    finally:
        os.chdir(cwd)
    exported = os.path.join(work, exported) if not os.path.isabs(exported) else exported

    m = onnx.load(exported)
    graph = m.graph
    consumers: dict[str, list[tuple[str, int]]] = {}
    for node in graph.node:
        for k, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node.op_type, k))

    dfl = np.arange(16, dtype=np.float32).reshape(1, 16, 1, 1)
    stripped, kept = [], []
    new_inits = []
    for t in graph.initializer:
        uses = consumers.get(t.name, [])
        is_conv_param = t.data_type == onnx.TensorProto.FLOAT and uses and all(
            op == "Conv" and k in (1, 2) for op, k in uses)
        arr = numpy_helper.to_array(t)
        is_dfl = arr.shape == dfl.shape and np.array_equal(arr, dfl)
        if is_conv_param and not is_dfl:
            s = onnx.TensorProto(name=t.name, data_type=t.data_type, dims=list(t.dims), doc_string=STRIP_MARK)
            new_inits.append(s)
            stripped.append(t.name)
        else:
            new_inits.append(t)
            kept.append((t.name, arr.dtype, arr.shape))
    del graph.initializer[:]
    graph.initializer.extend(new_inits)

    ops = Counter(n.op_type for n in graph.node)
    if ops.get("Identity"):
        raise SystemExit(f"unexpected Identity nodes ({ops['Identity']}): initializer de-duplication?")
    if "model.22.dfl.conv.weight" not in [k[0] for k in kept]:
        raise SystemExit("DFL conv weight was not kept")

    os.makedirs(os.path.dirname(STRUCTURE), exist_ok=True)
    onnx.save(m, STRUCTURE)
    digest = hashlib.sha256(open(STRUCTURE, "rb").read()).hexdigest()

    print(f"ultralytics {ultralytics.__version__}, torch {torch.__version__}, onnx {onnx.__version__}")
    print(f"export: {exported} ({os.path.getsize(exported)} bytes), "
          f"ir_version {m.ir_version}, opset {[(o.domain or 'ai.onnx', o.version) for o in m.opset_import]}")
    print(f"structure: {os.path.relpath(STRUCTURE, REPO)} ({os.path.getsize(STRUCTURE)} bytes) sha256 {digest}")
    print(f"initializers: {len(stripped)} stripped (Conv weights/biases), {len(kept)} kept:")
    for name, dt, shape in kept:
        print(f"    kept {name} {dt} {list(shape)}")
    print(f"nodes {len(graph.node)}: {dict(sorted(ops.items()))}")
    print("note: Ultralytics' default is simplify=True (onnxslim); this export used simplify=False.")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
