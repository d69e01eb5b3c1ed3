"""Time the attribution models on synthetic paths (run by hand).

    .venv/bin/python benchmarks/bench_attribution.py [--paths 1000000] [--seed 0]

Generates one path per contact over 20 channels (1-8 touches in the 30 days before the as-of
date or the conversion, channel popularity Zipf-like, conversion odds rising with some channels),
then times path building, the exact Markov removal effects and every model's credit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.metrics import attribution as attr  # noqa: E402
from engines.metrics.registry import ATTRIBUTION_MODELS  # noqa: E402

CHANNELS = np.array([f"channel_{i:02d}" for i in range(20)], dtype=object)


def synthetic(n_paths: int, seed: int):
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp("2024-06-30")
    popularity = 1.0 / np.arange(1, len(CHANNELS) + 1)
    lengths = rng.integers(1, 9, n_paths)
    contact = np.repeat(np.arange(n_paths, dtype=np.int64), lengths)
    channel = rng.choice(len(CHANNELS), len(contact), p=popularity / popularity.sum())
    # Conversion odds grow with the touches of the even-numbered channels.
    helpful = np.bincount(contact, weights=(channel % 2 == 0), minlength=n_paths)
    converts = rng.random(n_paths) < 1 / (1 + np.exp(2.5 - 0.5 * helpful))
    end = as_of - pd.to_timedelta(rng.integers(0, 150, n_paths), unit="D")
    end = end.where(converts, as_of)
    hours_before = rng.integers(0, 29 * 24, len(contact))
    touchpoints = pd.DataFrame({
        "contact_id": contact, "channel": CHANNELS[channel],
        "occurred_at": end.to_numpy()[contact] - pd.to_timedelta(hours_before, unit="h")})
    buyers = np.flatnonzero(converts)
    conversions = pd.DataFrame({
        "contact_id": buyers.astype(np.int64), "converted_at": end.to_numpy()[buyers],
        "revenue": rng.gamma(2.0, 60.0, len(buyers))})
    return touchpoints, conversions, as_of


def timed(label: str, fn):
    # CPU seconds next to wall seconds: on a shared machine the CPU time is the steadier number.
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<34} {wall:8.2f} s wall {cpu:8.2f} s cpu")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    touchpoints, conversions, as_of = synthetic(args.paths, args.seed)
    print(f"paths {args.paths:,}  touchpoints {len(touchpoints):,}  "
          f"conversions {len(conversions):,}  channels {len(CHANNELS)}  cpus {os.cpu_count()}")

    paths = timed("build_paths", lambda: attr.build_paths(touchpoints, conversions, as_of=as_of))
    effects = timed("markov_removal_effects (exact)", lambda: attr.markov_removal_effects(paths))
    credits = {}
    for model in ATTRIBUTION_MODELS:
        credit = timed(f"credit {model}",
                       lambda m=model: attr.credit_paths(paths, m, 7.0, effects))
        assert abs(credit["credit"].sum() - len(conversions)) < 1e-6 * len(conversions)
        credits[model] = credit
    timed("attribute(model=markov) end to end",
          lambda: attr.attribute(touchpoints, conversions, model="markov", as_of=as_of))
    out = timed("compute_attribution (6 models)",
                lambda: attr.compute_attribution(touchpoints, conversions, as_of=as_of))
    print(f"value rows {len(out):,}")
    print("P(conversion)", round(effects.attrs["p_conversion"], 4))
    per_conversion = credits["markov"].groupby("channel")["credit"].sum()
    share = pd.DataFrame({"per_conversion": per_conversion / len(conversions),
                          "global": attr.markov_channel_totals(paths) / len(conversions)})
    print("Markov credit share, per-conversion split vs global (ChannelAttribution) formula:")
    print((share * 100).round(2).sort_values("global", ascending=False).head(6).to_string())
    print("removal effects:", ", ".join(f"{c[-2:]}={v:.3f}" for c, v in effects.items()))


if __name__ == "__main__":
    main()
