#!/usr/bin/env python3
"""Tracking benchmark: Vigil's tracker vs supervision's ByteTrack on generated MOTChallenge
sequences (MOTA / IDF1 / ID switches with motmetrics), and streaming evaluation of Vigil's
output under a simulated processing delay, with and without forecasting.

    python3 Benchmarks/tracking/benchmark.py [--data DIR] [--vigil CMD] [--levels ...]
        [--sequences ...] [--delays 33 66 133] [--streaming-levels medium] [--json OUT]

Usually run through Benchmarks/tracking/run.sh, which makes the venv, generates the data and
calls this. See README.md beside this file for what every number means.

Vigil runs as `CMD track --mot-detections DET --mot-output OUT --fps FPS [--delay-ms D
--forecast|--no-forecast]`; CMD defaults to .build/release/vigil. Any other command that honours
the same contract can be passed with --vigil;
the tables then say so.
"""
import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")  # supervision: ByteTrack deprecation, OpenCV fallback notices

import numpy as np
from scipy.optimize import linear_sum_assignment

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_VIGIL = os.path.join(ROOT, ".build", "release", "vigil")
LEVELS = ["low", "medium", "high"]
AP_THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)

# supervision.ByteTrack defaults (supervision 0.30.9), frame_rate set per sequence
SV_CONFIG = dict(track_activation_threshold=0.25, lost_track_buffer=30,
                 minimum_matching_threshold=0.8, minimum_consecutive_frames=1)


# ----------------------------------------------------------------------------------------------
# I/O

def read_seqinfo(seq_dir):
    info = {}
    with open(os.path.join(seq_dir, "seqinfo.ini")) as fh:
        for line in fh:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                info[k] = v
    return dict(name=info["name"], fps=float(info["frameRate"]), frames=int(info["seqLength"]),
                width=int(info["imWidth"]), height=int(info["imHeight"]))


def load_rows(path, cols):
    """MOT text file -> float array (n, cols); empty files give (0, cols)."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return np.zeros((0, cols))
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, :cols] if a.shape[1] >= cols else np.hstack([a, np.full((len(a), cols - a.shape[1]), -1.0)])


def by_frame(rows, T):
    """Split rows by column 0 (1-based frame) into a list indexed 0..T (index 0 unused)."""
    out = [rows[:0]] * (T + 1)
    if len(rows):
        f = rows[:, 0].astype(int)
        order = np.argsort(f, kind="stable")
        rows, f = rows[order], f[order]
        bounds = np.searchsorted(f, np.arange(T + 2))
        out = [rows[bounds[i]:bounds[i + 1]] for i in range(T + 1)]
    return out


def iou_xywh(a, b):
    """IoU matrix between boxes a (n, 4) and b (m, 4), both x, y, w, h."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax1, ay1, ax2, ay2 = a[:, 0], a[:, 1], a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx1, by1, bx2, by2 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(ax1[:, None], bx1[None]), 0, None)
    ih = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(ay1[:, None], by1[None]), 0, None)
    inter = iw * ih
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


# ----------------------------------------------------------------------------------------------
# Trackers

def run_supervision(dets, T, fps):
    """supervision ByteTrack over detection rows (frame,-1,x,y,w,h,score,...) -> output rows
    (frame, id, x, y, w, h, score) and the time spent in update_with_detections."""
    import supervision as sv
    tracker = sv.ByteTrack(frame_rate=fps, **SV_CONFIG)
    per = by_frame(dets, T)
    out = []
    spent = 0.0
    for f in range(1, T + 1):
        d = per[f]
        xyxy = np.column_stack([d[:, 2], d[:, 3], d[:, 2] + d[:, 4], d[:, 3] + d[:, 5]]).astype(np.float32)
        det = sv.Detections(xyxy=xyxy.reshape(-1, 4), confidence=d[:, 6].astype(np.float32),
                            class_id=np.zeros(len(d), dtype=int))
        t0 = time.perf_counter()
        res = tracker.update_with_detections(det)
        spent += time.perf_counter() - t0
        for (x1, y1, x2, y2), tid, s in zip(res.xyxy, res.tracker_id, res.confidence):
            out.append((f, int(tid), x1, y1, x2 - x1, y2 - y1, s))
    return np.array(out, dtype=float).reshape(-1, 7), spent


