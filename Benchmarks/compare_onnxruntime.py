#!/usr/bin/env python3
"""Vigil vs onnxruntime (or the TFLite interpreter for .tflite models), same model, same
input size, same thread count, measured in one invocation on this machine.

    python3 Benchmarks/compare_onnxruntime.py [--runs 20] [--rounds 3] [--threads 1 2] [--markdown]

For each reference model and thread count it runs `vigil bench --json` (release build) and the
peer runtime on a random input of the same shape, each with warm-up, and prints the medians,
min-max and the ratio Vigil/peer (below 1.0 means Vigil is faster). The two alternate for
`--rounds` rounds (Vigil, peer, Vigil, peer, ...): the shared host's speed drifts by tens of
percent within a minute, so each round's ratio compares runs made seconds apart. Reported: the
median over rounds of each side's median, min and max over every run, the median of the
per-round ratios and their range. Peers: onnxruntime with
intra_op_num_threads=N, inter_op 1, sequential execution; ai-edge-litert Interpreter with
num_threads=N (XNNPACK delegate, its default). Requirements: scripts/requirements-reference.txt.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_name  # noqa: E402

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, ".build", "release", "vigil")

# (name, path relative to the repo, input size HxW or None for fixed-size models)
MODELS = [
    ("ppocr_det_v4", "Models/ppocr_det_v4.onnx", (640, 640)),
    ("yolov8n_random", "Models/cache/yolov8n_random.onnx", (640, 640)),
    ("face_detection_short_range", "Models/face_detection_short_range.tflite", None),
    ("face_detection_full_range_sparse", "Models/cache/face_detection_full_range_sparse.tflite", None),
    ("selfie_segmentation", "Models/selfie_segmentation.tflite", None),
    ("pose_detection", "Models/cache/pose_detection.tflite", None),
    ("palm_detection_lite", "Models/cache/palm_detection_lite.tflite", None),
]


def time_runs(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def peer_onnx(path, shape, threads, runs, warmup):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).uniform(-1, 1, size=shape).astype(np.float32)
    return time_runs(lambda: session.run(None, {name: x}), runs, warmup), f"onnxruntime {ort.__version__}"


def peer_tflite(path, shape, threads, runs, warmup):
    from ai_edge_litert.interpreter import Interpreter
    import ai_edge_litert
    interpreter = Interpreter(model_path=path, num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).uniform(-1, 1, size=shape).astype(np.float32)

    def run():
        interpreter.set_tensor(detail["index"], x)
        interpreter.invoke()
    return time_runs(run, runs, warmup), f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')}"


def vigil(path, size, threads, runs, warmup):
    command = [VIGIL, "bench", path, "--threads", str(threads), "--runs", str(runs), "--warmup", str(warmup), "--json"]
    if size:
        command += ["--size", f"{size[0]}x{size[1]}"]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or out.stdout.strip())
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="alternating Vigil/peer rounds per model and thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="*", help="subset of model names")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()

    if not os.path.exists(VIGIL):
        subprocess.run(["swift", "build", "-c", "release", "--product", "vigil"], cwd=ROOT, check=True)

    rows = []
    for name, relative, size in MODELS:
        if args.models and name not in args.models:
            continue
        path = os.path.join(ROOT, relative)
        if not os.path.exists(path):
            print(f"skip {name}: {relative} missing (run scripts/fetch_models.sh)", file=sys.stderr)
            continue
        for threads in args.threads:
            vigil_rounds, peer_rounds, ratios = [], [], []
            failed = False
            for _ in range(args.rounds):
                try:
                    v = vigil(path, size, threads, args.runs, args.warmup)
                except RuntimeError as error:
                    print(f"{name} t={threads}: vigil failed: {error}", file=sys.stderr)
                    failed = True
                    break
                shape = v["inputShapes"][0]
                peer = peer_onnx if path.endswith(".onnx") else peer_tflite
                (median, low, high), peer_name = peer(path, shape, threads, args.runs, args.warmup)
                vigil_rounds.append(v)
                peer_rounds.append((median, low, high))
                ratios.append(v["medianMs"] / median)
            if failed:
                continue
            vm = statistics.median(r["medianMs"] for r in vigil_rounds)
            pm = statistics.median(r[0] for r in peer_rounds)
            rows.append(dict(model=name, shape=shape, threads=threads,
                             vigil=(vm, min(r["minMs"] for r in vigil_rounds), max(r["maxMs"] for r in vigil_rounds)),
                             peer=(pm, min(r[1] for r in peer_rounds), max(r[2] for r in peer_rounds)), peer_name=peer_name,
                             ratio=statistics.median(ratios), ratio_range=(min(ratios), max(ratios)),
                             rss=max(r["maxRSSBytes"] for r in vigil_rounds) / 2**20,
                             gflops=statistics.median(r["gflopsPerSecond"] for r in vigil_rounds)))
            r = rows[-1]
            print(f"{name:34s} t={threads} vigil {r['vigil'][0]:8.2f} ms  {peer_name} {pm:8.2f} ms  ratio {r['ratio']:.2f} "
                  f"(rounds {' '.join(f'{x:.2f}' for x in ratios)})", file=sys.stderr)

    print(f"\nCPU: {cpu_name()}; {args.rounds} rounds of {args.runs} runs after {args.warmup} warm-up; command: python3 Benchmarks/compare_onnxruntime.py {' '.join(sys.argv[1:])}")
    if args.markdown:
        print("\n| model | input | threads | Vigil median (min–max) ms | peer | peer median (min–max) ms | Vigil/peer | ratio range over rounds | Vigil GFLOP/s | Vigil max RSS MiB |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            v, p = r["vigil"], r["peer"]
            print(f"| {r['model']} | {'x'.join(map(str, r['shape']))} | {r['threads']} | {v[0]:.2f} ({v[1]:.2f}–{v[2]:.2f}) | {r['peer_name']} | "
                  f"{p[0]:.2f} ({p[1]:.2f}–{p[2]:.2f}) | **{r['ratio']:.2f}** | {r['ratio_range'][0]:.2f}–{r['ratio_range'][1]:.2f} | {r['gflops']:.1f} | {r['rss']:.0f} |")
    else:
        for r in rows:
            print(f"{r['model']:34s} t={r['threads']} ratio {r['ratio']:.2f}")


if __name__ == "__main__":
    main()
