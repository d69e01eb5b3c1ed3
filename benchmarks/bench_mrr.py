"""Time MRR movements on synthetic subscriptions (run by hand).

    .venv/bin/python benchmarks/bench_mrr.py [--subscriptions 1000000] [--months 36] [--runs 5]

Generates `subscriptions` (default 1M) over `months` (default 36) for ~0.6 × as many customers:
starts spread over the months, 30 % with a 14-day trial, 55 % ended after a geometric number
of months, MRR from a few price points × seats, four plans; a fifth of the customers hold a
second subscription (expansion / contraction). Times the pure functions of
engines/metrics/subscriptions.py — the movement classification alone and compute_subscriptions
(every key, workspace, per plan and per cohort), cohort retention alone, and the same with five
segments — and, as an anchor, one plain pandas groupby that sums MRR
per (customer, month of start) over the same frame. Prints the median of `runs` runs and the
ratio to the anchor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.metrics import subscriptions as subs_metrics  # noqa: E402


def generate(n: int, months: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Timestamp]:
    rng = np.random.default_rng(seed)
    start0 = pd.Timestamp("2023-01-01")
    as_of = start0 + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    days = (as_of - start0).days
    started = start0 + pd.to_timedelta(rng.integers(0, days, n), "D") + pd.to_timedelta(
        rng.integers(0, 86400, n), "s")
    trial = pd.Series(started + pd.Timedelta(days=14)).where(rng.random(n) < 0.3)
    life = pd.to_timedelta(rng.geometric(0.08, n) * 30 + rng.integers(0, 30, n), "D")
    ended = pd.Series(started + life).where(rng.random(n) < 0.55)
    customers = int(n * 0.6)
    customer = np.concatenate([np.arange(customers), rng.integers(0, customers, n - customers)])
    plans = np.array(["starter", "pro", "team", "enterprise"], dtype=object)
    plan = plans[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])]
    price = np.array([19.0, 49.0, 99.0, 499.0])[pd.Index(plans).get_indexer(plan)]
    mrr = price * rng.integers(1, 6, n)
    frame = pd.DataFrame({"subscription_id": np.arange(n, dtype=np.int64),
                          "customer_id": customer.astype(np.int64), "plan": plan,
                          "mrr": mrr, "started_at": started,
                          "trial_end": trial.astype("datetime64[ns]"),
                          "ended_at": ended.astype("datetime64[ns]")})
    return frame, as_of


def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscriptions", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    frame, as_of = generate(args.subscriptions, args.months)
    print(f"{len(frame):,} subscriptions, {frame['customer_id'].nunique():,} customers, "
          f"{args.months} months to {as_of.date()}")

    def anchor():
        month = frame["started_at"].to_numpy().astype("datetime64[M]")
        return frame.groupby([frame["customer_id"].to_numpy(), month])["mrr"].sum()

    def movements():
        spans = subs_metrics.paying_spans(frame, as_of=as_of)
        return subs_metrics.monthly_movements(subs_metrics.customer_movements(spans),
                                              as_of=as_of)

    t_anchor, _ = timed(anchor, args.runs)
    t_moves, mm = timed(movements, args.runs)
    t_all, values = timed(lambda: subs_metrics.compute_subscriptions(frame, as_of=as_of,
                                                                     margin=0.8), args.runs)

    def cohorts():
        spans = subs_metrics.paying_spans(frame, as_of=as_of)
        return subs_metrics.cohort_retention(subs_metrics.customer_movements(spans),
                                             as_of=as_of)

    t_cohorts, cohort_values = timed(cohorts, args.runs)
    # five segments of a fifth of the customers each (a segment = a list of contact ids)
    customers = frame["customer_id"].unique()
    segments = {f"seg-{i}": customers[i::5] for i in range(5)}
    t_seg, seg_values = timed(lambda: subs_metrics.compute_subscriptions(
        frame, as_of=as_of, margin=0.8, segments=segments), args.runs)
    net = sum(subs_metrics.SIGN[k] * mm[f"mrr_{k}"] for k in subs_metrics.MOVEMENTS)
    assert (mm["mrr_end"] == mm["mrr_start"] + net).all()
    print(f"anchor: pandas groupby sum per (customer, start month)  {t_anchor:7.3f} s")
    print(f"MRR movements, workspace level (classify + monthly)     {t_moves:7.3f} s  "
          f"({t_moves / t_anchor:.1f}× anchor)")
    print(f"compute_subscriptions, every key, workspace + per plan  {t_all:7.3f} s  "
          f"({t_all / t_anchor:.1f}× anchor), {len(values):,} values")
    print(f"cohort retention (classify + cohort MRR/NRR/GRR by age) {t_cohorts:7.3f} s  "
          f"({t_cohorts / t_anchor:.1f}× anchor), {len(cohort_values):,} values")
    print(f"compute_subscriptions + 5 segments of 20 % each        {t_seg:7.3f} s  "
          f"({t_seg / t_anchor:.1f}× anchor), {len(seg_values):,} values")
    last = mm.iloc[-1]
    print(f"last month: MRR {last['mrr_end'] / 100:,.2f}, customers {last['customers_end']:,}, "
          f"new {last['mrr_new'] / 100:,.2f}, churn {last['mrr_churn'] / 100:,.2f}")


if __name__ == "__main__":
    main()
