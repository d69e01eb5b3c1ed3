"""Time every family step of one recompute on frames loaded once, and check that a code change
left their values unchanged.

    .venv/bin/python benchmarks/step_values.py --database-url postgres://…/mos_pipebench_small \
        --dump /tmp/before.pkl [--runs 3] [--profile /tmp/steps.prof]
    .venv/bin/python benchmarks/step_values.py … --dump /tmp/after.pkl --compare /tmp/before.pkl

The frames are read once (load_frames, as the pipeline reads them) and cached in
`--frames` (a pickle), so successive versions of the code see the very same input. Each
step runs for its grains as the pipeline runs it; the values of every step, the contact
predictions and the model fits are pickled to --dump. --compare reports any difference: values
must be equal to the last bit (keys, periods and dimensions identical), predictions and fit
parameters too.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_steps(ctx_factory, steps):
    timings, parts = {}, {}
    ctx = ctx_factory()
    for step in steps:
        t = time.perf_counter()
        out = [step.compute(ctx, grain) for grain in step.grains]
        timings[step.name] = time.perf_counter() - t
        parts[step.name] = out
    return ctx, timings, parts


def canonical(parts: dict) -> pd.DataFrame:
    frames = [p.assign(step=name) for name, out in parts.items() for p in out
              if p is not None and len(p)]
    v = pd.concat(frames, ignore_index=True)
    v["period"] = pd.to_datetime(pd.Series(v["period"])).dt.date
    for c in ("dimension", "dimension_value"):
        v[c] = v[c].fillna("").astype(str)
    return v.sort_values(["step", "key", "grain", "period", "dimension", "dimension_value"],
                         kind="stable", ignore_index=True)


def compare(a: dict, b: dict) -> int:
    bad = 0
    va, vb = a["values"], b["values"]
    va = va[va["step"].isin(set(vb["step"]))]  # --only: the steps run in both
    ids = ["step", "key", "grain", "period", "dimension", "dimension_value"]
    m = va.merge(vb, on=ids, how="outer", suffixes=("_a", "_b"), indicator=True)
    only = m[m["_merge"] != "both"]
    if len(only):
        bad += len(only)
        print(f"{len(only)} values in one dump only:\n{only.head(20)}")
    both = m[m["_merge"] == "both"]
    x, y = both["value_a"].to_numpy(float), both["value_b"].to_numpy(float)
    diff = ~((x == y) | (np.isnan(x) & np.isnan(y)))
    if diff.any():
        bad += int(diff.sum())
        d = both[diff].assign(rel=np.abs(x[diff] - y[diff]) / np.maximum(np.abs(x[diff]), 1e-300))
        print(f"{int(diff.sum())} values differ (max rel {d['rel'].max():.3g}):\n"
              f"{d.sort_values('rel', ascending=False).head(20)}")
    print(f"values: {len(both)} compared, {int(diff.sum())} differ, {len(only)} unmatched")
    pa, pb = a["predictions"], b["predictions"]
    if not pa.index.equals(pb.index) or list(pa.columns) != list(pb.columns):
        bad += 1
        print("predictions: different contacts or columns")
    else:
        xa, xb = pa.to_numpy(float), pb.to_numpy(float)
        nd = int((~((xa == xb) | (np.isnan(xa) & np.isnan(xb)))).sum())
        rel = np.nanmax(np.abs(xa - xb) / np.maximum(np.abs(xa), 1e-300)) if nd else 0.0
        print(f"predictions: {xa.size} numbers compared, {nd} differ (max rel {rel:.3g})")
        bad += nd
    fa, fb = a["fits"], b["fits"]
    if repr(fa) != repr(fb):
        bad += 1
        print("fits differ:")
        for f, g in zip(fa, fb):
            if repr(f) != repr(g):
                print("  before", f.get("kind"), {k: f[k] for k in f if k != "details"})
                print("  after ", g.get("kind"), {k: g[k] for k in g if k != "details"})
    else:
        print(f"fits: {len(fa)} identical")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--slug", default="pipebench")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    ap.add_argument("--window-days", type=int, default=400)
    ap.add_argument("--frames", default=None, help="pickle of the loaded frames (made if absent)")
    ap.add_argument("--dump", default=None)
    ap.add_argument("--compare", default=None)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", default=None, help="comma-separated step names to time")
    ap.add_argument("--profile", default=None, help="cProfile the first run into this file")
    args = ap.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")
    import django

    django.setup()
    from engines.metrics import acquisition, pipeline
    from engines.metrics.loaders import Window, load_frames
    from mos.models import Workspace

    ws = Workspace.objects.get(slug=args.slug)
    window = Window.trailing(as_of=args.as_of, days=args.window_days,
                             lookback_days=ws.attribution_lookback_days, tz=ws.timezone)
    frames_path = args.frames or f"/tmp/step_values_{args.database_url.rsplit('/', 1)[1]}.pkl"
    if os.path.exists(frames_path):
        with open(frames_path, "rb") as fh:
            frames = pickle.load(fh)
    else:
        t = time.perf_counter()
        frames = load_frames(ws.pk, window)
        print(f"load_frames {time.perf_counter() - t:.2f} s")
        with open(frames_path, "wb") as fh:
            pickle.dump(frames, fh)
    steps = pipeline.STEPS
    if args.only:
        names = set(args.only.split(","))
        steps = [s for s in steps if s.name in names]

    def factory():
        ctx = pipeline.RunContext(workspace=ws, window=window,
                                  frames={k: v.copy() for k, v in frames.items()})
        pipeline.segment_frame(ctx)
        pipeline.service_frames(ctx)
        return ctx

    all_t = []
    for i in range(args.runs):
        with acquisition.shared_results():
            if args.profile and i == 0:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
                ctx, timings, parts = run_steps(factory, steps)
                prof.disable()
                prof.dump_stats(args.profile)
            else:
                ctx, timings, parts = run_steps(factory, steps)
        all_t.append(timings)
        print(f"run {i + 1}: total {sum(timings.values()):.2f} s  " + ", ".join(
            f"{k} {v:.2f}" for k, v in timings.items()), flush=True)
    if args.runs > 1:
        print("median: total {:.2f} s  ".format(statistics.median(
            sum(t.values()) for t in all_t)) + ", ".join(
            f"{k} {statistics.median(t[k] for t in all_t):.2f}" for k in all_t[0]))
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    if args.dump:
        dump = {"values": canonical(parts),
                "predictions": ctx.shared.get("predictions", pd.DataFrame()),
                "fits": ctx.shared.get("fits", [])}
        with open(args.dump, "wb") as fh:
            pickle.dump(dump, fh)
        if args.compare:
            with open(args.compare, "rb") as fh:
                before = pickle.load(fh)
            bad = compare(before, dump)
            print("SAME" if not bad else f"DIFFERENT ({bad})")
            sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
