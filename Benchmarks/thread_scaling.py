#!/usr/bin/env python3
"""Which steps of a model do not speed up on two threads: per-step one- and two-thread times.

    python3 Benchmarks/thread_scaling.py MODEL [ROUNDS] [TOP] [--binary PATH]

Each round runs `vigil bench MODEL --threads T --runs 200 --steps --json` for T = 1 and 2,
alternately. Per step it takes the median over rounds of the step's median, then prints the
TOP steps (default 25) with the most "excess" time at two threads (two-thread time minus half
the one-thread time: what a perfect split would have saved), and the steps that gained less
than 1.25× in total. Step times include the timing itself; compare steps with each other, and
whole-model figures with `vigil bench` without `--steps`.
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_name  # noqa: E402


def describe(step):
    c = step.get("conv")
    if not c:
        return step["kind"] + " " + step.get("name", "")[:40]
    return (f"{step['kind']} {c['h']}x{c['w']} {c['cin']}->{c['cout']} k{c['kh']} s{c['sh']}"
            + (f" g{c['groups']}" if c["groups"] > 1 else ""))


def main():
    arguments = sys.argv[1:]
    binary = ".build/release/vigil"
    if "--binary" in arguments:
        i = arguments.index("--binary")
        binary = arguments[i + 1]
        del arguments[i:i + 2]
    if not arguments:
        sys.exit(__doc__)
    model = arguments[0]
    rounds = int(arguments[1]) if len(arguments) > 1 else 5
    top = int(arguments[2]) if len(arguments) > 2 else 25
    steps = {1: [], 2: []}
    totals = {1: [], 2: []}
    layout = None
    for _ in range(rounds):
        for threads in (1, 2):
            output = subprocess.run([binary, "bench", model, "--threads", str(threads), "--runs", "200", "--steps", "--json"],
                                    capture_output=True, text=True, check=True).stdout
            result = json.loads(output)
            steps[threads].append([s["ms"] for s in result["steps"]])
            totals[threads].append(result["medianMs"])
            layout = layout or result["steps"]
    rows = []
    for i, step in enumerate(layout):
        one = statistics.median(r[i] for r in steps[1])
        two = statistics.median(r[i] for r in steps[2])
        rows.append((two - one / 2, one, two, describe(step)))
    print(f"cpu: {cpu_name()}; {model}; {rounds} rounds of 200 runs; medians in ms")
    print(f"whole model: 1 thread {statistics.median(totals[1]):.3f}, 2 threads {statistics.median(totals[2]):.3f}; "
          f"sum of steps: {sum(r[1] for r in rows):.3f} and {sum(r[2] for r in rows):.3f}")
    print("  1 thread  2 threads  speed-up  excess  step")
    for excess, one, two, name in sorted(rows, reverse=True)[:top]:
        print(f"  {one:8.4f}  {two:9.4f}  {one / two if two else 0:8.2f}  {excess:6.4f}  {name}")
    flat = [r for r in rows if r[2] > 0 and r[1] / r[2] < 1.25]
    print(f"steps under 1.25x: {len(flat)}, {sum(r[1] for r in flat):.4f} ms at one thread, {sum(r[2] for r in flat):.4f} at two")
    for excess, one, two, name in sorted(flat, key=lambda r: -r[2])[:top]:
        print(f"  {one:8.4f}  {two:9.4f}  {name}")


if __name__ == "__main__":
    main()
