#!/usr/bin/env python3
"""A/B timing of every step of one model, two `vigil bench` builds or settings, alternating.

    python3 Benchmarks/alternate_steps.py ROUNDS RUNS THREADS MODEL LABEL=[ENV:VALUE,...]@BINARY LABEL=...@BINARY [--all]

Each round runs both configurations once (`vigil bench MODEL --threads THREADS --runs RUNS
--steps --json`), in the order given, so that a drift of the host hits both alike. Per step it
prints the median over rounds of each configuration's step median and their difference
(second minus first); by default only the 1×1 convolutions (`--all`: every step). Last, each
configuration's whole-model medians by round. On this project's shared host a step's median
moves by ±0.05 ms from one process to the next: use 16 rounds or more. Example (the sparse
1×1 path against the dense one, one build):

    python3 Benchmarks/alternate_steps.py 16 150 1 Models/cache/pose_detection.tflite \\
        dense=VIGIL_SPARSE:0@.build/release/vigil sparse=@.build/release/vigil
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurations import configuration  # noqa: E402


def describe(step):
    c = step.get("conv")
    if not c:
        return step["kind"]
    return (f"{step['kind']} {c['h']}x{c['w']} {c['cin']}->{c['cout']} k{c['kh']}x{c['kw']} s{c['sh']}"
            + (f" g{c['groups']}" if c["groups"] > 1 else ""))


def is_pointwise(step):
    c = step.get("conv")
    return bool(c) and c["kh"] == 1 and c["kw"] == 1 and c["groups"] == 1


def main():
    arguments = [a for a in sys.argv[1:] if a != "--all"]
    every_step = len(arguments) != len(sys.argv) - 1
    if len(arguments) != 6:
        sys.exit(__doc__)
    rounds, runs, threads, model = int(arguments[0]), arguments[1], arguments[2], arguments[3]
    configurations = [configuration(a) for a in arguments[4:]]
    steps = {label: [] for label, _, _ in configurations}
    totals = {label: [] for label, _, _ in configurations}
    layout = None
    for _ in range(rounds):
        for label, binary, environment in configurations:
            output = subprocess.run([binary, "bench", model, "--threads", threads, "--runs", runs, "--steps", "--json"],
                                    capture_output=True, text=True, env=environment, check=True).stdout
            result = json.loads(output)
            steps[label].append([s["ms"] for s in result["steps"]])
            totals[label].append(result["medianMs"])
            layout = layout or result["steps"]
    (a, _, _), (b, _, _) = configurations
    print(f"cpu: {json.loads(output).get('cpu', '?')}; {rounds} rounds of {runs} runs, {threads} thread(s); step medians in ms")
    for index, step in enumerate(layout):
        if not every_step and not is_pointwise(step):
            continue
        ma = statistics.median(r[index] for r in steps[a])
        mb = statistics.median(r[index] for r in steps[b])
        print(f"{index:4d} {describe(step):40s} {a} {ma:.4f}  {b} {mb:.4f}  {b}-{a} {mb - ma:+.4f}")
    for label, _, _ in configurations:
        print(f"{label}: model median of medians {statistics.median(totals[label]):.3f} ms; by round: "
              + " ".join(f"{t:.2f}" for t in totals[label]))


if __name__ == "__main__":
    main()
