#!/usr/bin/env python3
"""Synthetic MOTChallenge sequences with known ground truth for the tracking benchmark.

    python3 Benchmarks/tracking/generate.py [OUT_DIR] [--sequences NAME ...]

OUT_DIR defaults to Benchmarks/tracking/data (gitignored). Everything is deterministic: every
sequence has a fixed seed, and every detection level a seed derived from it, so the same
command writes byte-identical files on any machine with the pinned NumPy.

Layout written (MOTChallenge, no images):

    OUT_DIR/manifest.json                     generator version, sequences, levels, parameters
    OUT_DIR/<seq>/seqinfo.ini                 name, frameRate, seqLength, imWidth, imHeight
    OUT_DIR/<seq>/gt/gt.txt                   frame,id,x,y,w,h,1,1,visibility
    OUT_DIR/<seq>/det/det_<level>.txt         frame,-1,x,y,w,h,score,-1,-1,-1

Frames are 1-based, boxes are top-left x, y, width, height in pixels of a 1920x1080 canvas, and
gt boxes are clipped to the canvas. `visibility` is the fraction of the object's full (unclipped)
box that is inside the canvas and not hidden by a closer object's body or a static occluder
(sampled on a 12x12 grid). See README.md for the scenes and the noise model.
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np

GENERATOR_VERSION = 1
FPS = 30
W, H = 1920, 1080
MIN_SIDE = 4.0  # gt boxes whose clipped width or height is below this are not written

# Detection noise levels. jitter: box noise as a fraction of the box's own width / height
# (AR(1) in time, rho 0.6, so a detector's error is partly consistent over frames); recall:
# detection probability of a fully visible object (falls linearly to 0 between visibility
# 0.6 and 0.15); burst: per-frame probability that an object enters a run of consecutive
# misses of mean length burst_len; fp_rate: Poisson mean of uniformly placed false positives
# per frame; clutter: static spots that fire a false positive on 30% of frames; dup: chance
# that a detected object also gets a shifted duplicate box; lowconf: chance that a true
# detection gets a score in [0.1, 0.5) (ByteTrack's second-stage range).
LEVELS = {
    "low":    dict(jitter=0.02, recall=0.97, burst=0.003, burst_len=3, fp_rate=0.2, clutter=0,
                   dup=0.0, lowconf=0.03, score_sd=0.05),
    "medium": dict(jitter=0.045, recall=0.90, burst=0.010, burst_len=5, fp_rate=1.0, clutter=1,
                   dup=0.01, lowconf=0.08, score_sd=0.08),
    "high":   dict(jitter=0.08, recall=0.80, burst=0.020, burst_len=8, fp_rate=3.0, clutter=2,
                   dup=0.03, lowconf=0.15, score_sd=0.12),
}


# ----------------------------------------------------------------------------------------------
# Agents: position, heading and speed integrated frame by frame with bounded acceleration and
# turning. Behaviours: "cruise" (gentle speed drift), "stopgo" (walk, stand, walk), "sprint"
# (abrupt speed targets including dead stops, sharp turns).

def wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


def simulate_agents(rng, T, n, *, region, speed, accel, decel, turn_sd, behaviours,
                    start=None, heading=None, born=None, exit_region=None, wall=80.0,
                    max_turn=0.06, sprint_vmax=None):
    """Returns pos (T, n, 2) with NaN where the agent does not exist, and alive (T, n).

    region: (x0, y0, x1, y1) soft walls (agents steer back inside) unless exit_region is
    given, in which case agents walk straight through and vanish once outside exit_region.
    """
    x0, y0, x1, y1 = region
    if start is None:
        start = np.stack([rng.uniform(x0 + wall, x1 - wall, n), rng.uniform(y0 + wall, y1 - wall, n)], 1)
    p = np.array(start, dtype=float)
    th = rng.uniform(-np.pi, np.pi, n) if heading is None else np.array(heading, dtype=float)
    th_goal = th.copy()
    base = rng.uniform(speed[0], speed[1], n)
    target = base.copy()
    s = base.copy()
    beh = np.array(behaviours)
    timer = rng.integers(20, 120, n)
    phase_go = np.ones(n, bool)
    born = np.zeros(n, int) if born is None else np.array(born)
    gone = np.zeros(n, bool)
    pos = np.full((T, n, 2), np.nan)
    alive = np.zeros((T, n), bool)
    for t in range(T):
        live = (t >= born) & ~gone
        # behaviour targets
        timer -= 1
        due = timer <= 0
        for i in np.nonzero(due)[0]:
            if beh[i] == "cruise":
                base[i] = np.clip(base[i] * rng.uniform(0.7, 1.35), speed[0] * 0.6, speed[1] * 1.3)
                target[i] = base[i]
                timer[i] = rng.integers(60, 200)
            elif beh[i] == "stopgo":
                phase_go[i] = not phase_go[i]
                target[i] = base[i] if phase_go[i] else 0.0
                timer[i] = rng.integers(40, 150) if phase_go[i] else rng.integers(15, 75)
            elif beh[i] == "sprint":
                vmax = sprint_vmax or speed[1]
                target[i] = 0.0 if rng.random() < 0.25 else rng.uniform(0.2, 1.0) * vmax
                th_goal[i] = wrap(th[i] + rng.normal(0, 1.3))
                timer[i] = rng.integers(10, 45)
        # steering: noise, sprint goals, soft walls
        dth = rng.normal(0, turn_sd, n)
        sp = beh == "sprint"
        dth[sp] += np.clip(wrap(th_goal[sp] - th[sp]), -0.25, 0.25)
        if exit_region is None:
            near = (p[:, 0] < x0 + wall) | (p[:, 0] > x1 - wall) | (p[:, 1] < y0 + wall) | (p[:, 1] > y1 - wall)
            if near.any():
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                inward = np.arctan2(cy - p[:, 1], cx - p[:, 0])
                diff = wrap(inward - th)
                outward = np.abs(diff) > np.pi / 2.5
                steer = near & outward
                lim = np.where(sp, 0.3, max_turn * 2)
                dth[steer] += np.clip(diff[steer], -lim[steer], lim[steer])
                th_goal[steer & sp] = inward[steer & sp]
        th = wrap(th + np.where(sp, dth, np.clip(dth, -max_turn * 3, max_turn * 3)))
        s = s + np.clip(target - s, -decel, accel)
        s = np.maximum(s, 0.0)
        step = np.stack([np.cos(th), np.sin(th)], 1) * s[:, None]
        p = np.where(live[:, None], p + step, p)
        if exit_region is None:
            p[:, 0] = np.clip(p[:, 0], x0, x1)
            p[:, 1] = np.clip(p[:, 1], y0, y1)
        else:
            ex0, ey0, ex1, ey1 = exit_region
            out = (p[:, 0] < ex0) | (p[:, 0] > ex1) | (p[:, 1] < ey0) | (p[:, 1] > ey1)
            gone |= live & out
            live &= ~gone
        pos[t, live] = p[live]
        alive[t] = live
    return pos, alive


def person_sizes(rng, n, h_range=(110, 190), aspect=(0.36, 0.46)):
    h = rng.uniform(*h_range, n)
    return h * rng.uniform(*aspect, n), h


def foot_boxes(pos, w, h, T, rng, gait=0.05):
    """Boxes (T, n, 4) x1,y1,x2,y2 from foot points; width breathes with a walking gait."""
    n = pos.shape[1]
    period = rng.uniform(24, 36, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    t = np.arange(T)[:, None]
    ww = w[None, :] * (1 + gait * np.sin(2 * np.pi * t / period[None, :] + phase[None, :]))
    hh = np.broadcast_to(h[None, :], (T, n))
    return np.stack([pos[..., 0] - ww / 2, pos[..., 1] - hh, pos[..., 0] + ww / 2, pos[..., 1]], -1)


# ----------------------------------------------------------------------------------------------
# Scenes. Each returns boxes (T, N, 4) in image pixels (unclipped, NaN where absent), depth
# (T, N) (smaller = closer to the camera) and static occluders (K, 4).

def scene_crosswalk(rng, T):
    """Two streams of pedestrians crossing a street in opposite directions, plus a few walking
    diagonally across both: many paths cross, objects enter and leave at the sides."""
    n = 24
    side = np.arange(n) % 3  # 0: left->right, 1: right->left, 2: diagonal
    start = np.zeros((n, 2))
    heading = np.zeros(n)
    for i in range(n):
        y = rng.uniform(420, 1000)
        if side[i] == 0:
            start[i] = (-60, y); heading[i] = rng.normal(0, 0.12)
        elif side[i] == 1:
            start[i] = (W + 60, y); heading[i] = np.pi + rng.normal(0, 0.12)
        else:
            left = rng.random() < 0.5
            start[i] = (-60 if left else W + 60, rng.uniform(450, 600))
            heading[i] = (0.35 if left else np.pi - 0.35) + rng.normal(0, 0.1)
    born = np.sort(rng.integers(0, int(T * 0.55), n))
    beh = ["stopgo" if rng.random() < 0.2 else "cruise" for _ in range(n)]
    pos, _ = simulate_agents(rng, T, n, region=(-200, 300, W + 200, 1100), speed=(2.5, 6.0),
                             accel=0.15, decel=0.3, turn_sd=0.01, behaviours=beh, start=start,
                             heading=heading, born=born, exit_region=(-150, 250, W + 150, 1200))
    w, h = person_sizes(rng, n)
    # a little perspective: farther up the street is smaller
    scale = 0.65 + 0.35 * np.clip((pos[..., 1] - 400) / 600, 0, 1)
    boxes = foot_boxes(pos, w, h, T, rng)
    cx = (boxes[..., 0] + boxes[..., 2]) / 2
    bw = (boxes[..., 2] - boxes[..., 0]) * scale
    bh = (boxes[..., 3] - boxes[..., 1]) * scale
    boxes = np.stack([cx - bw / 2, pos[..., 1] - bh, cx + bw / 2, pos[..., 1]], -1)
    return boxes, -pos[..., 1], np.zeros((0, 4))


def scene_traffic(rng, T):
    """Junction with a traffic light: cars in four east/west lanes stop at the line on red and
    queue behind each other, then accelerate on green; a north/south lane crosses on the other
    phase. Car-following keeps a gap; stop-and-go waves travel back along the queues."""
    lanes = [  # (axis, direction, fixed coordinate, stop line)
        ("x", +1, 560.0, 820.0), ("x", +1, 660.0, 820.0),
        ("x", -1, 430.0, 1100.0), ("x", -1, 340.0, 1100.0),
        ("y", +1, 960.0, 250.0),
    ]
    cycle = 240  # frames per light phase; east/west green first
    n_total = 26
    cars = []  # dict per car
    spawn_next = [int(rng.integers(0, 40)) for _ in lanes]
    boxes = np.full((T, n_total, 4), np.nan)
    depth = np.full((T, n_total), np.nan)
    for t in range(T):
        ew_green = (t // cycle) % 2 == 0
        # spawn
        for li, lane in enumerate(lanes):
            if t >= spawn_next[li] and len(cars) < n_total:
                axis, d, c, _ = lane
                L = rng.uniform(150, 230) if axis == "x" else rng.uniform(160, 220)
                Wd = rng.uniform(65, 90) if axis == "x" else rng.uniform(75, 95)
                start = -L if d > 0 else (W + L if axis == "x" else H + L)
                same = [k for k in cars if k["lane"] == li and not k["done"]]
                if not same or min(abs(k["s"] - start) for k in same) > L + 60:
                    cars.append(dict(lane=li, s=start, v=rng.uniform(6, 11), vdes=rng.uniform(7, 12),
                                     L=L, Wd=Wd, done=False, id=len(cars)))
                    spawn_next[li] = t + int(rng.integers(25, 110 if axis == "x" else 140))
        for k in cars:
            if k["done"]:
                continue
            axis, d, c, stop = lanes[k["lane"]]
            green = ew_green if axis == "x" else not ew_green
            front = k["s"] + d * k["L"] / 2
            gaps = [1e9]
            for o in cars:
                if o is not k and o["lane"] == k["lane"] and not o["done"] and (o["s"] - k["s"]) * d > 0:
                    gaps.append(abs(o["s"] - k["s"]) - (o["L"] + k["L"]) / 2 - 25)
            # amber: a car too close to stop comfortably goes through
            to_line = (stop - front) * d
            if not green and to_line > -5 and not (to_line < k["v"] ** 2 / (2 * 0.9) - 10 and to_line < 40):
                gaps.append(to_line - 5)
            gap = max(min(gaps), 0.0)
            v_safe = math.sqrt(2 * 0.7 * gap)
            v_target = min(k["vdes"], v_safe)
            k["v"] = max(0.0, k["v"] + float(np.clip(v_target - k["v"], -1.0, 0.25)))
            k["s"] += d * k["v"]
            end = W + k["L"] if axis == "x" else H + k["L"]
            if (d > 0 and k["s"] > end) or (d < 0 and k["s"] < -k["L"]):
                k["done"] = True
                continue
            i = k["id"]
            if axis == "x":
                boxes[t, i] = (k["s"] - k["L"] / 2, c - k["Wd"], k["s"] + k["L"] / 2, c)
            else:
                boxes[t, i] = (c - k["Wd"] / 2, k["s"] - k["L"] / 2, c + k["Wd"] / 2, k["s"] + k["L"] / 2)
            depth[t, i] = -boxes[t, i, 3]
    return boxes, depth, np.zeros((0, 4))


def scene_pillars(rng, T):
    """A hall with three pillars and a parked van in the foreground: people walk around, stop,
    and pass behind the occluders (full occlusion for up to a second or more)."""
    n = 16
    beh = ["stopgo" if i % 3 == 0 else "cruise" for i in range(n)]
    pos, _ = simulate_agents(rng, T, n, region=(80, 380, W - 80, 1060), speed=(2.0, 5.0),
                             accel=0.15, decel=0.35, turn_sd=0.03, behaviours=beh)
    w, h = person_sizes(rng, n, h_range=(130, 210))
    boxes = foot_boxes(pos, w, h, T, rng)
    occluders = np.array([[420, 0, 560, H], [1010, 0, 1120, H], [1500, 0, 1660, H],
                          [150, 820, 620, H]], dtype=float)
    return boxes, -pos[..., 1], occluders


def scene_plaza(rng, T):
    """A plaza seen from 3 m up with a 1000 px focal length: people and a few cyclists walk
    on the ground plane, so boxes grow and shrink with distance (20-450 px tall) and nearer
    people hide farther ones."""
    n = 30
    f, cam_h, horizon = 1000.0, 3.0, 300.0
    # world region in metres: X lateral, Z depth. Speeds in m/frame (1.1-1.7 m/s walkers).
    cyc = np.arange(n) < 5
    beh = ["cruise" if i % 4 else "stopgo" for i in range(n)]
    pos, _ = simulate_agents(rng, T, n, region=(-11, 4.0, 11, 26), speed=(1.1 / FPS, 1.7 / FPS),
                             accel=0.02 / FPS, decel=0.05 / FPS, turn_sd=0.02, behaviours=beh,
                             wall=2.0, max_turn=0.05)
    # cyclists: faster, same ground plane
    pc, _ = simulate_agents(rng, T, int(cyc.sum()), region=(-11, 5, 11, 26),
                            speed=(3.5 / FPS, 5.5 / FPS), accel=0.05 / FPS, decel=0.1 / FPS,
                            turn_sd=0.015, behaviours=["cruise"] * int(cyc.sum()), wall=3.0,
                            max_turn=0.04)
    pos[:, cyc] = pc
    X, Z = pos[..., 0], pos[..., 1]
    height = np.where(cyc, rng.uniform(1.6, 1.8, n), rng.uniform(1.5, 1.9, n))[None, :]
    width = np.where(cyc, rng.uniform(0.9, 1.2, n), rng.uniform(0.45, 0.6, n))[None, :]
    xi = W / 2 + f * X / Z
    yf = horizon + f * cam_h / Z
    hh = f * height / Z
    ww = f * width / Z
    boxes = np.stack([xi - ww / 2, yf - hh, xi + ww / 2, yf], -1)
    return boxes, Z, np.zeros((0, 4))


def scene_crowd(rng, T):
    """Forty people milling in a square: frequent mutual occlusion, turns, stops."""
    n = 40
    beh = ["stopgo" if rng.random() < 0.35 else "cruise" for _ in range(n)]
    pos, _ = simulate_agents(rng, T, n, region=(60, 300, W - 60, 1070), speed=(1.0, 4.0),
                             accel=0.12, decel=0.3, turn_sd=0.05, behaviours=beh)
    w, h = person_sizes(rng, n, h_range=(95, 170))
    boxes = foot_boxes(pos, w, h, T, rng)
    return boxes, -pos[..., 1], np.zeros((0, 4))


def scene_sprint(rng, T):
    """Six players on a pitch: sprints up to 24 px/frame, dead stops, sharp cuts; they run
    to the touchlines and partly out of view."""
    n = 6
    pos, _ = simulate_agents(rng, T, n, region=(-20, 260, W + 20, 1100), speed=(4.0, 14.0),
                             accel=1.2, decel=2.0, turn_sd=0.02, behaviours=["sprint"] * n,
                             wall=60.0, sprint_vmax=24.0)
    w, h = person_sizes(rng, n, h_range=(120, 230), aspect=(0.4, 0.55))
    boxes = foot_boxes(pos, w, h, T, rng, gait=0.08)
    return boxes, -pos[..., 1], np.zeros((0, 4))


def scene_panzoom(rng, T):
    """A handheld-style camera pans across a wide square (stops, reverses) and zooms in
    1.0 -> 1.45 -> 1.15: every box moves and scales with the camera; people leave the view
    and come back with the same identity."""
    n = 20
    Wd, Hd = 3600.0, 1500.0
    beh = ["stopgo" if i % 4 == 0 else "cruise" for i in range(n)]
    pos, _ = simulate_agents(rng, T, n, region=(100, 400, Wd - 100, Hd - 20), speed=(1.8, 4.5),
                             accel=0.15, decel=0.3, turn_sd=0.03, behaviours=beh)
    w, h = person_sizes(rng, n, h_range=(110, 170))
    wb = foot_boxes(pos, w, h, T, rng)
    t = np.arange(T)
    # camera centre path: pan right with easing, pause, pan back left, small shake
    key_t = np.array([0, 0.3, 0.45, 0.75, 1.0]) * (T - 1)
    key_x = np.array([1000, 2300, 2300, 1500, 1700])
    cx = np.interp(t, key_t, key_x)
    cx = np.convolve(np.pad(cx, 20, mode="edge"), np.ones(41) / 41, mode="valid")
    cy = 900 + 40 * np.sin(2 * np.pi * t / (T * 0.8))
    shake = rng.normal(0, 1.5, (T, 2))
    zoom = np.interp(t, np.array([0, 0.25, 0.55, 0.8, 1.0]) * (T - 1), [1.0, 1.0, 1.45, 1.15, 1.15])
    zoom = np.convolve(np.pad(zoom, 15, mode="edge"), np.ones(31) / 31, mode="valid")
    ox = W / 2 - cx * zoom + shake[:, 0]
    oy = H / 2 - cy * zoom + shake[:, 1]
    boxes = wb * zoom[:, None, None] + np.stack([ox, oy, ox, oy], -1)[:, None, :]
    return boxes, -pos[..., 1], np.zeros((0, 4))


SEQUENCES = [
    dict(name="crosswalk", seed=101, frames=450, scene=scene_crosswalk),
    dict(name="traffic", seed=202, frames=600, scene=scene_traffic),
    dict(name="pillars", seed=303, frames=450, scene=scene_pillars),
    dict(name="plaza", seed=404, frames=600, scene=scene_plaza),
    dict(name="crowd", seed=505, frames=400, scene=scene_crowd),
    dict(name="sprint", seed=606, frames=300, scene=scene_sprint),
    dict(name="panzoom", seed=707, frames=500, scene=scene_panzoom),
]


# ----------------------------------------------------------------------------------------------
# Visibility and ground truth

GRID = 12
_FR = (np.arange(GRID) + 0.5) / GRID


def visibility(boxes, depth, occluders):
    """boxes (n, 4) full extents, depth (n,), occluders (k, 4) -> visibility (n,)."""
    n = len(boxes)
    if n == 0:
        return np.zeros(0)
    px = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * _FR[None, :]
    py = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * _FR[None, :]
    X = np.repeat(px[:, None, :], GRID, 1).reshape(n, -1)  # (n, G*G)
    Y = np.repeat(py[:, :, None], GRID, 2).reshape(n, -1)
    ok = (X >= 0) & (X < W) & (Y >= 0) & (Y < H)
    # a closer object hides what is behind its body (the middle 70% of its box width)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    hw = (boxes[:, 2] - boxes[:, 0]) * 0.35
    bx0, bx1 = cx - hw, cx + hw
    by0, by1 = boxes[:, 1], boxes[:, 3]
    closer = depth[None, :] < depth[:, None]  # [i, j]: j is in front of i
    inside = ((X[:, None, :] >= bx0[None, :, None]) & (X[:, None, :] <= bx1[None, :, None]) &
              (Y[:, None, :] >= by0[None, :, None]) & (Y[:, None, :] <= by1[None, :, None]))
    hidden = (inside & closer[:, :, None]).any(1)
    for o in occluders:
        hidden |= (X >= o[0]) & (X <= o[2]) & (Y >= o[1]) & (Y <= o[3])
    return (ok & ~hidden).mean(1)


def ground_truth(boxes, depth, occluders):
    """-> rows (frame, id, x1, y1, x2, y2 clipped, visibility), ids 1-based."""
    T, N, _ = boxes.shape
    rows = []
    for t in range(T):
        idx = np.nonzero(np.isfinite(boxes[t, :, 0]))[0]
        if len(idx) == 0:
            continue
        b = boxes[t, idx]
        vis = visibility(b, depth[t, idx], occluders)
        c = b.copy()
        c[:, [0, 2]] = np.clip(c[:, [0, 2]], 0, W)
        c[:, [1, 3]] = np.clip(c[:, [1, 3]], 0, H)
        keep = ((c[:, 2] - c[:, 0]) >= MIN_SIDE) & ((c[:, 3] - c[:, 1]) >= MIN_SIDE)
        for j in np.nonzero(keep)[0]:
            rows.append((t + 1, idx[j] + 1, *c[j], vis[j]))
    rows = np.array(rows, dtype=float).reshape(-1, 7)
    # renumber ids densely in order of first appearance
    order = {}
    for r in rows:
        order.setdefault(int(r[1]), len(order) + 1)
    rows[:, 1] = [order[int(i)] for i in rows[:, 1]]
    return rows


# ----------------------------------------------------------------------------------------------
# Detections

def detections(rng, gt, T, level):
    p = LEVELS[level]
    ids = np.unique(gt[:, 1]).astype(int)
    noise = {i: np.zeros(4) for i in ids}
    missing = {i: 0 for i in ids}
    rho = 0.6
    sizes = np.stack([gt[:, 4] - gt[:, 2], gt[:, 5] - gt[:, 3]], 1)
    clutter = []
    for _ in range(p["clutter"]):
        w, h = sizes[rng.integers(len(sizes))] * rng.uniform(0.7, 1.2)
        clutter.append((rng.uniform(0, W - w), rng.uniform(200, H - h), w, h))
    out = []
    by_frame = {f: gt[gt[:, 0] == f] for f in range(1, T + 1)}
    for f in range(1, T + 1):
        for r in by_frame[f]:
            i = int(r[1]); x1, y1, x2, y2, vis = r[2:7]
            w, h = x2 - x1, y2 - y1
            # AR(1) box noise, larger when partly hidden
            noise[i] = rho * noise[i] + math.sqrt(1 - rho * rho) * rng.normal(0, 1, 4)
            sig = p["jitter"] * (1 + 1.5 * (1 - vis))
            # miss bursts
            if missing[i] > 0:
                missing[i] -= 1
                continue
            if rng.random() < p["burst"]:
                missing[i] = int(rng.geometric(1 / p["burst_len"])) - 1
                continue
            pdet = p["recall"] * float(np.clip((vis - 0.15) / 0.45, 0, 1))
            if h < 40:
                pdet *= 0.85
            if rng.random() >= pdet:
                continue
            cx = (x1 + x2) / 2 + sig * w * noise[i][0]
            cy = (y1 + y2) / 2 + sig * h * noise[i][1]
            dw = w * math.exp(sig * noise[i][2])
            dh = h * math.exp(sig * noise[i][3])
            if rng.random() < p["lowconf"]:
                score = rng.uniform(0.1, 0.5)
            else:
                score = 0.55 + 0.4 * min(1.0, (vis - 0.15) / 0.45) + rng.normal(0, p["score_sd"])
            out.append((f, cx - dw / 2, cy - dh / 2, cx + dw / 2, cy + dh / 2, score))
            if rng.random() < p["dup"]:
                sx = rng.choice([-1, 1]) * rng.uniform(0.15, 0.35) * w
                out.append((f, cx + sx - dw * 0.45, cy - dh * 0.5, cx + sx + dw * 0.45,
                            cy + dh * 0.45, score * rng.uniform(0.3, 0.7)))
        for _ in range(rng.poisson(p["fp_rate"])):
            w, h = sizes[rng.integers(len(sizes))] * rng.uniform(0.6, 1.4)
            x, y = rng.uniform(-0.2 * w, W - 0.8 * w), rng.uniform(-0.2 * h, H - 0.8 * h)
            out.append((f, x, y, x + w, y + h, 0.1 + 0.6 * rng.beta(1.5, 3.0)))
        for (x, y, w, h) in clutter:
            if rng.random() < 0.3:
                jx, jy = rng.normal(0, 0.03, 2) * (w, h)
                out.append((f, x + jx, y + jy, x + jx + w, y + jy + h, rng.uniform(0.2, 0.7)))
    d = np.array(out, dtype=float).reshape(-1, 6)
    d[:, [1, 3]] = np.clip(d[:, [1, 3]], 0, W)
    d[:, [2, 4]] = np.clip(d[:, [2, 4]], 0, H)
    d[:, 5] = np.clip(d[:, 5], 0.01, 0.99)
    keep = ((d[:, 3] - d[:, 1]) >= MIN_SIDE) & ((d[:, 4] - d[:, 2]) >= MIN_SIDE)
    return d[keep]


def write_sequence(root, spec):
    name, T = spec["name"], spec["frames"]
    rng = np.random.default_rng(spec["seed"])
    boxes, depth, occ = spec["scene"](rng, T)
    gt = ground_truth(boxes, depth, occ)
    seq = os.path.join(root, name)
    os.makedirs(os.path.join(seq, "gt"), exist_ok=True)
    os.makedirs(os.path.join(seq, "det"), exist_ok=True)
    with open(os.path.join(seq, "seqinfo.ini"), "w") as fh:
        fh.write(f"[Sequence]\nname={name}\nimDir=img1\nframeRate={FPS}\nseqLength={T}\n"
                 f"imWidth={W}\nimHeight={H}\nimExt=.jpg\n")
    with open(os.path.join(seq, "gt", "gt.txt"), "w") as fh:
        for f, i, x1, y1, x2, y2, v in gt:
            fh.write(f"{int(f)},{int(i)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},1,1,{v:.3f}\n")
    stats = dict(frames=T, objects=int(len(np.unique(gt[:, 1]))), gt_rows=int(len(gt)),
                 mean_objects_per_frame=round(len(gt) / T, 1),
                 occluded_rows=int((gt[:, 6] < 0.5).sum()),
                 box_height_px=[round(float(np.percentile(gt[:, 5] - gt[:, 3], q)), 1) for q in (5, 50, 95)],
                 levels={})
    for li, level in enumerate(LEVELS):
        drng = np.random.default_rng([spec["seed"], li + 1])
        det = detections(drng, gt, T, level)
        with open(os.path.join(seq, "det", f"det_{level}.txt"), "w") as fh:
            for f, x1, y1, x2, y2, s in det:
                fh.write(f"{int(f)},-1,{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{s:.3f},-1,-1,-1\n")
        stats["levels"][level] = dict(det_rows=int(len(det)))
    return stats


def generator_digest():
    with open(os.path.abspath(__file__), "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()[:16]


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=os.path.join(here, "data"))
    ap.add_argument("--sequences", nargs="*", help="subset of: " + " ".join(s["name"] for s in SEQUENCES))
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    chosen = [s for s in SEQUENCES if not a.sequences or s["name"] in a.sequences]
    manifest = dict(generator_version=GENERATOR_VERSION, generator_sha256=generator_digest(),
                    numpy=np.__version__, fps=FPS, width=W, height=H, levels=LEVELS, sequences={})
    for spec in chosen:
        st = write_sequence(a.out, spec)
        manifest["sequences"][spec["name"]] = dict(seed=spec["seed"], **st)
        print(f"{spec['name']:10s} {st['frames']} frames, {st['objects']} objects, "
              f"{st['mean_objects_per_frame']} per frame, box height p5/p50/p95 {st['box_height_px']} px, "
              f"det rows " + " ".join(f"{k}={v['det_rows']}" for k, v in st["levels"].items()),
              file=sys.stderr)
    with open(os.path.join(a.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


if __name__ == "__main__":
    main()