VIGIL_EXTRA = []  # --vigil-args


def run_vigil(cmd, det_path, out_path, fps, delay_ms=None, forecast=None, horizon_ms=None):
    args = cmd + ["track", "--mot-detections", det_path, "--mot-output", out_path, "--fps", f"{fps:g}"]
    args += VIGIL_EXTRA
    if delay_ms is not None:
        args += ["--delay-ms", f"{delay_ms:g}"]
    if forecast is not None:
        args += ["--forecast" if forecast else "--no-forecast"]
    if horizon_ms is not None:
        args += ["--horizon-ms", f"{horizon_ms:g}"]
    t0 = time.perf_counter()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{shlex.join(args)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return load_rows(out_path, 7), wall, shlex.join(args)


def sanitize(rows):
    """Boxes with negative width or height count as empty boxes (IoU 0) in every metric."""
    rows = rows.copy()
    rows[:, 4:6] = np.clip(rows[:, 4:6], 0, None)
    return rows


def check_output(rows, T, label):
    """Sanity checks on a tracker's MOT output; returns a list of problems found."""
    problems = []
    if len(rows) == 0:
        return [f"{label}: no output rows"]
    f = rows[:, 0].astype(int)
    if f.min() < 1 or f.max() > T:
        problems.append(f"{label}: frames outside 1..{T} (min {f.min()}, max {f.max()})")
    if (rows[:, 1] < 1).any():
        problems.append(f"{label}: {(rows[:, 1] < 1).sum()} rows with id < 1")
    pairs = rows[:, 0] * 1e7 + rows[:, 1]
    if len(np.unique(pairs)) != len(pairs):
        problems.append(f"{label}: {len(pairs) - len(np.unique(pairs))} duplicate (frame, id) rows")
    if (rows[:, 4] <= 0).any() or (rows[:, 5] <= 0).any():
        problems.append(f"{label}: {((rows[:, 4] <= 0) | (rows[:, 5] <= 0)).sum()} rows with non-positive size")
    if not np.isfinite(rows[:, :7]).all():
        problems.append(f"{label}: non-finite values")
    return problems


# ----------------------------------------------------------------------------------------------
# Ground truth split: boxes with visibility >= vis_min are targets; the rest are "distractors"
# (mostly hidden or mostly outside the canvas): a tracker box matched to one (IoU >= 0.5,
# Hungarian) is dropped instead of counted as a false positive, as the MOT16/17 devkit does.

def split_gt(g, vis_min):
    valid = g[:, 8] >= vis_min
    return g[valid], g[~valid]


def drop_distractor_matches(hyp, gt_valid, gt_ign, thr=0.5):
    if len(hyp) == 0 or len(gt_ign) == 0:
        return hyp
    allg = np.vstack([gt_valid[:, 2:6], gt_ign[:, 2:6]])
    iou = iou_xywh(hyp[:, 2:6], allg)
    r, c = linear_sum_assignment(-iou)
    ok = iou[r, c] >= thr
    drop = r[ok & (c >= len(gt_valid))]
    keep = np.ones(len(hyp), bool)
    keep[drop] = False
    return hyp[keep]


# ----------------------------------------------------------------------------------------------
# MOT metrics (motmetrics): IoU >= 0.5 to match, CLEAR MOT + identity metrics

MOT_METRICS = ["num_frames", "mota", "motp", "idf1", "idp", "idr", "num_switches",
               "num_false_positives", "num_misses", "num_objects", "num_predictions",
               "num_unique_objects", "mostly_tracked", "mostly_lost", "num_fragmentations",
               "idtp", "idfp", "idfn", "recall", "precision"]


def mot_metrics(gt_pf, hyp_rows, T, vis_min):
    import motmetrics as mm
    acc = mm.MOTAccumulator(auto_id=False)
    hyp_pf = by_frame(hyp_rows, T)
    for f in range(1, T + 1):
        gv, gi = split_gt(gt_pf[f], vis_min)
        h = drop_distractor_matches(hyp_pf[f], gv, gi)
        iou = iou_xywh(gv[:, 2:6], h[:, 2:6])
        dist = np.where(iou >= 0.5, 1.0 - iou, np.nan)
        acc.update(gv[:, 1].astype(int).tolist(), h[:, 1].astype(int).tolist(), dist, frameid=f)
    mh = mm.metrics.create()
    s = mh.compute(acc, metrics=MOT_METRICS, name="seq")
    r = {k: float(s[k].iloc[0]) for k in MOT_METRICS}
    r["num_tracks"] = int(len(np.unique(hyp_rows[:, 1]))) if len(hyp_rows) else 0
    return r


def pooled(results):
    """Overall MOTA / IDF1 over several sequences from summed counts."""
    s = lambda k: sum(r[k] for r in results)
    n = s("num_objects")
    return dict(mota=1 - (s("num_misses") + s("num_false_positives") + s("num_switches")) / n,
                idf1=2 * s("idtp") / (2 * s("idtp") + s("idfp") + s("idfn")),
                num_switches=s("num_switches"), num_false_positives=s("num_false_positives"),
                num_misses=s("num_misses"), num_tracks=s("num_tracks"),
                num_unique_objects=s("num_unique_objects"), num_fragmentations=s("num_fragmentations"))


# ----------------------------------------------------------------------------------------------
# Streaming evaluation (Li, Wang and Ramanan, ECCV 2020): output for frame f is emitted at
# t_f + delay; at each ground-truth instant t_g the latest output emitted at or before t_g is
# in force and is scored against the ground truth of frame g.

def in_force(T, fps, delay_ms):
    """For g = 1..T the frame whose output is in force at t_g (0: nothing emitted yet)."""
    t_us = np.round(np.arange(T) * 1e6 / fps).astype(np.int64)  # t_f for f = 1..T
    emit = t_us + int(round(delay_ms * 1000))
    idx = np.searchsorted(emit, t_us, side="right")  # number of outputs emitted by t_g
    return idx  # idx[g-1] = latest frame index (1-based) emitted, 0 if none


def streaming_instants(gt_pf, out_rows, T, fps, delay_ms, vis_min):
    """Per-instant matching data for one sequence and one setting.

    Returns dict with
      iou_pairs: IoUs of Hungarian (max-IoU) pairs between the output in force and the
                 present targets, pairs with IoU > 0;
      n_gt:      number of present targets summed over instants;
      dets:      (score, tp flags per AP threshold, ignored flags per threshold) for AP.
    """
    out_pf = by_frame(out_rows, T)
    src = in_force(T, fps, delay_ms)
    pair_ious = []
    n_gt = 0
    scores, tps, igns = [], [], []
    K = len(AP_THRESHOLDS)
    for g in range(1, T + 1):
        gv, gi = split_gt(gt_pf[g], vis_min)
        n_gt += len(gv)
        f = src[g - 1]
        o = out_pf[f] if f > 0 else out_pf[0]
        if len(o) == 0:
            continue
        iou = iou_xywh(o[:, 2:6], gv[:, 2:6])
        if len(gv):
            r, c = linear_sum_assignment(-iou)
            v = iou[r, c]
            pair_ious.extend(v[v > 0].tolist())
        # COCO-style greedy matching by score for AP, per threshold; outputs on distractors ignored
        iou_ign = iou_xywh(o[:, 2:6], gi[:, 2:6])
        order = np.argsort(-o[:, 6], kind="stable")
        matched = np.zeros((K, len(gv)), bool)
        for j in order:
            tp = np.zeros(K, bool)
            ign = np.zeros(K, bool)
            if len(gv):
                cand = np.where((iou[j][None, :] >= AP_THRESHOLDS[:, None]) & ~matched, iou[j][None, :], -1.0)
                best = cand.argmax(1)
                hit = cand[np.arange(K), best] >= 0
                matched[np.arange(K)[hit], best[hit]] = True
                tp = hit
            if len(gi):
                ign = ~tp & (iou_ign[j].max() >= AP_THRESHOLDS)
            scores.append(o[j, 6])
            tps.append(tp)
            igns.append(ign)
    return dict(pair_ious=pair_ious, n_gt=n_gt, scores=scores,
                tps=np.array(tps, bool).reshape(-1, K), igns=np.array(igns, bool).reshape(-1, K))


def average_precision(scores, tps, igns, n_gt):
    """COCO 101-point interpolated AP per threshold from pooled detections."""
    if n_gt == 0:
        return np.full(tps.shape[1], np.nan)
    order = np.argsort(-np.asarray(scores), kind="mergesort")
    aps = []
    for k in range(tps.shape[1]):
        keep = ~igns[order, k]
        tp = tps[order, k][keep].astype(float)
        if len(tp) == 0:
            aps.append(0.0)
            continue
        ctp = np.cumsum(tp)
        cfp = np.cumsum(1 - tp)
        rec = ctp / n_gt
        prec = ctp / np.maximum(ctp + cfp, 1e-9)
        prec = np.maximum.accumulate(prec[::-1])[::-1]
        rs = np.linspace(0, 1, 101)
        idx = np.searchsorted(rec, rs, side="left")
        q = np.where(idx < len(prec), prec[np.minimum(idx, len(prec) - 1)], 0.0)
        aps.append(q.mean())
    return np.array(aps)


def summarize_streaming(parts):
    pair = np.concatenate([np.asarray(p["pair_ious"]) for p in parts]) if parts else np.zeros(0)
    n_gt = sum(p["n_gt"] for p in parts)
    scores = np.concatenate([np.asarray(p["scores"], float) for p in parts])
    tps = np.concatenate([p["tps"] for p in parts])
    igns = np.concatenate([p["igns"] for p in parts])
    ap = average_precision(scores, tps, igns, n_gt)
    return dict(miou_per_gt=float(pair.sum() / n_gt) if n_gt else float("nan"),
                miou_matched=float(pair.mean()) if len(pair) else float("nan"),
                ap50=float(ap[0]), ap50_95=float(np.mean(ap)), n_gt=int(n_gt), n_pairs=int(len(pair)))


# ----------------------------------------------------------------------------------------------
# Report

def machine_lines():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 1048576:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} vCPU{mem}, {platform.platform()}, Python {platform.python_version()}"


