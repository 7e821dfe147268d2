#!/usr/bin/env python3
"""End-to-end `vigil detect` vs the equivalent Python pipeline (Benchmarks/python_pipeline.py),
same video, same model, same inference thread count, measured in one invocation.

    python3 Benchmarks/compare_python_pipeline.py [VIDEO] [--model face] [--threads 1 2]
        [--runs 5] [--loops 10] [--decoder av|cv2] [--modes sequential threaded frame-parallel] [--no-check]

What runs:
* Vigil: `.build/release/vigil detect LOOPED --model M --threads N --output /dev/null`
  (its pipeline runs decode, preprocess, inference and postprocess on threads of their own;
  --threads sets the inference threads, which on a file default to frame parallelism: N
  one-thread copies of the model, each on its own frame), and the same with
  `--no-frame-parallel` ("vigil-layers": the N threads share every layer of one frame).
* Python: `python3 Benchmarks/python_pipeline.py LOOPED --model M --threads N --output /dev/null`
  with PyAV (or OpenCV) decode, ai_edge_litert (TFLite, XNNPACK) or onnxruntime, numpy
  post-processing; "sequential" is the usual one-frame-at-a-time loop, "threaded" (--threaded)
  gives every stage its own thread like Vigil, "frame-parallel" (--threaded --frame-parallel)
  also gives inference N threads with a one-thread interpreter each, like Vigil's default.

LOOPED is VIDEO repeated K = --loops times (`ffmpeg -stream_loop K-1 -i VIDEO -c copy`, no
re-encode) so the ~0.2 s of process start and model load is amortised over K x the frames; the
sample has only 120 frames of 176x144. Runs are interleaved (Vigil, Python, ...) R = --runs
times per thread count so machine drift affects both alike.

Two rates per run, both reported:
* process fps = frames / wall time of the whole process (start, imports, model load, decode of
  every frame, JSON Lines written to /dev/null, exit), measured here;
* steady fps = the rate each program reports on stderr ("in T s: F fps"), from its first frame
  requested to its last frame written: no start-up, no model load.
Also the CPU time (user + sys, all threads) per run, and each program's per-stage p50 latency.

Before timing, both run once on VIDEO itself with their JSON Lines kept, and the detections are
compared frame by frame (boxes in source pixels: IoU of matched detections, score differences).
"""
import argparse
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_name  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, ".build", "release", "vigil")
PIPELINE = os.path.join(ROOT, "Benchmarks", "python_pipeline.py")
SUMMARY = re.compile(r"(\d+) frames of .* in ([\d.]+) s: ([\d.]+) fps")
STAGE_ROW = re.compile(r"^(decode|preprocess|inference|postprocess|end_to_end)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", re.M)


def versions(decoder):
    out = [f"Python {platform.python_version()}"]
    for module, label in (("numpy", "numpy"), ("ai_edge_litert", "ai-edge-litert"), ("onnxruntime", "onnxruntime"),
                          ("av" if decoder == "av" else "cv2", "PyAV" if decoder == "av" else "OpenCV")):
        try:
            if module == "ai_edge_litert":
                from importlib.metadata import version
                out.append(f"{label} {version('ai-edge-litert')}")
                continue
            m = __import__(module)
            out.append(f"{label} {m.__version__}")
        except Exception:  # noqa: BLE001
            pass
    return ", ".join(out)


