#!/usr/bin/env python3
"""Reference fixture for the YOLOv8n-architecture random-weight ONNX model.

    python3 scripts/materialize_yolo.py        # or: bash scripts/fetch_models.sh
    python3 scripts/make_yolo_reference.py

Writes Tests/VigilEngineTests/Fixtures/yolov8n_random/{input.npy,
output_output0.npy, manifest.json} with the same manifest keys as
scripts/make_references.py (whose helpers it reuses), plus `dynamic_input_dims`,
`letterbox`, `output_layout` and `other_shapes_checked`; the op histogram is
`ops.op_counts`.

Model: Models/cache/yolov8n_random.onnx, regenerated from the committed
Models/yolov8n_random.structure.onnx by scripts/materialize_yolo.py (sha256
pinned there); exported by scripts/export_yolo.py (Ultralytics 8.4.190, opset
17, dynamic=True, simplify=False).

Preprocessing = Ultralytics' predict path (LetterBox(auto=False, center=True,
scaleup=True, padding_value=114), BGR->RGB, /255, HWC->CHW), applied to a real
frame of Samples/carphone.mp4 (176x144) decoded by ffmpeg as in
make_references.py:
  1. r = min(H/144, W/176); new_unpad = (round(176 r), round(144 r));
     dw, dh = (W - new_w)/2, (H - new_h)/2; top = round(dh - 0.1),
     bottom = round(dh + 0.1), left = round(dw - 0.1), right = round(dw + 0.1)
     (Python round, i.e. half to even -- exactly Ultralytics' arithmetic);
  2. resize to new_unpad with make_references.resize_bilinear (half-pixel
     bilinear, the cv2.INTER_LINEAR formula) and round to uint8 (cv2.resize on
     uint8 returns uint8; cv2's fixed-point arithmetic can differ by 1 LSB);
  3. pad with 114 on all three channels; RGB order; float32 x/255; NCHW.
Input size 96x128 (HxW): the smallest stride-32 multiples that keep the frame's
aspect ratio sensibly; larger sizes would push the fixture over its 300 KB budget
(1x3x160x192 float32 alone is 368,640 bytes).

Runtime: onnxruntime CPUExecutionProvider, default SessionOptions; cross-checked
(informative, stored in the manifest) against a session with all graph
optimizations disabled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_references as mr  # noqa: E402  (helpers: decode, resize, sha, op listing)
import materialize_yolo as mz  # noqa: E402  (pinned paths and sha256)

SHORT = "yolov8n_random"
FRAME = 0
SIZE = (96, 128)  # (H, W), multiples of 32
PAD_VALUE = 114
STRIDES = (8, 16, 32)
OTHER_SHAPES = [(1, 3, 160, 192), (2, 3, 64, 96)]  # dynamic-dims smoke test, shapes only


def letterbox(frame: np.ndarray, new_shape: tuple[int, int]) -> tuple[np.ndarray, dict]:
    """Ultralytics LetterBox(auto=False, center=True, scaleup=True) on an HWC uint8 image."""
    h0, w0 = frame.shape[:2]
    r = min(new_shape[0] / h0, new_shape[1] / w0)
    new_w, new_h = max(round(w0 * r), 1), max(round(h0 * r), 1)
    dw, dh = (new_shape[1] - new_w) / 2, (new_shape[0] - new_h) / 2
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    img = frame
    if (new_h, new_w) != (h0, w0):
        img = np.clip(np.rint(mr.resize_bilinear(frame, new_h, new_w)), 0, 255).astype(np.uint8)
    out = np.full((new_h + top + bottom, new_w + left + right, 3), PAD_VALUE, np.uint8)
    out[top:top + new_h, left:left + new_w] = img
    assert out.shape[:2] == tuple(new_shape), out.shape
    info = dict(ratio=r, resized_wh=[new_w, new_h], pad_top=top, pad_bottom=bottom,
                pad_left=left, pad_right=right, pad_value=PAD_VALUE)
    return out, info


def main() -> int:
    import onnx
    import onnxruntime as ort

    os.chdir(mr.REPO)
    path = os.path.join(mr.REPO, mz.OUTPUT)
    if not os.path.isfile(path):
        raise SystemExit(f"{mz.OUTPUT} missing: run python3 scripts/materialize_yolo.py")
    digest = mr.sha256_of(path)
    if digest != mz.OUTPUT_SHA256:
        raise SystemExit(f"{mz.OUTPUT}: sha256 {digest} != pinned {mz.OUTPUT_SHA256}")

    frames = mr.decode_frames()
    ffmpeg_version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split(" Copyright")[0]
    img, lb = letterbox(frames[FRAME], SIZE)
    x = np.ascontiguousarray((img.astype(np.float32) / np.float32(255.0)).transpose(2, 0, 1)[None])

    input_name, outs, runtime, _ = mr.run_onnx(path, x)
    ops = mr.onnx_ops(path)

    # Informative cross-check: ORT with graph optimizations off (no fusions).
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    plain = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    cross = {}
    for (name, ref), other in zip(outs, plain.run([n for n, _ in outs], {input_name: x})):
        cross[name] = float(np.max(np.abs(other - ref)) / max(float(np.max(np.abs(ref))), 1e-30))

    model = onnx.load(path, load_external_data=False)
    gin = model.graph.input[0]
    dyn = {f"dim{i}": (d.dim_param or d.dim_value) for i, d in enumerate(gin.type.tensor_type.shape.dim)}
    gout = model.graph.output[0]
    out_dims = [(d.dim_param or d.dim_value) for d in gout.type.tensor_type.shape.dim]

    other = []
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for shape in OTHER_SHAPES:
        y = sess.run(None, {input_name: np.full(shape, 0.5, np.float32)})[0]
        anchors = sum((shape[2] // s) * (shape[3] // s) for s in STRIDES)
        assert list(y.shape) == [shape[0], 84, anchors], (shape, y.shape)
        assert np.isfinite(y).all()
        other.append(dict(input_shape=list(shape), input_value=0.5, output_shape=list(y.shape)))

    out_dir = os.path.join(mr.FIXTURES, SHORT)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    np.save(os.path.join(out_dir, "input.npy"), x)
    outputs = []
    for name, y in outs:
        y = np.ascontiguousarray(y.astype(np.float32))
        fname = f"output_{mr.sanitise(name)}.npy"
        np.save(os.path.join(out_dir, fname), y)
        outputs.append(dict(name=name, file=fname, shape=list(y.shape), max_abs=float(np.max(np.abs(y))),
                            max_abs_rows_0_3_boxes=float(np.max(np.abs(y[:, :4]))),
                            max_abs_rows_4_83_scores=float(np.max(np.abs(y[:, 4:]))),
                            min_rows_4_83_scores=float(np.min(y[:, 4:]))))
    h, w = SIZE
    manifest = dict(
        model=SHORT,
        model_file=mz.OUTPUT,
        model_sha256=digest,
        model_source=(f"{mz.STRUCTURE} (sha256 {mz.STRUCTURE_SHA256}, exported by scripts/export_yolo.py "
                      f"with ultralytics==8.4.190 from YOLO('yolov8n.yaml'), opset 17, dynamic=True, "
                      f"simplify=False) + scripts/materialize_yolo.py (numpy default_rng({mz.SEED}) "
                      f"random Conv weights/biases; not trained weights)"),
        format="onnx",
        layout="NCHW",
        input=dict(name=input_name, file="input.npy", shape=list(x.shape), dtype="float32"),
        outputs=outputs,
        preprocessing=dict(
            video=mr.VIDEO,
            frame_index=FRAME,
            caption_overlay=None,
            decode=f"{ffmpeg_version}: ffmpeg -v error -i {mr.VIDEO} -f rawvideo -pix_fmt rgb24 -",
            resize=(f"Ultralytics letterbox {mr.VIDEO_W}x{mr.VIDEO_H} -> {w}x{h}: numpy bilinear to "
                    f"{lb['resized_wh'][0]}x{lb['resized_wh'][1]} (half-pixel centres, edge clamp, no antialias; "
                    f"scripts/make_references.py:resize_bilinear), rounded to uint8, then padded with "
                    f"{PAD_VALUE} (top {lb['pad_top']}, bottom {lb['pad_bottom']}, left {lb['pad_left']}, "
                    f"right {lb['pad_right']}) (scripts/make_yolo_reference.py:letterbox)"),
            normalisation="RGB order; x/255 (range [0,1]); padding = 114/255",
        ),
        runtime=runtime,
        tolerance=dict(rule=mr.TOLERANCE_RULE, rel=mr.TOLERANCE_REL,
                       note="output0 mixes box coordinates (rows 0-3, pixels, up to several hundred) and "
                            "class scores (rows 4-83, in (0,1)); apply the rule to the two row ranges "
                            "separately or the scores are effectively unchecked"),
        ops=ops,
        xnnpack_vs_reference_kernels_rel_max_diff=None,
        ort_default_vs_no_graph_optimizations_rel_max_diff=cross,
        dynamic_input_dims=dyn,
        output_dims=out_dims,
        letterbox=lb,
        output_layout=("output0[b, 0:4, a] = box centre x, centre y, width, height in input pixels "
                       "(anchor points + DFL distances, times stride); output0[b, 4:84, a] = sigmoid class "
                       "scores (80 classes); anchors a ordered stride 8, 16, 32, row-major (y, x) per level; "
                       "anchors = sum over s in (8,16,32) of (H/s)*(W/s). No NMS in the graph."),
        other_shapes_checked=other,
        generated_by="scripts/make_yolo_reference.py",
    )
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
    print(f"{SHORT}: model {mz.OUTPUT} sha256 {digest[:12]}… in {input_name} {list(x.shape)} -> "
          + ", ".join(f"{o['name']} {o['shape']}" for o in outputs) + f"  [{size/1024:.0f} KiB, {size} bytes]")
    print(f"    letterbox: {lb}")
    print(f"    dynamic input dims: {dyn}; output dims {out_dims}")
    print(f"    ops: {ops['op_counts']} opset {ops['opset_import']}")
    print(f"    outputs: {[{k: v for k, v in o.items() if k.startswith(('max', 'min'))} for o in outputs]}")
    print(f"    ORT default vs no graph optimizations (rel max diff): {cross}")
    print(f"    other shapes: {other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