def versions():
    import motmetrics, pandas, scipy, supervision
    return (f"supervision {supervision.__version__}, motmetrics {motmetrics.__version__}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}, pandas {pandas.__version__}")


def git_describe():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes under Sources/" if dirty else "")
    except OSError:
        return "?"


def binary_time(path):
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))
    except OSError:
        return "?"


def fmt(x, nd=3):
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{nd}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--vigil", default=DEFAULT_VIGIL, help="command for Vigil (default %(default)s)")
    ap.add_argument("--vigil-args", default="", help="extra options appended to every `vigil track` "
                    "(e.g. \"--high-score 0.25 --new-track-score 0.35\"); shown in the output")
    ap.add_argument("--sequences", nargs="*")
    ap.add_argument("--levels", nargs="*", default=LEVELS)
    ap.add_argument("--delays", nargs="*", type=float, default=[33, 66, 133])
    ap.add_argument("--streaming-levels", nargs="*", default=["medium"])
    ap.add_argument("--vis-min", type=float, default=0.25)
    ap.add_argument("--skip-vigil", action="store_true", help="supervision only (harness check)")
    ap.add_argument("--skip-streaming", action="store_true")
    ap.add_argument("--keep-outputs", metavar="DIR", help="keep every tracker's MOT output here")
    ap.add_argument("--json", metavar="PATH", help="write all results as JSON")
    ap.add_argument("--command-label", help="command line to print (run.sh passes its own)")
    a = ap.parse_args(argv)

    t_start = time.perf_counter()
    vigil_cmd = shlex.split(a.vigil)
    VIGIL_EXTRA[:] = shlex.split(a.vigil_args)
    vigil_is_binary = os.path.abspath(vigil_cmd[0]) == os.path.abspath(DEFAULT_VIGIL) or vigil_cmd[0].endswith("/vigil")
    vigil_label = "Vigil" if vigil_is_binary else "Vigil (custom --vigil command)"
    seqs = sorted(d for d in os.listdir(a.data) if os.path.isfile(os.path.join(a.data, d, "seqinfo.ini")))
    manifest = {}
    mpath = os.path.join(a.data, "manifest.json")
    if os.path.exists(mpath):
        with open(mpath) as fh:
            manifest = json.load(fh)
        order = list(manifest.get("sequences", {}))
        seqs = sorted(seqs, key=lambda s: order.index(s) if s in order else len(order))
    if a.sequences:
        seqs = [s for s in seqs if s in a.sequences]
    if not seqs:
        sys.exit(f"no sequences under {a.data}: run generate.py first")

    workdir = a.keep_outputs or tempfile.mkdtemp(prefix="vigil-track-bench-")
    os.makedirs(workdir, exist_ok=True)
    problems = []
    results = dict(command=a.command_label or shlex.join([sys.executable] + sys.argv), machine=machine_lines(),
                   versions=versions(), vigil=dict(command=a.vigil, args=a.vigil_args, label=vigil_label, commit=git_describe(),
                             built=binary_time(vigil_cmd[0])),
                   supervision_config=dict(SV_CONFIG), vis_min=a.vis_min,
                   data=dict(dir=os.path.abspath(a.data), generator_sha256=manifest.get("generator_sha256")),
                   mot=[], streaming=[], streaming_summary=[], problems=problems)

    # ---- MOT metrics -------------------------------------------------------------------------
    seq_info, gt_pf_all = {}, {}
    tracker_outputs = {}  # (seq, level, tracker) -> rows
    for seq in seqs:
        sd = os.path.join(a.data, seq)
        info = read_seqinfo(sd)
        seq_info[seq] = info
        gt = load_rows(os.path.join(sd, "gt", "gt.txt"), 9)
        gt_pf_all[seq] = by_frame(gt, info["frames"])
        for level in a.levels:
            det_path = os.path.join(sd, "det", f"det_{level}.txt")
            dets = load_rows(det_path, 10)
            T, fps = info["frames"], info["fps"]
            sv_rows, sv_time = run_supervision(dets, T, fps)
            problems += check_output(sv_rows, T, f"supervision {seq}/{level}")
            tracker_outputs[(seq, level, "supervision")] = sv_rows
            m = mot_metrics(gt_pf_all[seq], sv_rows, T, a.vis_min)
            results["mot"].append(dict(sequence=seq, level=level, tracker="supervision ByteTrack",
                                       frames=T, seconds=sv_time, **m))
            if not a.skip_vigil:
                out = os.path.join(workdir, f"{seq}_{level}_vigil.txt")
                rows, wall, cmdline = run_vigil(vigil_cmd, det_path, out, fps)
                problems += check_output(rows, T, f"vigil {seq}/{level}")
                rows = sanitize(rows)
                tracker_outputs[(seq, level, "vigil")] = rows
                m = mot_metrics(gt_pf_all[seq], rows, T, a.vis_min)
                results["mot"].append(dict(sequence=seq, level=level, tracker=vigil_label, frames=T,
                                           seconds=wall, command=cmdline, **m))
            print(f"[mot] {seq}/{level} done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)

    # ---- streaming ---------------------------------------------------------------------------
    if not a.skip_streaming:
        settings = [(0.0, "supervision", None)]
        if not a.skip_vigil:
            settings.append((0.0, "vigil", None))
        for d in a.delays:
            settings.append((d, "supervision", False))
            if not a.skip_vigil:
                settings += [(d, "vigil", False), (d, "vigil", True)]
        for level in a.streaming_levels:
            parts = {s: [] for s in settings}
            for seq in seqs:
                info = seq_info.get(seq)
                T, fps = info["frames"], info["fps"]
                det_path = os.path.join(a.data, seq, "det", f"det_{level}.txt")
                for s in settings:
                    delay, who, fc = s
                    if who == "supervision" or delay == 0:
                        rows = tracker_outputs.get((seq, level, who))
                        if rows is None:  # level not in --levels
                            if who == "supervision":
                                rows, _ = run_supervision(load_rows(det_path, 10), T, fps)
                            else:
                                rows, _, _ = run_vigil(vigil_cmd, det_path, os.path.join(
                                    workdir, f"{seq}_{level}_vigil.txt"), fps)
                                rows = sanitize(rows)
                            tracker_outputs[(seq, level, who)] = rows
                        wall = None
                    else:
                        out = os.path.join(workdir, f"{seq}_{level}_vigil_d{delay:g}_{'fc' if fc else 'nofc'}.txt")
                        rows, wall, _ = run_vigil(vigil_cmd, det_path, out, fps, delay_ms=delay, forecast=fc)
                        problems += check_output(rows, T, f"vigil {seq}/{level} delay {delay:g} forecast={fc}")
                        rows = sanitize(rows)
                        if not fc:
                            base = tracker_outputs[(seq, level, "vigil")]
                            if rows.shape != base.shape or not np.allclose(rows, base, atol=0.02):
                                problems.append(f"vigil {seq}/{level}: --delay-ms {delay:g} --no-forecast output "
                                                f"differs from the zero-delay output (expected the same boxes)")
                    inst = streaming_instants(gt_pf_all[seq], rows, T, fps, delay, a.vis_min)
                    parts[s].append(inst)
                    one = summarize_streaming([inst])
                    results["streaming"].append(dict(sequence=seq, level=level, delay_ms=delay, tracker=who,
                                                     forecast=fc, seconds=wall, **one))
                print(f"[streaming] {seq}/{level} done ({time.perf_counter() - t_start:.0f} s)", file=sys.stderr)
            for s in settings:
                delay, who, fc = s
                results["streaming_summary"].append(dict(level=level, delay_ms=delay, tracker=who, forecast=fc,
                                                         **summarize_streaming(parts[s])))
    results["seconds_total"] = time.perf_counter() - t_start

    # ---- print -------------------------------------------------------------------------------
    P = print
    P(f"Command: `{results['command']}`  ")
    P(f"Machine: {results['machine']}  ")
    P(f"Packages: {results['versions']}  ")
    P(f"Vigil: `{a.vigil} track ...{(' ' + a.vigil_args) if a.vigil_args else ''}` ({vigil_label}; repository at "
      f"{results['vigil']['commit']}; binary built {results['vigil'].get('built', '?')})  ")
    P("supervision ByteTrack: `sv.ByteTrack(frame_rate=<seq fps>)` with its defaults "
      + ", ".join(f"{k}={v}" for k, v in SV_CONFIG.items())
      + "; high/low score split at track_activation_threshold, new tracks from score >= 0.35 "
        "(threshold + 0.1), second association IoU 0.5  ")
    P(f"Data: {results['data']['dir']} (generator {results['data']['generator_sha256']}); targets are gt boxes "
      f"with visibility >= {a.vis_min:g}, tracker boxes on less visible gt are ignored; match at IoU >= 0.5")
    P()
    P("### Tracking accuracy (motmetrics)")
    P()
    P("| sequence | noise | tracker | MOTA | IDF1 | IDSW | Frag | tracks / gt ids | FP | FN | ms/frame |")
    P("|---|---|---|---|---|---|---|---|---|---|---|")
    mot = results["mot"]
    wins, losses = 0, []
    for seq in seqs:
        for level in a.levels:
            rs = [r for r in mot if r["sequence"] == seq and r["level"] == level]
            for r in rs:
                P(f"| {seq} | {level} | {r['tracker']} | {100 * r['mota']:.1f} | {100 * r['idf1']:.1f} | "
                  f"{int(r['num_switches'])} | {int(r['num_fragmentations'])} | {r['num_tracks']} / "
                  f"{int(r['num_unique_objects'])} | {int(r['num_false_positives'])} | {int(r['num_misses'])} | "
                  f"{1000 * r['seconds'] / r['frames']:.2f} |")
            if len(rs) == 2:
                sv_r, vg = rs
                if vg["idf1"] + 1e-12 >= sv_r["idf1"]:
                    wins += 1
                else:
                    losses.append(f"{seq}/{level} ({100 * vg['idf1']:.2f} vs {100 * sv_r['idf1']:.2f})")
    for level in a.levels:
        for tr in sorted({r["tracker"] for r in mot}, key=lambda x: x != "supervision ByteTrack"):
            rs = [r for r in mot if r["level"] == level and r["tracker"] == tr]
            if rs:
                o = pooled(rs)
                fr = sum(r["frames"] for r in rs)
                P(f"| **all** | {level} | {tr} | {100 * o['mota']:.1f} | {100 * o['idf1']:.1f} | "
                  f"{int(o['num_switches'])} | {int(o['num_fragmentations'])} | {o['num_tracks']} / "
                  f"{int(o['num_unique_objects'])} | {int(o['num_false_positives'])} | {int(o['num_misses'])} | "
                  f"{1000 * sum(r['seconds'] for r in rs) / fr:.2f} |")
    P()
    if not a.skip_vigil:
        n = wins + len(losses)
        P(f"{vigil_label} IDF1 >= supervision on {wins} of {n} sequence/noise pairs"
          + (f"; below on: {', '.join(losses)}" if losses else "") + ".")
        P("ms/frame: supervision = time inside update_with_detections; Vigil = wall time of the whole "
          "`vigil track` process (start-up and file I/O included) / frames.")
        P()
    if results["streaming_summary"]:
        P("### Streaming evaluation (all sequences pooled)")
        P()
        P("Output for frame f is emitted at t_f + delay; at each gt instant the latest emitted output is "
          "scored against that instant's ground truth. mIoU/gt: Hungarian max-IoU pairing, summed IoU / present "
          "targets (unmatched = 0); mIoU/pair: mean over pairs with IoU > 0; AP: COCO 101-point, pooled over "
          "all instants, output scores as confidence. 'recovered' = (forecast - stale) / (zero delay - stale): "
          "the share of the loss from the delay that forecasting wins back.")
        P()
        P("| noise | delay ms | tracker | forecast | mIoU/gt | mIoU/pair | AP50 | AP[.5:.95] | recovered mIoU/gt | recovered AP[.5:.95] |")
        P("|---|---|---|---|---|---|---|---|---|---|")
        ss = results["streaming_summary"]

        def recovered(rows, r, key):
            stale = next(x for x in rows if x["delay_ms"] == r["delay_ms"] and x["tracker"] == r["tracker"]
                         and x["forecast"] is False)
            z = next(x for x in rows if x["delay_ms"] == 0 and x["tracker"] == r["tracker"])
            loss = z[key] - stale[key]
            return (r[key] - stale[key]) / loss if loss > 1e-9 else None

        pct = lambda v: "—" if v is None else f"{100 * v:.0f}%"
        for level in a.streaming_levels:
            rows_l = [r for r in ss if r["level"] == level]
            for r in rows_l:
                rec_m = rec_a = ""
                if r["forecast"]:
                    r["recovered_miou_per_gt"] = recovered(rows_l, r, "miou_per_gt")
                    r["recovered_ap50_95"] = recovered(rows_l, r, "ap50_95")
                    rec_m, rec_a = pct(r["recovered_miou_per_gt"]), pct(r["recovered_ap50_95"])
                name = vigil_label if r["tracker"] == "vigil" else "supervision ByteTrack"
                fc = "—" if r["delay_ms"] == 0 else ("yes" if r["forecast"] else "no")
                P(f"| {level} | {r['delay_ms']:g} | {name} | {fc} | {fmt(r['miou_per_gt'])} | "
                  f"{fmt(r['miou_matched'])} | {fmt(r['ap50'])} | {fmt(r['ap50_95'])} | {rec_m} | {rec_a} |")
        P()
        if not a.skip_vigil:
            P(f"Per sequence, {vigil_label}: AP[.5:.95] at zero delay, then stale → forecast for each delay")
            P()
            P("| noise | sequence | 0 ms | " + " | ".join(f"{d:g} ms stale → forecast" for d in a.delays) + " |")
            P("|---|---|---|" + "---|" * len(a.delays))
            st = results["streaming"]
            for level in a.streaming_levels:
                for seq in seqs:
                    g = lambda d, fc: next((x for x in st if x["sequence"] == seq and x["level"] == level and
                                            x["tracker"] == "vigil" and x["delay_ms"] == d and
                                            (d == 0 or x["forecast"] is fc)), None)
                    z = g(0, None)
                    if z is None:
                        continue
                    cells = [f"{fmt(g(d, False)['ap50_95'])} → {fmt(g(d, True)['ap50_95'])}" for d in a.delays]
                    P(f"| {level} | {seq} | {fmt(z['ap50_95'])} | " + " | ".join(cells) + " |")
            P()
    if problems:
        P("Problems seen in tracker output:")
        for p in problems:
            P(f"- {p}")
        P()
    P(f"Whole run: {results['seconds_total']:.0f} s.")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    return 0


if __name__ == "__main__":
    sys.exit(main())