def run(command):
    """(wall s, cpu s, frames, steady s, steady fps, stage p50 dict) of one process run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    text = stderr.decode(errors="replace")
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {shlex.join(command)}\n{text}")
    m = SUMMARY.search(text)
    if not m:
        sys.exit(f"no summary line from: {shlex.join(command)}\n{text}")
    stages = {row[0]: float(row[1]) for row in STAGE_ROW.findall(text)}
    return dict(wall=wall, cpu=usage.ru_utime + usage.ru_stime, frames=int(m.group(1)),
                steady=float(m.group(2)), steady_fps=float(m.group(3)), stages=stages)


def fmt(values, digits=0):
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


# ----------------------------------------------------------------------------- detection cross-check

def load_jsonl(path):
    with open(path) as f:
        return {r["frame"]: r for r in map(json.loads, f)}


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def cross_check(vigil_path, python_path):
    v, p = load_jsonl(vigil_path), load_jsonl(python_path)
    ious, score_diffs, unmatched, count_mismatch = [], [], 0, 0
    for frame in sorted(set(v) | set(p)):
        dv = v.get(frame, {}).get("detections", [])
        dp = p.get(frame, {}).get("detections", [])
        if len(dv) != len(dp):
            count_mismatch += 1
        # Greedy matching by IoU, best pairs first (same label only).
        pairs = sorted(((iou(a["box"], b["box"]), i, j) for i, a in enumerate(dv) for j, b in enumerate(dp)
                        if a["label"] == b["label"]), reverse=True)
        used_v, used_p = set(), set()
        for value, i, j in pairs:
            if i in used_v or j in used_p or value <= 0:
                continue
            used_v.add(i)
            used_p.add(j)
            ious.append(value)
            score_diffs.append(abs(dv[i]["score"] - dp[j]["score"]))
        unmatched += len(dv) - len(used_v) + len(dp) - len(used_p)
    return dict(frames_vigil=len(v), frames_python=len(p), matched=len(ious), unmatched=unmatched,
                count_mismatch=count_mismatch,
                mean_iou=statistics.fmean(ious) if ious else float("nan"), min_iou=min(ious, default=float("nan")),
                below_09=sum(x < 0.9 for x in ious),
                max_score_diff=max(score_diffs, default=float("nan")),
                mean_score_diff=statistics.fmean(score_diffs) if score_diffs else float("nan"))


# ----------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", default=os.path.join(ROOT, "Samples", "carphone.mp4"))
    parser.add_argument("--model", default="face")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loops", type=int, default=10, help="repeat the video this many times in one file")
    parser.add_argument("--decoder", choices=["av", "cv2"], default=None, help="Python decoder (default: PyAV if installed)")
    parser.add_argument("--modes", nargs="+", choices=["sequential", "threaded", "frame-parallel"],
                        default=["sequential", "threaded", "frame-parallel"], help="Python pipelines to run")
    parser.add_argument("--no-check", action="store_true", help="skip the detection cross-check")
    args = parser.parse_args()

    if args.decoder is None:
        try:
            import av  # noqa: F401
            args.decoder = "av"
        except ImportError:
            args.decoder = "cv2"
    if not os.path.exists(VIGIL):
        sys.exit(f"{VIGIL} is missing: swift build -c release --product vigil")
    video = os.path.abspath(args.video)
    python = sys.executable

    def vigil_cmd(path, threads, output="/dev/null", layers=False):
        return ([VIGIL, "detect", path, "--model", args.model, "--threads", str(threads), "--output", output]
                + (["--no-frame-parallel"] if layers else []))

    def python_cmd(path, threads, mode, output="/dev/null"):
        return [python, PIPELINE, path, "--model", args.model, "--threads", str(threads), "--decoder", args.decoder,
                "--output", output] + {"sequential": [], "threaded": ["--threaded"],
                                       "frame-parallel": ["--threaded", "--frame-parallel"]}[mode]

    built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(VIGIL)))
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "Sources"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    print(f"machine: {cpu_name()}, {platform.system()} {platform.release()}")
    print(f"vigil: {os.path.relpath(VIGIL, ROOT)} built {built} from {rev}{' + uncommitted Sources/ changes' if dirty else ''}")
    print(f"python: {versions(args.decoder)}; decoder {'PyAV' if args.decoder == 'av' else 'OpenCV'}")
    print(f"command: python3 {os.path.relpath(sys.argv[0], ROOT) if os.path.isabs(sys.argv[0]) else sys.argv[0]} "
          f"{shlex.join(sys.argv[1:])}")
    print()

    with tempfile.TemporaryDirectory(prefix="vigil-vs-python-") as tmp:
        if not args.no_check:
            vout, pout = os.path.join(tmp, "vigil.jsonl"), os.path.join(tmp, "python.jsonl")
            run(vigil_cmd(video, 1, vout))
            run(python_cmd(video, 1, "sequential", pout))
            c = cross_check(vout, pout)
            print(f"### Detection cross-check on {os.path.relpath(video, ROOT)} (model {args.model}, Python decoder {args.decoder})")
            print()
            print(f"frames: Vigil {c['frames_vigil']}, Python {c['frames_python']}; matched detections {c['matched']}, "
                  f"unmatched {c['unmatched']}, frames with a different count {c['count_mismatch']}")
            print(f"box IoU of matched detections: mean {c['mean_iou']:.4f}, min {c['min_iou']:.4f}, "
                  f"below 0.9: {c['below_09']}")
            print(f"|score difference|: mean {c['mean_score_diff']:.4f}, max {c['max_score_diff']:.4f}")
            print()

        if args.loops > 1:
            looped = os.path.join(tmp, f"looped{os.path.splitext(video)[1]}")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(args.loops - 1), "-i", video,
                            "-map", "0:v:0", "-c", "copy", looped], check=True)
        else:
            looped = video
        labels = ["vigil", "vigil-layers"] + [f"python-{m}" for m in args.modes]
        results = {(label, t): [] for label in labels for t in args.threads}
        for r in range(args.runs):
            for t in args.threads:
                commands = ([("vigil", vigil_cmd(looped, t)), ("vigil-layers", vigil_cmd(looped, t, layers=True))]
                            + [(f"python-{m}", python_cmd(looped, t, m)) for m in args.modes])
                # Rotate the order each round so neither side always runs first (caches, clocks).
                shift = r % len(commands)
                for label, command in commands[shift:] + commands[:shift]:
                    results[(label, t)].append(run(command))
                    sys.stderr.write(f"\rrun {r + 1}/{args.runs}, threads {t}, {label:<18}")
        sys.stderr.write("\n")

    frames = {res["frames"] for rs in results.values() for res in rs}
    if len(frames) != 1:
        sys.exit(f"frame counts differ between runs: {sorted(frames)}")
    frames = frames.pop()
    print(f"### `{args.model}` on {os.path.relpath(video, ROOT)} x{args.loops} = {frames} frames, "
          f"{args.runs} interleaved runs, median (min–max)")
    print()
    print("Commands (LOOPED = the looped temp file, N = threads):")
    print()
    print("    " + shlex.join(vigil_cmd("LOOPED", "N")).replace(ROOT + "/", ""))
    print("    " + shlex.join(vigil_cmd("LOOPED", "N", layers=True)).replace(ROOT + "/", "") + "   # vigil-layers")
    for m in args.modes:
        print("    " + shlex.join(python_cmd("LOOPED", "N", m)).replace(ROOT + "/", "").replace(python, "python3"))
    print()

    for title, key in (("process fps = frames / wall time of the whole process (start-up and model load included)", "process"),
                       ("steady fps = as each program reports it, first frame to last (start-up and model load excluded)", "steady")):
        print(f"**{title}**")
        print()
        head = "| threads | Vigil fps | Vigil layers fps |" + "".join(f" Python {m} fps | Vigil/Python {m} |" for m in args.modes)
        print(head)
        print("|" + "---|" * (3 + 2 * len(args.modes)))
        for t in args.threads:
            def fps(label):
                rs = results[(label, t)]
                return [frames / x["wall"] for x in rs] if key == "process" else [x["steady_fps"] for x in rs]
            v = fps("vigil")
            row = f"| {t} | {fmt(v)} | {fmt(fps('vigil-layers'))} |"
            for m in args.modes:
                p = fps(f"python-{m}")
                row += f" {fmt(p)} | **{statistics.median(v) / statistics.median(p):.2f}** |"
            print(row)
        print()

    print("**CPU time per run** (user + sys, all threads, seconds; median) and **per-stage p50 latency** "
          "(ms, median over runs; each program's own stage timers)")
    print()
    print("| threads | program | wall s | CPU s | CPU s / wall s | decode | preprocess | inference | postprocess | end_to_end |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in args.threads:
        for label in labels:
            rs = results[(label, t)]
            wall = statistics.median(x["wall"] for x in rs)
            cpu = statistics.median(x["cpu"] for x in rs)
            stages = " | ".join(f"{statistics.median(x['stages'].get(s, float('nan')) for x in rs):.2f}"
                                for s in ("decode", "preprocess", "inference", "postprocess", "end_to_end"))
            print(f"| {t} | {label} | {wall:.2f} | {cpu:.2f} | {cpu / wall:.2f} | {stages} |")
    print()


if __name__ == "__main__":
    main()
