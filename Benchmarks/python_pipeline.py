#!/usr/bin/env python3
"""The Python peer of `vigil detect`: decode -> preprocess -> inference -> postprocess -> JSON Lines.

    python3 Benchmarks/python_pipeline.py VIDEO [--model face|text|PATH] [--threads N]
        [--output FILE] [--decoder av|cv2] [--threaded [--frame-parallel]] [--max-frames N]

Written independently of Vigil's Swift code, from the model's JSON sidecar (Models/*.json), as
an ordinary, reasonably efficient Python pipeline would be:

* decode: PyAV (`av`, FFmpeg's libavcodec, the default when installed) or OpenCV's
  `cv2.VideoCapture` (`--decoder cv2`). Decoder threads are left to the library (auto, one per
  core), as `vigil detect` leaves them to FFmpeg.
* preprocess: resize with the sidecar's mode (letterbox: largest aspect-preserving fit, centred,
  padded with `padding`; stretch: fill), bilinear; channel order; normalisation (`range` or
  `mean`/`std` on 0..255 values); NHWC or NCHW float32. With PyAV the YUV->RGB conversion and the
  resize are one swscale call (`VideoFrame.reformat`); with OpenCV the decoder returns BGR at full
  size and `cv2.resize` (INTER_LINEAR) shrinks it.
* inference: `.tflite` with ai_edge_litert's `Interpreter(num_threads=N)` (its XNNPACK delegate);
  `.onnx` with onnxruntime (intra-op threads N, inter-op 1, sequential).
* postprocess, numpy-vectorised:
  - head "blaze" (BlazeFace family): MediaPipe SSD anchors from the sidecar's "anchors" options,
    box decoding from its "blaze" options, clipped-logit sigmoid, score threshold, weighted NMS
    (score-weighted mean of each overlapping group), then the boxes mapped back to source pixels
    and clipped to the frame;
  - head "text_regions" (PP-OCR det / DBNet): binary map -> 8-connected components
    (cv2.connectedComponentsWithStats), mean probability per component, axis-aligned box grown by
    area * unclip_ratio / perimeter.
* sink: one JSON line per frame, like Vigil's: {"frame","pts","detections":[{"label","score",
  "box":[x1,y1,x2,y2]}],"latency_ms":{...}}, boxes in source pixels.

By default the stages run one after another on the main thread (the usual Python loop).
`--threaded` runs each stage on its own thread joined by queues of 2, as Vigil's pipeline does;
PyAV, OpenCV, the TFLite interpreter and onnxruntime release the GIL in their C++ parts.
`--threaded --frame-parallel` gives inference N threads, each with its own one-thread
interpreter (or session) working on its own frame, and writes the results back in frame order,
as `vigil detect --frame-parallel` does.

Prints a summary on stderr like Vigil's: "python: N frames of VIDEO with model 'M' in T s: F fps"
(T from the first frame requested to the last one written: steady state, after imports, model
load and allocation, which are reported separately as "setup"), then p50/p90/p99/max milliseconds
per stage.
"""
import argparse
import json
import math
import os
import queue
import sys
import threading
import time

T0 = time.perf_counter()

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGES = ("decode", "preprocess", "inference", "postprocess")


# ----------------------------------------------------------------------------- model sidecar

