#!/usr/bin/env python3
"""Generate reference fixtures for Vigil's CNN inference engine.

Run once from anywhere (paths are resolved from the repository root):

    python3 -m pip install -r scripts/requirements-reference.txt
    python3 scripts/make_references.py

For every reference model this script

  1. decodes real frames from Samples/carphone.mp4 (176x144 H.264, 120 frames)
     with the ffmpeg CLI: `ffmpeg -v error -i Samples/carphone.mp4 -f rawvideo
     -pix_fmt rgb24 -` (ffmpeg's default swscale YUV420P -> RGB24 conversion,
     no resizing by ffmpeg);
  2. resizes the chosen frame (0 or 60) to the model's input size with the
     numpy bilinear resize below (`resize_bilinear`: half-pixel centres, i.e.
     src = (dst + 0.5) * in/out - 0.5, clamped to [0, in-1], no antialiasing,
     aspect ratio NOT preserved -- a plain stretch; identical in spirit to
     cv2.INTER_LINEAR and TF's resize_bilinear(half_pixel_centers=True)),
     computed in float64 on the uint8 RGB values;
     For ppocr_det_v4 only, a black-on-white caption "VIGIL 2024" (built-in
     5x7 bitmap font, scale 2) is first burnt into the 176x144 frame (see
     `burn_caption`), because the clip contains no text;
  3. normalises (per model, see MODELS) and casts to float32;
  4. runs the reference runtime (onnxruntime CPUExecutionProvider with default
     session options for ONNX; ai_edge_litert.interpreter.Interpreter with its
     default op resolver -- which applies the XNNPACK delegate -- for TFLite);
  5. writes Tests/VigilEngineTests/Fixtures/<short-name>/input.npy,
     output_<sanitised output name>.npy (all float32) and manifest.json.

Models are read from Models/<file> or Models/cache/<file> when present there
(see scripts/fetch_models.sh) and from the installed PyPI packages otherwise;
either way the sha256 must match the one pinned below.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIDEO = "Samples/carphone.mp4"
VIDEO_W, VIDEO_H, VIDEO_FRAMES = 176, 144, 120
FIXTURES = "Tests/VigilEngineTests/Fixtures"
TOLERANCE_RULE = "max abs diff <= 1e-3 * max|ref|"
TOLERANCE_REL = 1e-3

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

# short name -> description. "models_path" is where the file lives in the repo
# (Models/ = shipped, Models/cache/ = fetched at setup by scripts/fetch_models.sh).
MODELS = [
    dict(
        short="ppocr_det_v4",
        kind="onnx",
        repo_path="Models/ppocr_det_v4.onnx",
        package="rapidocr-onnxruntime",
        module="rapidocr_onnxruntime",
        package_path="rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
        sha256="d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
        frame=0,
        size=(128, 160),  # (H, W); dynamic dims, multiples of 32
        norm="imagenet",
        # carphone.mp4 has no text: on the bare frame the detector's output is
        # exactly 0.0 everywhere (useless as a reference), so a caption is
        # burnt into the real frame first (see burn_caption).
        caption="VIGIL 2024",
    ),
    dict(
        short="face_detection_short_range",
        kind="tflite",
        repo_path="Models/face_detection_short_range.tflite",
        package="mediapipe",
        module="mediapipe",
        package_path="mediapipe/modules/face_detection/face_detection_short_range.tflite",
        sha256="bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        frame=0,
        size=(128, 128),
        norm="minus1_1",
    ),
    dict(
        short="face_detection_full_range_sparse",
        kind="tflite",
        repo_path="Models/cache/face_detection_full_range_sparse.tflite",
        package="mediapipe",
        module="mediapipe",
        package_path="mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
        sha256="2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        frame=60,
        size=(192, 192),
        norm="minus1_1",
    ),
    dict(
        short="selfie_segmentation",
        kind="tflite",
        repo_path="Models/selfie_segmentation.tflite",
        package="mediapipe",
        module="mediapipe",
        package_path="mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        frame=0,
        size=(256, 256),
        norm="zero_1",
    ),
    dict(
        short="pose_detection",
        kind="tflite",
        repo_path="Models/cache/pose_detection.tflite",
        package="mediapipe",
        module="mediapipe",
        package_path="mediapipe/modules/pose_detection/pose_detection.tflite",
        sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        frame=60,
        size=(224, 224),
        norm="minus1_1",
    ),
    dict(
        short="palm_detection_lite",
        kind="tflite",
        repo_path="Models/cache/palm_detection_lite.tflite",
        package="mediapipe",
        module="mediapipe",
        package_path="mediapipe/modules/palm_detection/palm_detection_lite.tflite",
        sha256="e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18",
        frame=60,
        size=(192, 192),
        norm="minus1_1",
    ),
]

NORM_DOC = {
    "imagenet": "RGB order; (x/255 - mean)/std, mean [0.485,0.456,0.406], std [0.229,0.224,0.225]",
    "minus1_1": "RGB order; x/127.5 - 1 (range [-1,1])",
    "zero_1": "RGB order; x/255 (range [0,1])",
}


# ----------------------------------------------------------------------------- utils


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sanitise(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")


def package_root(module: str) -> str:
    """site-packages directory holding `module` (without importing it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"package for module {module!r} is not installed")
    return os.path.dirname(os.path.dirname(spec.origin))


