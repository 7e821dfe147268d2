#!/usr/bin/env python3
"""Where does a tracker lose identities? Compares Vigil and supervision ByteTrack on one or
more generated sequences, gt object by gt object.

    python3 Benchmarks/tracking/diagnose.py [--data DIR] [--vigil CMD] SEQ/LEVEL [SEQ/LEVEL ...]

For every ground-truth object, the tracker ids matched to it over time (IoU >= 0.5, the same
matching motmetrics uses for CLEAR MOT) are split into runs. Each change of id is classified:
  - reborn:  the new id is a fresh track (first seen within 2 frames) -> the old track was
             dropped or not re-associated after the gap;
  - swap:    the new id already existed on another object -> identity transfer between
             neighbours;
and described by the gap (frames between the last match with the old id and the first with the
new id), the lowest gt visibility in the gap and the share of gap frames with a detection
(IoU >= 0.5) of that object. Also lists the tracker's 'lost coverage': gt frames with a
detection available (IoU >= 0.5, score >= 0.1) but no tracker box.
"""
import argparse
import collections
import os
import sys
import tempfile

import numpy as np

import benchmark as B


def transitions(gt_pf, hyp_rows, det_pf, T, vis_min):
    import motmetrics as mm
    hyp_pf = B.by_frame(hyp_rows, T)
    first_seen = {}
    for r in hyp_rows[np.argsort(hyp_rows[:, 0], kind="stable")]:
        first_seen.setdefault(int(r[1]), int(r[0]))
    acc = mm.MOTAccumulator(auto_id=False)
    vis = {}
    det_hit = {}
    for f in range(1, T + 1):
        gv, gi = B.split_gt(gt_pf[f], vis_min)
        h = B.drop_distractor_matches(hyp_pf[f], gv, gi)
        iou = B.iou_xywh(gv[:, 2:6], h[:, 2:6])
        acc.update(gv[:, 1].astype(int).tolist(), h[:, 1].astype(int).tolist(),
                   np.where(iou >= 0.5, 1 - iou, np.nan), frameid=f)
        for r in gt_pf[f]:
            vis[(f, int(r[1]))] = r[8]
        d = det_pf[f]
        d = d[d[:, 6] >= 0.1]
        diou = B.iou_xywh(gt_pf[f][:, 2:6], d[:, 2:6])
        for k, r in enumerate(gt_pf[f]):
            det_hit[(f, int(r[1]))] = bool(len(d)) and diou[k].max() >= 0.5
    ev = acc.mot_events.reset_index()
    m = ev[ev.Type.isin(["MATCH", "SWITCH"])]
    out = []
    for oid, g in m.groupby("OId"):
        g = g.sort_values("FrameId")
        prev_h, prev_f = None, None
        for f, hid in zip(g.FrameId.astype(int), g.HId.astype(int)):
            if prev_h is not None and hid != prev_h:
                gap = list(range(prev_f + 1, f))
                kind = "reborn" if first_seen.get(hid, 0) >= f - 2 else "swap"
                vmin = min((vis.get((x, int(oid)), 0.0) for x in gap), default=vis.get((f, int(oid)), 1.0))
                cov = np.mean([det_hit.get((x, int(oid)), False) for x in gap]) if gap else 1.0
                out.append(dict(gt=int(oid), frame=f, old=prev_h, new=hid, kind=kind, gap=len(gap),
                                vis_min=float(vmin), det_cover=float(cov)))
            prev_h, prev_f = hid, f
    # detections available but no tracker box
    lost = 0
    for f in range(1, T + 1):
        gv, _ = B.split_gt(gt_pf[f], vis_min)
        h = hyp_pf[f]
        iou = B.iou_xywh(gv[:, 2:6], h[:, 2:6])
        for k, r in enumerate(gv):
            if det_hit.get((f, int(r[1])), False) and (len(h) == 0 or iou[k].max() < 0.5):
                lost += 1
    return out, lost


def summarize(name, tr, lost):
    kinds = collections.Counter(t["kind"] for t in tr)
    gaps = collections.Counter()
    for t in tr:
        b = "0" if t["gap"] == 0 else "1-5" if t["gap"] <= 5 else "6-30" if t["gap"] <= 30 else ">30"
        gaps[(t["kind"], b)] += 1
    occl = sum(1 for t in tr if t["vis_min"] < 0.25)
    print(f"  {name:22s} id changes {len(tr):3d} (reborn {kinds['reborn']}, swap {kinds['swap']}); "
          f"through occlusion (vis<0.25 in gap) {occl}; by gap reborn "
          + " ".join(f"{b}:{gaps[('reborn', b)]}" for b in ["0", "1-5", "6-30", ">30"])
          + " swap " + " ".join(f"{b}:{gaps[('swap', b)]}" for b in ["0", "1-5", "6-30", ">30"])
          + f"; detectable-but-unreported gt boxes {lost}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="+", help="SEQ/LEVEL, e.g. plaza/low")
    ap.add_argument("--data", default=os.path.join(B.HERE, "data"))
    ap.add_argument("--vigil", default=B.DEFAULT_VIGIL)
    ap.add_argument("--vis-min", type=float, default=0.25)
    ap.add_argument("--list", action="store_true", help="print every id change")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-track-diag-")
    for case in a.cases:
        seq, level = case.split("/")
        sd = os.path.join(a.data, seq)
        info = B.read_seqinfo(sd)
        T, fps = info["frames"], info["fps"]
        gt_pf = B.by_frame(B.load_rows(os.path.join(sd, "gt", "gt.txt"), 9), T)
        det_path = os.path.join(sd, "det", f"det_{level}.txt")
        dets = B.load_rows(det_path, 10)
        det_pf = B.by_frame(dets, T)
        sv_rows, _ = B.run_supervision(dets, T, fps)
        vg_rows, _, _ = B.run_vigil(B.shlex.split(a.vigil), det_path, os.path.join(tmp, f"{seq}_{level}.txt"), fps)
        print(f"{case}:")
        for name, rows in [("supervision ByteTrack", sv_rows), ("Vigil", vg_rows)]:
            tr, lost = transitions(gt_pf, rows, det_pf, T, a.vis_min)
            summarize(name, tr, lost)
            if a.list:
                for t in tr:
                    print(f"    gt {t['gt']:3d} frame {t['frame']:4d} id {t['old']} -> {t['new']} {t['kind']:6s} "
                          f"gap {t['gap']:3d} vis_min {t['vis_min']:.2f} det_cover {t['det_cover']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
