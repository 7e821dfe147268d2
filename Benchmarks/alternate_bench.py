#!/usr/bin/env python3
"""A/B timing of `vigil bench` builds or settings, alternating, for a noisy host.

    python3 Benchmarks/alternate_bench.py ROUNDS RUNS THREADS MODEL[:HxW][,MODEL...] LABEL=[ENV:VALUE,...]@BINARY ...

Each round runs every configuration on every model once (`vigil bench MODEL --threads THREADS
--runs RUNS --json`), configurations in the order given, so that a drift of the host hits all of
them alike. Per model and configuration it prints the median of the per-round medians, the
lowest per-round median, the lowest single run, and every round's median in order (so that a
slow spell of the host shows as a run of rounds). Example (the Winograd switch, one build):

    python3 Benchmarks/alternate_bench.py 3 10 1 Models/cache/yolov8n_random.onnx:640x640 \\
        direct=VIGIL_WINOGRAD:0@.build/release/vigil winograd=@.build/release/vigil

Copy a build aside (`cp .build/release/vigil /tmp/vigil-before`) to compare two commits.
"""
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configurations import configuration  # noqa: E402


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    rounds, runs, threads = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    models = sys.argv[4].split(",")
    configurations = [configuration(argument) for argument in sys.argv[5:]]
    results = {}
    for _ in range(rounds):
        for model in models:
            path, _, size = model.partition(":")
            for label, binary, environment in configurations:
                command = [binary, "bench", path, "--threads", threads, "--runs", str(runs), "--json"]
                if size:
                    command += ["--size", size]
                done = subprocess.run(command, env=environment, capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
                report = json.loads(done.stdout)
                results.setdefault((model, label), []).append((report["medianMs"], report["minMs"]))
    cpu = json.loads(subprocess.run([configurations[0][1], "bench", models[0].partition(":")[0], "--runs", "1", "--json"]
                                    + (["--size", models[0].partition(":")[2]] if ":" in models[0] else []),
                                    capture_output=True, text=True).stdout)["cpu"]
    print(f"cpu: {cpu}; {rounds} rounds of {runs} runs, {threads} thread(s)")
    for (model, label), values in results.items():
        medians = sorted(v[0] for v in values)
        print("%-45s %-12s median of medians %.3f ms, lowest median %.3f ms, min %.3f ms; by round: %s"
              % (os.path.basename(model), label, statistics.median(medians), medians[0], min(v[1] for v in values),
                 " ".join("%.2f" % v[0] for v in values)))


if __name__ == "__main__":
    main()