def locate_model(m: dict) -> tuple[str, str]:
    """Returns (absolute path, how it was found)."""
    base = os.path.basename(m["repo_path"])
    for rel in (m["repo_path"], f"Models/{base}", f"Models/cache/{base}"):
        p = os.path.join(REPO, rel)
        if os.path.isfile(p):
            return p, rel
    p = os.path.join(package_root(m["module"]), m["package_path"])
    if not os.path.isfile(p):
        raise SystemExit(f"model {m['short']}: not in Models/ and not at {p}")
    return p, f"site-packages/{m['package_path']}"


def decode_frames() -> np.ndarray:
    cmd = ["ffmpeg", "-v", "error", "-i", os.path.join(REPO, VIDEO),
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    frame_bytes = VIDEO_W * VIDEO_H * 3
    if len(raw) != frame_bytes * VIDEO_FRAMES:
        raise SystemExit(f"expected {VIDEO_FRAMES} frames of {VIDEO_W}x{VIDEO_H}, got {len(raw)} bytes")
    return np.frombuffer(raw, np.uint8).reshape(VIDEO_FRAMES, VIDEO_H, VIDEO_W, 3)


def resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """HWC uint8 -> HWC float64; bilinear, half-pixel centres, edge clamp, no antialias."""
    in_h, in_w = img.shape[:2]
    src = img.astype(np.float64)

    def coords(n_out: int, n_in: int):
        s = (np.arange(n_out, dtype=np.float64) + 0.5) * (n_in / n_out) - 0.5
        s = np.clip(s, 0.0, n_in - 1)
        i0 = np.floor(s).astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, s - i0

    y0, y1, wy = coords(out_h, in_h)
    x0, x1, wx = coords(out_w, in_w)
    wx = wx[None, :, None]
    top = src[y0][:, x0] * (1 - wx) + src[y0][:, x1] * wx
    bot = src[y1][:, x0] * (1 - wx) + src[y1][:, x1] * wx
    wy = wy[:, None, None]
    return top * (1 - wy) + bot * wy


# 5x7 bitmap glyphs ('1' = ink), enough for the caption; no font files needed.
FONT_5X7 = {
    "V": ["10001", "10001", "10001", "10001", "10001", "01010", "00100"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "G": ["01110", "10001", "10000", "10111", "10001", "10001", "01110"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    " ": ["00000"] * 7,
}
CAPTION_SCALE = 2


def burn_caption(frame: np.ndarray, text: str, scale: int = CAPTION_SCALE) -> tuple[np.ndarray, dict]:
    """Black text on a white box, centred horizontally, 6 px above the bottom edge."""
    cols = []
    for ch in text:
        cols.append(np.array([[c == "1" for c in row] for row in FONT_5X7[ch]]))
        cols.append(np.zeros((7, 1), bool))  # 1-column letter spacing
    mask = np.kron(np.concatenate(cols, 1), np.ones((scale, scale), bool))
    h, w = mask.shape
    fh, fw = frame.shape[:2]
    y0, x0 = fh - h - 6, (fw - w) // 2
    out = frame.copy()
    out[y0 - 3:y0 + h + 3, x0 - 3:x0 + w + 3] = 255
    out[y0:y0 + h, x0:x0 + w][mask] = 0
    info = dict(text=text, font="built-in 5x7 bitmap, 1 px spacing", scale=scale,
                box_xywh=[x0 - 3, y0 - 3, w + 6, h + 6], text_xywh=[x0, y0, w, h],
                colours="text (0,0,0) on box (255,255,255), applied before resizing")
    return out, info


def normalise(x: np.ndarray, norm: str) -> np.ndarray:
    if norm == "imagenet":
        return (x / 255.0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    if norm == "minus1_1":
        return x / 127.5 - 1.0
    if norm == "zero_1":
        return x / 255.0
    raise ValueError(norm)


def version_of(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


# ----------------------------------------------------------------------------- op listings


def tflite_ops(path: str) -> dict:
    """Op codes used by a .tflite file, read from the flatbuffer (not the
    delegated graph), plus the tensor types/sparsity that matter to an engine."""
    from ai_edge_litert import schema_py_generated as S

    with open(path, "rb") as f:
        buf = f.read()
    model = S.ModelT.InitFromObj(S.Model.GetRootAsModel(buf, 0))
    builtin_names = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
    type_names = {v: k for k, v in vars(S.TensorType).items() if not k.startswith("_")}

    def opname(oc) -> str:
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        if code == S.BuiltinOperator.CUSTOM:
            return "CUSTOM:" + (oc.customCode.decode() if isinstance(oc.customCode, bytes) else str(oc.customCode))
        return builtin_names.get(code, str(code))

    counts: Counter = Counter()
    tensor_types: Counter = Counter()
    sparse = 0
    for sg in model.subgraphs:
        for op in sg.operators:
            counts[opname(model.operatorCodes[op.opcodeIndex])] += 1
        for t in sg.tensors:
            tensor_types[type_names.get(t.type, str(t.type))] += 1
            if t.sparsity is not None:
                sparse += 1
    return dict(
        op_counts=dict(sorted(counts.items())),
        tensor_types=dict(sorted(tensor_types.items())),
        sparse_tensors=sparse,
        subgraphs=len(model.subgraphs),
        schema_version=model.version,
    )


def onnx_ops(path: str) -> dict:
    import onnx

    model = onnx.load(path)
    counts = Counter(n.op_type for n in model.graph.node)
    return dict(
        op_counts=dict(sorted(counts.items())),
        opset_import={(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        ir_version=model.ir_version,
    )


# ----------------------------------------------------------------------------- runners


def run_onnx(path: str, x: np.ndarray):
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()
    assert len(inp) == 1, inp
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {inp[0].name: x})
    runtime = dict(name="onnxruntime", version=ort.__version__,
                   config="CPUExecutionProvider, default SessionOptions")
    return inp[0].name, list(zip(names, outs)), runtime, None


def make_tflite_interpreter(path: str, **kw):
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_path=path, **kw), ("ai-edge-litert", version_of("ai-edge-litert"))
    except ImportError:  # fall back to TensorFlow's bundled TFLite
        import tensorflow as tf

        return tf.lite.Interpreter(model_path=path, **kw), ("tensorflow", tf.__version__)


def run_tflite(path: str, x: np.ndarray):
    it, (rt_name, rt_version) = make_tflite_interpreter(path)
    it.allocate_tensors()
    ins = it.get_input_details()
    assert len(ins) == 1, ins
    d = ins[0]
    if list(d["shape"]) != list(x.shape) or d["dtype"] != np.float32:
        raise SystemExit(f"{path}: input is {d['shape']} {d['dtype']}, prepared {x.shape} float32")
    it.set_tensor(d["index"], x)
    it.invoke()
    outs = [(o["name"], np.array(it.get_tensor(o["index"]))) for o in it.get_output_details()]
    runtime = dict(name=rt_name, version=rt_version,
                   config="Interpreter default op resolver (XNNPACK delegate applied)")

    # Cross-check against the reference (non-XNNPACK) kernels where possible;
    # informative only, printed and stored in the manifest.
    cross = None
    try:
        from ai_edge_litert.interpreter import OpResolverType

        it2, _ = make_tflite_interpreter(
            path, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        it2.allocate_tensors()
        it2.set_tensor(it2.get_input_details()[0]["index"], x)
        it2.invoke()
        cross = {}
        for (name, ref), o in zip(outs, it2.get_output_details()):
            other = it2.get_tensor(o["index"])
            cross[name] = float(np.max(np.abs(other - ref)) / max(float(np.max(np.abs(ref))), 1e-30))
    except Exception as e:  # e.g. custom ops only the XNNPACK delegate implements
        cross = f"not run: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return d["name"], outs, runtime, cross


# ----------------------------------------------------------------------------- main


def main() -> int:
    os.chdir(REPO)
    frames = decode_frames()
    ffmpeg_version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split(" Copyright")[0]
    total = 0
    for m in MODELS:
        path, found = locate_model(m)
        digest = sha256_of(path)
        if digest != m["sha256"]:
            raise SystemExit(f"{m['short']}: sha256 {digest} != pinned {m['sha256']} ({path})")
        h, w = m["size"]
        frame = frames[m["frame"]]
        caption = None
        if m.get("caption"):
            frame, caption = burn_caption(frame, m["caption"])
        img = resize_bilinear(frame, h, w)
        x = normalise(img, m["norm"]).astype(np.float32)
        if m["kind"] == "onnx":
            x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])  # NCHW
            layout = "NCHW"
            input_name, outs, runtime, cross = run_onnx(path, x)
            ops = onnx_ops(path)
        else:
            x = np.ascontiguousarray(x[None])  # NHWC
            layout = "NHWC"
            input_name, outs, runtime, cross = run_tflite(path, x)
            ops = tflite_ops(path)

        out_dir = os.path.join(FIXTURES, m["short"])
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        np.save(os.path.join(out_dir, "input.npy"), x)
        outputs = []
        for name, y in outs:
            y = np.ascontiguousarray(y.astype(np.float32))
            fname = f"output_{sanitise(name)}.npy"
            np.save(os.path.join(out_dir, fname), y)
            outputs.append(dict(name=name, file=fname, shape=list(y.shape),
                                max_abs=float(np.max(np.abs(y)))))
        manifest = dict(
            model=m["short"],
            model_file=m["repo_path"],
            model_sha256=digest,
            model_source=f"{m['package']}=={version_of(m['package'])}:{m['package_path']}",
            format=m["kind"],
            layout=layout,
            input=dict(name=input_name, file="input.npy", shape=list(x.shape), dtype="float32"),
            outputs=outputs,
            preprocessing=dict(
                video=VIDEO,
                frame_index=m["frame"],
                caption_overlay=caption,
                decode=f"{ffmpeg_version}: ffmpeg -v error -i {VIDEO} -f rawvideo -pix_fmt rgb24 -",
                resize=f"numpy bilinear {VIDEO_W}x{VIDEO_H} -> {w}x{h}, half-pixel centres, "
                       "edge clamp, no antialias, aspect not preserved (scripts/make_references.py:resize_bilinear)",
                normalisation=NORM_DOC[m["norm"]],
            ),
            runtime=runtime,
            tolerance=dict(rule=TOLERANCE_RULE, rel=TOLERANCE_REL),
            ops=ops,
            xnnpack_vs_reference_kernels_rel_max_diff=cross,
            generated_by="scripts/make_references.py",
        )
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir))
        total += size
        print(f"{m['short']}: model {found} sha256 {digest[:12]}… in {input_name} {list(x.shape)} "
              f"-> " + ", ".join(f"{o['name']} {o['shape']}" for o in outputs) + f"  [{size/1024:.0f} KiB]")
        if m["kind"] == "tflite":
            print(f"    ops: {ops['op_counts']}")
            print(f"    tensor types: {ops['tensor_types']}, sparse tensors: {ops['sparse_tensors']}")
            print(f"    XNNPACK vs reference kernels (rel max diff): {cross}")
        else:
            print(f"    ops: {ops['op_counts']} opset {ops['opset_import']}")
    print(f"total fixture size: {total/1024:.0f} KiB ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
