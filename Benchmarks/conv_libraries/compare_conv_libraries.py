#!/usr/bin/env python3
"""Vigil's convolution kernels vs oneDNN and OpenBLAS on the exact convolutions of the reference
models, same thread count, measured in one invocation on this machine.

    Benchmarks/conv_libraries/setup.sh
    python3 Benchmarks/conv_libraries/compare_conv_libraries.py [--runs 20] [--rounds 3] [--threads 1 2] [--markdown]

For each reference model (the MODELS list of Benchmarks/compare_onnxruntime.py) and thread count
it runs `vigil bench MODEL --steps --json` (release build), takes every convolution step (those
with a "conv" object; transposed convolutions are left out), writes their shapes for conv_bench
(identical shapes are timed once and counted as often as they occur) and times them with oneDNN
(convolution primitive, bias + activation fused) and OpenBLAS (im2col + sgemm, no bias, no
activation), each library in its own process. Vigil, oneDNN and OpenBLAS alternate for --rounds
rounds; reported figures are medians over rounds (per-shape medians summed per round, then the
median of the round totals; ratios are the median of the per-round ratios, below 1.0 means Vigil
is faster). --steps-json FILE uses a saved `vigil bench --steps --json` output instead of running
vigil (for testing the harness).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = os.path.dirname(HERE)
sys.path.insert(0, BENCHMARKS)
from machine import cpu_name  # noqa: E402
from compare_onnxruntime import MODELS  # noqa: E402

ROOT = os.path.dirname(BENCHMARKS)
VIGIL = os.path.join(ROOT, ".build", "release", "vigil")
CONV_BENCH = os.path.join(HERE, "build", "conv_bench")
BUSY = "swift-build|swift-frontend|benchmark.py|vigil bench|vigil track|xctest"
KINDS = ["pointwise 1×1", "depthwise", "other (spatial, stems, grouped)"]
GEOMETRY = ["n", "h", "w", "cin", "cout", "kh", "kw", "sh", "sw", "pt", "pl", "pb", "pr", "dh", "dw", "groups"]


def conv_kind(c):
    if c["groups"] > 1 and c["groups"] == c["cin"] and c["cout"] % c["cin"] == 0:
        return KINDS[1]
    if c["kh"] == 1 and c["kw"] == 1 and c["groups"] == 1:
        return KINDS[0]
    return KINDS[2]


def activation_token(c):
    """conv_bench's activation field: a name without spaces, optional ':'-separated parameters."""
    act = c.get("activation") or "identity"
    if isinstance(act, dict):  # tolerate {"name": ..., "min"/"max" or "alpha"/"beta": ...}
        params = [act[k] for k in ("min", "max", "alpha", "beta") if k in act]
        act = ":".join([str(act.get("name", "identity"))] + [str(p) for p in params])
    return "".join(str(act).split()).replace("(", ":").replace(",", ":").replace(")", "")


def shape_key(c):
    return tuple(int(c[k]) for k in GEOMETRY) + (activation_token(c),)


def describe(key):
    g = dict(zip(GEOMETRY, key))
    text = f"{g['n']}x{g['h']}x{g['w']}x{g['cin']}→{g['cout']} k{g['kh']}x{g['kw']} s{g['sh']}x{g['sw']}"
    if any(g[p] for p in ("pt", "pl", "pb", "pr")):
        text += f" p{g['pt']},{g['pl']},{g['pb']},{g['pr']}"
    if g["dh"] > 1 or g["dw"] > 1:
        text += f" d{g['dh']}x{g['dw']}"
    if g["groups"] > 1:
        text += f" g{g['groups']}"
    return text + f" {key[-1]}"


def busy():
    out = subprocess.run(["pgrep", "-f", BUSY], capture_output=True, text=True)
    pids = [p for p in out.stdout.split() if int(p) != os.getpid()]
    return len(pids)


def wait_until_idle(minutes):
    """Timings taken while the other core is busy are worthless: wait (up to `minutes`) for builds,
    tests and other benchmarks to finish."""
    waited = 0
    while busy():
        if waited >= minutes * 60:
            print(f"  warning: still busy after {minutes} min ({BUSY}); measuring anyway, timings unreliable", file=sys.stderr)
            return
        if waited == 0:
            print(f"  another heavy process is running ({BUSY}); waiting", file=sys.stderr)
        time.sleep(30)
        waited += 30


def run_vigil(path, size, threads, runs, warmup):
    command = [VIGIL, "bench", path, "--steps", "--json", "--threads", str(threads), "--runs", str(runs), "--warmup", str(warmup)]
    if size:
        command += ["--size", f"{size[0]}x{size[1]}"]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or out.stdout.strip())
    result = json.loads(out.stdout)
    if "steps" not in result:
        raise RuntimeError("vigil bench --json printed no \"steps\" (needs a build with --steps)")
    return result


