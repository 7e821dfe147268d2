#!/usr/bin/env python3
"""Decode rate of Vigil's media stage vs the ffmpeg CLI on the same file and thread count,
measured in one invocation.

    python3 Benchmarks/compare_ffmpeg_decode.py [VIDEO] [--passes 20] [--runs 7] [--threads 1 2]

Vigil: `vigil decode VIDEO --threads N --passes P` (libavformat + libavcodec through Swift).
Peer: `ffmpeg -stream_loop P-1 -threads N -i VIDEO -f null -` (the null muxer still decodes
every frame). Both decode the file P times in one process so short clips time well; each run's
wall time includes one process start for each. Prints median (min–max) fps and the ratio Vigil/ffmpeg.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VIGIL = os.path.join(ROOT, ".build", "release", "vigil")


def frame_count(video):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", video], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def timed(command_list):
    start = time.perf_counter()
    for command in command_list:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", default=os.path.join(ROOT, "Samples", "carphone.mp4"))
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if not os.path.exists(VIGIL):
        subprocess.run(["swift", "build", "-c", "release", "--product", "vigil"], cwd=ROOT, check=True)
    frames = frame_count(args.video) * args.passes
    print(f"video {os.path.relpath(args.video, ROOT)}, {frames // args.passes} frames x {args.passes} passes, {args.runs} runs")
    print("| threads | Vigil fps median (min–max) | ffmpeg fps median (min–max) | Vigil/ffmpeg |")
    print("|---|---|---|---|")
    for threads in args.threads:
        vigil_cmd = [[VIGIL, "decode", args.video, "--threads", str(threads), "--passes", str(args.passes)]]
        ffmpeg_cmd = [["ffmpeg", "-v", "error", "-stream_loop", str(args.passes - 1), "-threads", str(threads),
                       "-i", args.video, "-f", "null", "-"]]
        v, f = [], []
        for _ in range(args.runs):  # interleaved so drift affects both alike
            v.append(frames / timed(vigil_cmd))
            f.append(frames / timed(ffmpeg_cmd))
        ratio = statistics.median(v) / statistics.median(f)
        print(f"| {threads} | {statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f}) | {statistics.median(f):.0f} ({min(f):.0f}–{max(f):.0f}) | **{ratio:.2f}** |")


if __name__ == "__main__":
    sys.exit(main())