def load_sidecar(model, models_dir):
    """(sidecar dict, model path) for a short name ("face") or a model path with a .json beside it."""
    if os.sep in model or model.endswith((".onnx", ".tflite")):
        path = model
        with open(os.path.splitext(path)[0] + ".json") as f:
            return json.load(f), path
    for name in sorted(os.listdir(models_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(models_dir, name)) as f:
            meta = json.load(f)
        if model in (meta.get("short_name"), meta.get("name")):
            return meta, os.path.join(models_dir, meta["model_file"])
    sys.exit(f"python_pipeline: no sidecar in {models_dir} names model '{model}'")


def input_size(spec, src_w, src_h):
    """The network input (width, height): fixed, or for dynamic models the frame scaled down to
    max_side and each side rounded (half away from zero) to a multiple of size_multiple."""
    multiple = spec.get("size_multiple")
    if not multiple:
        return spec["width"], spec["height"]
    ratio = min(1.0, spec.get("max_side", max(src_w, src_h)) / max(src_w, src_h))
    side = lambda s: max(multiple, int(math.floor(s * ratio / multiple + 0.5)) * multiple)
    return side(src_w), side(src_h)


def normalisation(spec):
    """Per-channel (scale, offset) applied to 0..255 values, in the model's channel order."""
    n = spec["normalization"]
    if "range" in n:
        lo, hi = n["range"]
        return np.full(3, (hi - lo) / 255, np.float32), np.full(3, lo, np.float32)
    mean, std = np.asarray(n["mean"], np.float32), np.asarray(n["std"], np.float32)
    return 1 / (255 * std), -mean / std


# ----------------------------------------------------------------------------- decode

def frames_av(path, limit):
    """(index, pts seconds, av.VideoFrame) in presentation order."""
    import av
    container = av.open(path)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame + slice threads, libavcodec's own default
    try:
        for index, frame in enumerate(container.decode(stream)):
            if limit is not None and index >= limit:
                break
            yield index, float(frame.time if frame.time is not None else index / float(stream.average_rate)), frame
    finally:
        container.close()


def frames_cv2(path, limit):
    """(index, pts seconds, BGR ndarray) in presentation order."""
    import cv2
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        sys.exit(f"python_pipeline: cannot open {path}")
    index = 0
    try:
        while limit is None or index < limit:
            ok, image = capture.read()
            if not ok:
                break
            yield index, capture.get(cv2.CAP_PROP_POS_MSEC) / 1000, image
            index += 1
    finally:
        capture.release()


def video_size(path, decoder):
    if decoder == "av":
        import av
        with av.open(path) as c:
            s = c.streams.video[0]
            return s.codec_context.width, s.codec_context.height
    import cv2
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    return size


# ----------------------------------------------------------------------------- preprocess

class Preprocessor:
    """Frame -> float32 input tensor, plus the (scale_x, scale_y, offset_x, offset_y) that maps
    source pixels to input pixels: input = source * scale + offset."""

    def __init__(self, spec, src_w, src_h, decoder):
        self.decoder = decoder
        self.fresh_buffers = False
        if decoder == "av":
            from av.video.reformatter import VideoReformatter
            self.reformatter = VideoReformatter()
        else:
            import cv2
            self.cv2 = cv2
        self.width, self.height = input_size(spec, src_w, src_h)
        self.nchw = spec.get("layout", "NCHW").upper() == "NCHW"
        self.rgb = spec.get("channel_order", "RGB").upper() == "RGB"
        self.pixel_format = "rgb24" if self.rgb else "bgr24"
        self.scale, self.offset = normalisation(spec)
        if spec.get("resize", "stretch") == "letterbox":
            s = min(self.width / src_w, self.height / src_h)
            self.cw = min(self.width, max(1, int(math.floor(src_w * s + 0.5))))
            self.ch = min(self.height, max(1, int(math.floor(src_h * s + 0.5))))
            self.ox, self.oy = (self.width - self.cw) // 2, (self.height - self.ch) // 2
            pad = float(spec.get("padding", 0))
        else:
            self.cw, self.ch, self.ox, self.oy, pad = self.width, self.height, 0, 0, 0.0
        self.transform = (self.cw / src_w, self.ch / src_h, float(self.ox), float(self.oy))
        # The padding never changes, so it is written once; only the content window is rewritten.
        self.padded = np.empty((self.height, self.width, 3), np.float32)
        self.padded[:] = pad * self.scale + self.offset
        self.window = self.padded[self.oy:self.oy + self.ch, self.ox:self.ox + self.cw]

    def __call__(self, image):
        if self.decoder == "av":
            # One swscale pass: YUV -> packed RGB/BGR at the content size, bilinear; the
            # reformatter keeps its SwsContext from frame to frame.
            pixels = self.reformatter.reformat(image, width=self.cw, height=self.ch, format=self.pixel_format,
                                               interpolation="BILINEAR").to_ndarray()
        else:
            pixels = self.cv2.resize(image, (self.cw, self.ch), interpolation=self.cv2.INTER_LINEAR)  # BGR
            if self.rgb:
                pixels = pixels[..., ::-1]
        np.multiply(pixels, self.scale, out=self.window, casting="unsafe")
        self.window += self.offset
        if self.nchw:
            return np.ascontiguousarray(self.padded.transpose(2, 0, 1))[None]  # a new array
        # Sequentially the next stage is done with the buffer before it is rewritten; across
        # threads (--threaded) every frame needs its own.
        return (self.padded.copy() if self.fresh_buffers else self.padded)[None]


# ----------------------------------------------------------------------------- inference

class TFLiteRunner:
    def __init__(self, path, threads, output_names):
        from ai_edge_litert.interpreter import Interpreter
        self.interpreter = Interpreter(model_path=path, num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self.names = output_names or list(self.outputs)

    def __call__(self, tensor):
        self.interpreter.set_tensor(self.input_index, tensor)
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(self.outputs[name]) for name in self.names}


class ONNXRunner:
    def __init__(self, path, threads, _output_names):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.names = [o.name for o in self.session.get_outputs()]

    def __call__(self, tensor):
        return dict(zip(self.names, self.session.run(self.names, {self.input_name: tensor})))


# ----------------------------------------------------------------------------- postprocess

def ssd_anchors(o):
    """MediaPipe SsdAnchorsCalculator (non-multiscale): (N, 4) array of cx, cy, w, h in 0..1."""
    strides = o["strides"]
    layers = o["num_layers"]
    lo, hi = o["min_scale"], o["max_scale"]
    count = len(strides) or layers
    scale = lambda i: (lo + hi) / 2 if count == 1 else lo + (hi - lo) * i / (count - 1)
    ratios = o.get("aspect_ratios", [1.0])
    interpolated = o.get("interpolated_scale_aspect_ratio", 1.0)
    out = []
    layer = 0
    while layer < layers:
        shapes = []
        last = layer
        while True:  # consecutive layers of equal stride share one grid
            s = scale(last)
            if last == 0 and o.get("reduce_boxes_in_lowest_layer", False):
                shapes += [(0.1, 0.1), (s * math.sqrt(2), s / math.sqrt(2)), (s * math.sqrt(0.5), s / math.sqrt(0.5))]
            else:
                shapes += [(s * math.sqrt(r), s / math.sqrt(r)) for r in ratios]
                if interpolated > 0:
                    nxt = 1.0 if last == count - 1 else scale(last + 1)
                    mid = math.sqrt(s * nxt)
                    shapes.append((mid * math.sqrt(interpolated), mid / math.sqrt(interpolated)))
            last += 1
            if not (last < len(strides) and strides[last] == strides[layer]):
                break
        if "feature_map_widths" in o:
            mw, mh = o["feature_map_widths"][layer], o["feature_map_heights"][layer]
        else:
            mw = math.ceil(o["input_width"] / strides[layer])
            mh = math.ceil(o["input_height"] / strides[layer])
        cy, cx = np.meshgrid((np.arange(mh) + o.get("anchor_offset_y", 0.5)) / mh,
                             (np.arange(mw) + o.get("anchor_offset_x", 0.5)) / mw, indexing="ij")
        wh = np.ones((len(shapes), 2)) if o.get("fixed_anchor_size", False) else np.asarray(shapes)
        grid = np.empty((mh, mw, len(shapes), 4))
        grid[..., 0] = cx[..., None]
        grid[..., 1] = cy[..., None]
        grid[..., 2:] = wh
        out.append(grid.reshape(-1, 4))
        layer = last
    return np.concatenate(out).astype(np.float32)


def weighted_nms(boxes, scores, iou_threshold, max_detections):
    """MediaPipe's WEIGHTED suppression: the best remaining box takes every remaining box that
    overlaps it by more than iou_threshold, and leaves as the score-weighted mean of the group
    with the leader's score. Returns (boxes, scores, leader indices), best first."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    remaining = np.arange(len(scores))
    kept_boxes, kept_scores, kept_index = [], [], []
    while remaining.size and len(kept_scores) < max_detections:
        lead, rest = remaining[0], remaining[1:]
        w = np.minimum(boxes[rest, 2], boxes[lead, 2]) - np.maximum(boxes[rest, 0], boxes[lead, 0])
        h = np.minimum(boxes[rest, 3], boxes[lead, 3]) - np.maximum(boxes[rest, 1], boxes[lead, 1])
        inter = np.where((w > 0) & (h > 0), w * h, 0)
        union = areas[rest] + areas[lead] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        overlap = iou > iou_threshold
        group = np.concatenate(([lead], rest[overlap]))
        weights = scores[group]
        total = weights.sum()
        merged = (boxes[group] * weights[:, None]).sum(0) / total if total > 0 and np.isfinite(total) else boxes[lead]
        kept_boxes.append(merged)
        kept_scores.append(scores[lead])
        kept_index.append(order[lead])
        remaining = rest[~overlap]
    return np.asarray(kept_boxes, np.float32).reshape(-1, 4), np.asarray(kept_scores, np.float32), kept_index


def hard_nms(boxes, scores, iou_threshold, max_detections):
    order = np.argsort(-scores, kind="stable")
    keep = []
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    while order.size and len(keep) < max_detections:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.minimum(boxes[rest, 2], boxes[i, 2]) - np.maximum(boxes[rest, 0], boxes[i, 0])
        h = np.minimum(boxes[rest, 3], boxes[i, 3]) - np.maximum(boxes[rest, 1], boxes[i, 1])
        inter = np.where((w > 0) & (h > 0), w * h, 0)
        union = areas[rest] + areas[i] - inter
        order = rest[~(np.divide(inter, union, out=np.zeros_like(inter), where=union > 0) > iou_threshold)]
    return boxes[keep], scores[keep], keep


def to_source(boxes, transform, src_w, src_h):
    sx, sy, ox, oy = transform
    out = np.empty_like(boxes)
    out[:, 0::2] = np.clip((boxes[:, 0::2] - ox) / sx, 0, src_w)
    out[:, 1::2] = np.clip((boxes[:, 1::2] - oy) / sy, 0, src_h)
    return out


class BlazeHead:
    def __init__(self, meta, src_w, src_h, transform):
        self.o = meta["blaze"]
        if "box_from_keypoints" in self.o:
            sys.exit("python_pipeline: blaze box_from_keypoints (pose, palm) is not implemented here")
        self.anchors = ssd_anchors(meta["anchors"])
        if len(self.anchors) != self.o["num_boxes"]:
            sys.exit(f"python_pipeline: {len(self.anchors)} anchors, num_boxes is {self.o['num_boxes']}")
        self.labels = meta.get("labels", [])
        self.threshold = meta.get("score_threshold", 0.5)
        self.nms = meta["nms"]
        self.in_w, self.in_h = meta["input"]["width"], meta["input"]["height"]
        self.src_w, self.src_h, self.transform = src_w, src_h, transform
        self.output_names = [self.o["regressors_output"], self.o["scores_output"]]

    def __call__(self, outputs):
        o = self.o
        raw = outputs[o["regressors_output"]].reshape(o["num_boxes"], o["num_coords"])
        logits = outputs[o["scores_output"]].reshape(o["num_boxes"], -1)
        classes = logits.argmax(1)
        best = logits[np.arange(len(classes)), classes]
        if o.get("sigmoid_score", True):
            clip = o.get("score_clipping_threshold")
            if clip is not None:
                best = np.clip(best, -clip, clip)
            with np.errstate(over="ignore"):  # exp(100) overflows float32: the sigmoid is then 0
                best = 1 / (1 + np.exp(-best))
        picked = np.flatnonzero(best >= self.threshold)
        if picked.size == 0:
            return []
        scores, classes, a = best[picked], classes[picked], self.anchors[picked]
        b = raw[picked, o.get("box_coord_offset", 0):o.get("box_coord_offset", 0) + 4]
        if not o.get("reverse_output_order", True):
            b = b[:, [1, 0, 3, 2]]
        cx = b[:, 0] / o["x_scale"] * a[:, 2] + a[:, 0]
        cy = b[:, 1] / o["y_scale"] * a[:, 3] + a[:, 1]
        if o.get("apply_exponential_on_box_size", False):
            w, h = np.exp(b[:, 2] / o["w_scale"]) * a[:, 2], np.exp(b[:, 3] / o["h_scale"]) * a[:, 3]
        else:
            w, h = b[:, 2] / o["w_scale"] * a[:, 2], b[:, 3] / o["h_scale"] * a[:, 3]
        boxes = np.stack([(cx - w / 2) * self.in_w, (cy - h / 2) * self.in_h,
                          (cx + w / 2) * self.in_w, (cy + h / 2) * self.in_h], 1)
        valid = np.isfinite(boxes).all(1) & (w >= 0) & (h >= 0)
        boxes, scores, classes = boxes[valid], scores[valid], classes[valid]
        if self.nms.get("algorithm", "hard") == "weighted":
            boxes, scores, index = weighted_nms(boxes, scores, self.nms["iou_threshold"], self.nms.get("max_detections", 300))
        else:
            boxes, scores, index = hard_nms(boxes, scores, self.nms["iou_threshold"], self.nms.get("max_detections", 300))
        classes = classes[index]
        boxes = to_source(boxes, self.transform, self.src_w, self.src_h)
        keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])  # not wholly in the padding
        return [(self.labels[c] if c < len(self.labels) else f"class{c}", float(s), bx)
                for c, s, bx, k in zip(classes.tolist(), scores.tolist(), boxes.tolist(), keep.tolist()) if k]


class TextHead:
    def __init__(self, meta, src_w, src_h, transform):
        import cv2
        self.cv2 = cv2
        o = meta.get("text_regions", {})
        self.binary = o.get("binary_threshold", 0.3)
        self.unclip = o.get("unclip_ratio", 1.6)
        self.min_size = o.get("min_size", 3)
        self.max_candidates = o.get("max_candidates", 1000)
        self.box_threshold = meta.get("score_threshold", 0.5)
        self.label = (meta.get("labels") or ["text"])[0]
        self.src_w, self.src_h, self.transform = src_w, src_h, transform
        self.output_names = None

    def __call__(self, outputs):
        prob = next(iter(outputs.values()))
        prob = prob.reshape(prob.shape[-2], prob.shape[-1])
        h, w = prob.shape
        count, labels, stats, _ = self.cv2.connectedComponentsWithStats((prob > self.binary).astype(np.uint8), connectivity=8)
        count = min(count, self.max_candidates + 1)  # label 0 is the background
        sums = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=count)[1:count]
        x, y, bw, bh, area = (stats[1:count, i].astype(np.float64) for i in range(5))
        score = sums / area
        d = bw * bh * self.unclip / (2 * (bw + bh))
        boxes = np.stack([x - d, y - d, x + bw + d, y + bh + d], 1)
        keep = (np.minimum(bw, bh) >= self.min_size) & (score >= self.box_threshold) & \
               (np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= self.min_size + 2)
        boxes, score = boxes[keep], score[keep]
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
        order = np.argsort(-score, kind="stable")
        boxes = to_source(boxes[order], self.transform, self.src_w, self.src_h)
        return [(self.label, float(s), bx) for s, bx in zip(score[order].tolist(), boxes.tolist())]


HEADS = {"blaze": BlazeHead, "text_regions": TextHead}


# ----------------------------------------------------------------------------- sink

def json_line(index, pts, detections, latency):
    dets = ",".join('{"label":%s,"score":%s,"box":[%s]}' % (json.dumps(label), round(score, 4),
                                                                ",".join(str(round(v, 1)) for v in box))
                    for label, score, box in detections)
    lat = ",".join(f'"{k}":{round(v, 3)}' for k, v in latency.items())
    return f'{{"frame":{index},"pts":{round(pts, 6)},"detections":[{dets}],"latency_ms":{{{lat}}}}}\n'


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


# ----------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video")
    parser.add_argument("--model", default="face", help="short name from Models/*.json, or a model path with a sidecar")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="inference threads (as vigil --threads)")
    parser.add_argument("--output", help="JSON Lines here instead of standard output")
    parser.add_argument("--max-frames", type=int)
    parser.add_argument("--models-directory", default=os.path.join(ROOT, "Models"))
    parser.add_argument("--threaded", action="store_true", help="one thread per stage, queues of 2 (like Vigil)")
    parser.add_argument("--frame-parallel", action="store_true",
                        help="with --threaded: N inference threads with a one-thread model copy each, one frame each")
    try:
        import av  # noqa: F401
        default_decoder = "av"
    except ImportError:
        default_decoder = "cv2"
    parser.add_argument("--decoder", choices=["av", "cv2"], default=default_decoder,
                        help=f"PyAV or OpenCV (default here: {default_decoder})")
    args = parser.parse_args()

    meta, model_path = load_sidecar(args.model, args.models_directory)
    head_cls = HEADS.get(meta.get("head"))
    if head_cls is None:
        sys.exit(f"python_pipeline: head '{meta.get('head')}' is not implemented here")
    src_w, src_h = video_size(args.video, args.decoder)
    pre = Preprocessor(meta["input"], src_w, src_h, args.decoder)
    pre.fresh_buffers = args.threaded
    head = head_cls(meta, src_w, src_h, pre.transform)
    if args.frame_parallel and not args.threaded:
        sys.exit("python_pipeline: --frame-parallel needs --threaded")
    runner_class = TFLiteRunner if model_path.endswith(".tflite") else ONNXRunner
    runners = ([runner_class(model_path, 1, head.output_names) for _ in range(args.threads)] if args.frame_parallel
               else [runner_class(model_path, args.threads, head.output_names)])
    runner = runners[0]
    frames = (frames_av if args.decoder == "av" else frames_cv2)(args.video, args.max_frames)
    out = open(args.output, "w", buffering=1 << 16) if args.output else sys.stdout
    setup = time.perf_counter() - T0

    clock = time.perf_counter
    lat = {s: [] for s in STAGES}
    e2e = []

    def decode_next():
        t = clock()
        item = next(frames, None)
        return item, t, clock()

    def process(stage, fn, value):
        t = clock()
        result = fn(value)
        return result, clock() - t

    def write(index, pts, detections, start, spans):
        end = clock()
        latency = {s: v * 1000 for s, v in zip(STAGES, spans)}
        latency["end_to_end"] = (end - start) * 1000
        for s, v in zip(STAGES, spans):
            lat[s].append(v * 1000)
        e2e.append(latency["end_to_end"])
        out.write(json_line(index, pts, detections, latency))

    begin = clock()
    delivered = 0
    if not args.threaded:
        while True:
            item, t0, t1 = decode_next()
            if item is None:
                break
            index, pts, frame = item
            tensor, tp = process("preprocess", pre, frame)
            outputs, ti = process("inference", runner, tensor)
            detections, tq = process("postprocess", head, outputs)
            write(index, pts, detections, t0, (t1 - t0, tp, ti, tq))
            delivered += 1
    else:
        # decode -> preprocess -> inference -> postprocess, each on its own thread; the sink is this one.
        queues = [queue.Queue(maxsize=2) for _ in range(4)]
        DONE = object()
        errors = []

        def decoder_thread():
            try:
                while True:
                    item, t0, t1 = decode_next()
                    if item is None:
                        break
                    index, pts, frame = item
                    queues[0].put((index, pts, t0, [t1 - t0], frame))
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
            queues[0].put(DONE)

        def stage_thread(fn, q_in, q_out, ends_in=1, ends_out=1):
            # ends_in: DONE markers to wait for (one per upstream thread); ends_out: to send.
            seen = 0
            try:
                while True:
                    item = q_in.get()
                    if item is DONE:
                        seen += 1
                        if seen == ends_in:
                            break
                        continue
                    index, pts, t0, spans, value = item
                    t = clock()
                    result = fn(value)
                    spans.append(clock() - t)
                    q_out.put((index, pts, t0, spans, result))
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
                while seen < ends_in:  # drain so upstream never blocks
                    seen += q_in.get() is DONE
            for _ in range(ends_out):
                q_out.put(DONE)

        k = len(runners)
        if k > 1:
            queues[1] = queue.Queue(maxsize=max(2, k))  # a waiting frame for every inference thread
        threads = [threading.Thread(target=decoder_thread, daemon=True),
                   threading.Thread(target=stage_thread, args=(pre, queues[0], queues[1], 1, k), daemon=True)]
        threads += [threading.Thread(target=stage_thread, args=(r, queues[1], queues[2]), daemon=True) for r in runners]
        threads.append(threading.Thread(target=stage_thread, args=(head, queues[2], queues[3], k, 1), daemon=True))
        for t in threads:
            t.start()
        # Frame-parallel inference finishes frames out of order: write them back in order.
        waiting, next_index = {}, 0  # frame indices count from 0
        while (item := queues[3].get()) is not DONE:
            waiting[item[0]] = item
            while next_index in waiting:
                index, pts, t0, spans, detections = waiting.pop(next_index)
                write(index, pts, detections, t0, spans)
                delivered += 1
                next_index += 1
        for index in sorted(waiting):  # only after an error upstream left a gap
            _, pts, t0, spans, detections = waiting.pop(index)
            write(index, pts, detections, t0, spans)
            delivered += 1
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
    elapsed = clock() - begin
    out.flush()
    if out is not sys.stdout:
        out.close()

    text = (f"python: {delivered} frames of {os.path.basename(args.video)} with model '{meta.get('short_name', meta['name'])}' "
            f"in {elapsed:.2f} s: {delivered / elapsed if elapsed > 0 else 0:.1f} fps\n"
            f"setup {setup:.3f} s (imports, model load); decoder {args.decoder}; "
            f"{'threaded' if args.threaded else 'sequential'}; {args.threads} inference thread(s)"
            f"{', one frame each' if args.frame_parallel else ''}\n"
            "stage        p50 ms    p90 ms    p99 ms    max ms\n")
    for stage, values in list(lat.items()) + [("end_to_end", e2e)]:
        v = sorted(values)
        text += f"{stage:<12}{percentile(v, .5):7.2f}   {percentile(v, .9):7.2f}   {percentile(v, .99):7.2f}   {v[-1] if v else 0:7.2f}\n"
    sys.stderr.write(text)


if __name__ == "__main__":
    main()