def conv_steps(vigil_result):
    """[(shape key, kind, Vigil ms)] for every convolution step, plan order."""
    steps = []
    for step in vigil_result["steps"]:
        c = step.get("conv")
        if not c or "transpose" in step.get("kind", "").lower():
            continue
        steps.append((shape_key(c), conv_kind(c), float(step["ms"])))
    return steps


def shape_lines(keys):
    return "".join(f"s{i} " + " ".join(map(str, key[:-1])) + f" {key[-1]}\n" for i, key in enumerate(keys))


def run_conv_bench(lib, keys, threads, runs, warmup):
    """{shape key: median ms} (None where the library failed) for one library, one process."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run([CONV_BENCH, "--lib", lib, "--threads", str(threads), "--runs", str(runs), "--warmup", str(warmup), "-"],
                         input=shape_lines(keys), capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"conv_bench --lib {lib} failed: {out.stderr.strip()}")
    times, notes = {}, {}
    for line in out.stdout.splitlines():
        record = json.loads(line)
        key = keys[int(record["name"][1:])]
        times[key] = record.get("median_ms")
        if "error" in record:
            notes[key] = record["error"]
            print(f"  {lib} {describe(key)}: {record['error']}", file=sys.stderr)
        elif "note" in record:
            notes[key] = record["note"]
    return times, notes


def library_info():
    out = subprocess.run([CONV_BENCH, "--info"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def ratio(a, b):
    return a / b if b else float("nan")


def measure(name, steps_source, threads, args):
    """One model at one thread count: alternate Vigil, oneDNN, OpenBLAS for args.rounds rounds."""
    rounds = []
    retries = 0
    while len(rounds) < args.rounds:
        if not args.steps_json:
            wait_until_idle(args.wait_idle)
        vigil_result = steps_source()
        steps = conv_steps(vigil_result)
        keys = sorted({key for key, _, _ in steps})
        onednn, onednn_notes = run_conv_bench("onednn", keys, threads, args.runs, args.warmup)
        openblas, _ = run_conv_bench("openblas", keys, threads, args.runs, args.warmup)
        if not args.steps_json and busy() and retries < 5:
            # Something heavy started during the round (checked only at its end): do it again.
            retries += 1
            print(f"  {name} t={threads}: a heavy process ran during this round; repeating it", file=sys.stderr)
            continue
        round_index = len(rounds)
        rounds.append(dict(model_ms=vigil_result.get("medianMs"), input=vigil_result.get("inputShapes", [[]])[0],
                           steps=steps, onednn=onednn, openblas=openblas, notes=onednn_notes))
        print(f"  {name} t={threads} round {round_index + 1}: {len(steps)} conv steps, {len(keys)} distinct shapes", file=sys.stderr)
    return summarize(name, threads, rounds)


def summarize(name, threads, rounds):
    complete = lambda r, key: r["onednn"].get(key) is not None and r["openblas"].get(key) is not None  # noqa: E731
    # Per round: sums over the steps every library could run, overall and per kind.
    groups = {"all": lambda kind: True, **{k: (lambda kind, k=k: kind == k) for k in KINDS}}
    per_group = {}
    for group, selected in groups.items():
        totals = []
        for r in rounds:
            v = o = b = 0.0
            count = skipped = 0
            for key, kind, ms in r["steps"]:
                if not selected(kind):
                    continue
                if not complete(r, key):
                    skipped += 1
                    continue
                v, o, b, count = v + ms, o + r["onednn"][key], b + r["openblas"][key], count + 1
            totals.append((v, o, b, count, skipped))
        if not totals[0][3] and not totals[0][4]:
            continue
        vo = [ratio(t[0], t[1]) for t in totals]
        vb = [ratio(t[0], t[2]) for t in totals]
        per_group[group] = dict(vigil=statistics.median(t[0] for t in totals), onednn=statistics.median(t[1] for t in totals),
                                openblas=statistics.median(t[2] for t in totals), steps=totals[0][3], skipped=totals[0][4],
                                vigil_onednn=statistics.median(vo), vigil_onednn_range=(min(vo), max(vo)),
                                vigil_openblas=statistics.median(vb), vigil_openblas_range=(min(vb), max(vb)))
    # Per distinct shape: count, Vigil ms per call (median over occurrences and rounds), library medians.
    shapes = {}
    for key in {key for key, _, _ in rounds[0]["steps"]}:
        vigil_ms = [ms for r in rounds for k, _, ms in r["steps"] if k == key]
        onednn = [r["onednn"].get(key) for r in rounds if r["onednn"].get(key) is not None]
        openblas = [r["openblas"].get(key) for r in rounds if r["openblas"].get(key) is not None]
        count = sum(1 for k, _, _ in rounds[0]["steps"] if k == key)
        shapes[key] = dict(count=count, vigil=statistics.median(vigil_ms),
                           onednn=statistics.median(onednn) if onednn else None,
                           openblas=statistics.median(openblas) if openblas else None,
                           note=rounds[0]["notes"].get(key))
    model_ms = [r["model_ms"] for r in rounds if r["model_ms"] is not None]
    return dict(model=name, threads=threads, input=rounds[0]["input"], model_ms=statistics.median(model_ms) if model_ms else None,
                groups=per_group, shapes=shapes)


def fmt_ratio(value, low_high):
    return f"{value:.2f} ({low_high[0]:.2f}–{low_high[1]:.2f})"


def print_report(rows, args, info):
    command = "python3 Benchmarks/conv_libraries/compare_conv_libraries.py " + " ".join(sys.argv[1:])
    print(f"\nCPU: {cpu_name()}; {args.rounds} rounds of {args.runs} runs after {args.warmup} warm-up; command: {command.strip()}")
    print(f"Libraries: oneDNN {info['onednn']} ({info['onednn_cpu_runtime']}, ISA {info['onednn_isa']}; convolution primitive, "
          f"weights pre-reordered to its chosen layout, bias + activation fused); OpenBLAS {info['openblas_config']} "
          f"(core {info['openblas_core']}; im2col + sgemm, no bias, no activation).")
    print("Times are sums of per-shape medians (ms); Vigil/library below 1.0 means Vigil is faster; ratio in parentheses: range over rounds.")
    md = args.markdown
    if md:
        print("\n| model | input | threads | conv steps | Vigil model ms | Vigil conv ms | oneDNN ms | OpenBLAS ms | Vigil/oneDNN | Vigil/OpenBLAS |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        g = r["groups"].get("all")
        if not g:
            continue
        model_ms = f"{r['model_ms']:.2f}" if r["model_ms"] is not None else "?"
        steps = f"{g['steps']}" + (f" (+{g['skipped']} skipped)" if g["skipped"] else "")
        cells = [r["model"], "x".join(map(str, r["input"])), str(r["threads"]), steps, model_ms, f"{g['vigil']:.2f}",
                 f"{g['onednn']:.2f}", f"{g['openblas']:.2f}", f"**{fmt_ratio(g['vigil_onednn'], g['vigil_onednn_range'])}**",
                 fmt_ratio(g["vigil_openblas"], g["vigil_openblas_range"])]
        print("| " + " | ".join(cells) + " |" if md else "  ".join(cells))

    print("\nBy kind of convolution:" if not md else "\n| model | threads | kind | steps | Vigil ms | oneDNN ms | OpenBLAS ms | Vigil/oneDNN | Vigil/OpenBLAS |")
    if md:
        print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for kind in KINDS:
            g = r["groups"].get(kind)
            if not g:
                continue
            blas = f"{g['openblas']:.2f}" + (" ⚠" if kind == KINDS[1] else "")
            cells = [r["model"], str(r["threads"]), kind, str(g["steps"]) + (f" (+{g['skipped']} skipped)" if g["skipped"] else ""),
                     f"{g['vigil']:.2f}", f"{g['onednn']:.2f}", blas,
                     fmt_ratio(g["vigil_onednn"], g["vigil_onednn_range"]), fmt_ratio(g["vigil_openblas"], g["vigil_openblas_range"])]
            print("| " + " | ".join(cells) + " |" if md else "  ".join(cells))
    print("\n⚠ depthwise through OpenBLAS is one tiny sgemm per channel: shown for completeness, not a sensible path.")

    for threads in sorted({r["threads"] for r in rows}):
        margins = []
        for r in rows:
            if r["threads"] != threads:
                continue
            for key, s in r["shapes"].items():
                if s["onednn"] is not None and s["vigil"] > s["onednn"]:
                    margins.append(((s["vigil"] - s["onednn"]) * s["count"], r["model"], key, s))
        margins.sort(key=lambda m: m[0], reverse=True)
        print(f"\nThe {args.top} shapes where oneDNN beats Vigil by the largest margin, {threads} thread(s) (margin = per-call difference × occurrences):")
        if md:
            print("\n| model | shape (NHWC in → cout, kernel, stride, pads, dilation, groups, activation) | occurrences | Vigil ms/call | oneDNN ms/call | OpenBLAS ms/call | margin ms |")
            print("|---|---|---|---|---|---|---|")
        for margin, model, key, s in margins[:args.top]:
            blas = f"{s['openblas']:.3f}" if s["openblas"] is not None else "—"
            cells = [model, describe(key), str(s["count"]), f"{s['vigil']:.3f}", f"{s['onednn']:.3f}", blas, f"{margin:.3f}"]
            print("| " + " | ".join(cells) + " |" if md else "  ".join(cells))
        if not margins:
            print("(none: Vigil is at least as fast as oneDNN on every shape)")
    notes = sorted({s["note"] for r in rows for s in r["shapes"].values() if s["note"]})
    if notes:
        print("\noneDNN notes: " + "; ".join(notes))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="alternating Vigil/oneDNN/OpenBLAS rounds per model and thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--models", nargs="*", help="subset of model names")
    parser.add_argument("--top", type=int, default=5, help="how many shapes to list where oneDNN wins most")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--steps-json", metavar="FILE", help="saved `vigil bench --steps --json` output to use instead of running vigil")
    parser.add_argument("--check", action="store_true",
                        help="instead of timing: check oneDNN and OpenBLAS against conv_bench's naive reference on every model's shapes")
    parser.add_argument("--size", metavar="HxW", help="with --check: input size for the models that need one (default theirs)")
    parser.add_argument("--wait-idle", type=float, default=20, metavar="MINUTES",
                        help="before each round wait up to this long while builds/tests/benchmarks run (default 20)")
    parser.add_argument("--json-out", metavar="FILE", help="also write the per-shape results as JSON")
    args = parser.parse_args()

    if not os.path.exists(CONV_BENCH):
        sys.exit(f"{CONV_BENCH} missing: run Benchmarks/conv_libraries/setup.sh")
    if not args.steps_json and not os.path.exists(VIGIL):
        subprocess.run(["swift", "build", "-c", "release", "--product", "vigil"], cwd=ROOT, check=True)
    info = library_info()

    jobs = []
    if args.steps_json:
        with open(args.steps_json) as f:
            saved = json.load(f)
        jobs.append((os.path.basename(args.steps_json), lambda threads: (lambda: saved)))
    else:
        for name, relative, size in MODELS:
            if args.models and name not in args.models:
                continue
            path = os.path.join(ROOT, relative)
            if not os.path.exists(path):
                print(f"skip {name}: {relative} missing (run scripts/fetch_models.sh)", file=sys.stderr)
                continue
            if args.check:
                size = tuple(map(int, args.size.lower().split("x"))) if size and args.size else size
                jobs.append((name, lambda threads, path=path, size=size: (lambda: run_vigil(path, size, threads, 1, 0))))
            else:
                jobs.append((name, lambda threads, path=path, size=size: (lambda: run_vigil(path, size, threads, args.runs, args.warmup))))

    if args.check:
        failed = 0
        for name, source in jobs:
            keys = sorted({key for key, _, _ in conv_steps(source(1)())})
            out = subprocess.run([CONV_BENCH, "--check", "--threads", str(max(args.threads)), "-"], input=shape_lines(keys),
                                 capture_output=True, text=True)
            records = [json.loads(line) for line in out.stdout.splitlines()]
            bad = [r for r in records if r.get("check") != "ok"]
            worst = max((r.get("max_abs_diff", 0) for r in records), default=0)
            print(f"{name}: {len(keys)} distinct conv shapes, {len(records)} library checks, {len(bad)} not ok, worst max abs diff {worst:.3g}")
            for r in bad:
                print(f"  {r['lib']} {describe(keys[int(r['name'][1:])])}: {r.get('error') or r.get('note') or ''} "
                      f"max abs diff {r.get('max_abs_diff')}")
            failed += len(bad)
        sys.exit(1 if failed else 0)

    rows = []
    for name, source in jobs:
        for threads in args.threads:
            try:
                rows.append(measure(name, source(threads), threads, args))
            except RuntimeError as error:
                print(f"{name} t={threads}: {error}", file=sys.stderr)
                continue
            g = rows[-1]["groups"].get("all")
            if g:
                print(f"{name:34s} t={threads} conv: vigil {g['vigil']:8.2f} ms  oneDNN {g['onednn']:8.2f} ms  OpenBLAS {g['openblas']:8.2f} ms  "
                      f"vigil/oneDNN {g['vigil_onednn']:.2f}  vigil/OpenBLAS {g['vigil_openblas']:.2f}", file=sys.stderr)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump([dict(r, shapes=[dict(s, shape=describe(k)) for k, s in r["shapes"].items()]) for r in rows], f, indent=1)
    print_report(rows, args, info)


if __name__ == "__main__":
    main()
