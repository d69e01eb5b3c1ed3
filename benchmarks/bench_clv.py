"""Time the predictive CLV models on synthetic customers (run by hand).

    .venv/bin/python benchmarks/bench_clv.py [--customers 1000000] [--seed 0]

Simulates orders of customers who follow BG/NBD (r=0.5, alpha=10 days, a=1, b=4) with
Gamma-Gamma spend (p=6, q=4, v=20) over two years, then times the RFM summary, the BG/NBD and
Gamma-Gamma maximum-likelihood fits, per-customer predictions and compute_clv, and prints the
recovered parameters next to the true ones.
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

from engines.metrics import clv  # noqa: E402

TRUE_BG = clv.BGNBDParams(r=0.5, alpha=10.0, a=1.0, b=4.0)  # time unit: days
TRUE_GG = clv.GammaGammaParams(p=6.0, q=4.0, v=20.0)


def simulate_orders(n: int, seed: int, days: int = 730) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUE_BG
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    first = rng.integers(0, days // 2, n)
    horizon = days - first
    arrivals = rng.poisson(lam * horizon)
    # Dropout happens right after a repeat purchase with probability p: geometric on 1, 2, ...
    count = np.minimum(arrivals, rng.geometric(drop))
    who = np.repeat(np.arange(n), arrivals)
    when = rng.random(len(who)) * horizon[who]  # Poisson arrivals given their number: uniforms
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    rank = np.arange(len(who)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < count[who]
    who = np.concatenate([np.arange(n), who[keep]])
    offset = np.concatenate([np.zeros(n), when[keep]])
    nu = rng.gamma(TRUE_GG.q, 1 / TRUE_GG.v, n)
    amount = rng.gamma(TRUE_GG.p, 1 / nu[who])
    start = pd.Timestamp("2023-01-01")
    return pd.DataFrame({
        "order_id": np.arange(len(who), dtype=np.int64), "contact_id": who.astype(np.int64),
        "occurred_at": start + pd.to_timedelta(first[who] + offset, unit="D"),
        "amount": amount, "kind": "new", "margin": np.nan})


def simulate_summary(n: int, seed: int):
    """Exact continuous-time (x, t_x, T) of n BG/NBD customers, observed 365-730 days."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = TRUE_BG
    lam, drop = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    t_cal = rng.uniform(365, 730, n)
    arrivals = rng.poisson(lam * t_cal)
    x = np.minimum(arrivals, rng.geometric(drop))
    # The x-th of `arrivals` uniform arrival times on (0, T) is T times a Beta(x, arrivals-x+1).
    t_x = np.where(x > 0, t_cal * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return x, t_x, t_cal


def timed(label: str, fn):
    # CPU seconds next to wall seconds: on a shared machine the CPU time is the steadier number.
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<40} {wall:8.2f} s wall {cpu:8.2f} s cpu")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    orders = simulate_orders(args.customers, args.seed)
    as_of = pd.Timestamp("2024-12-30")
    print(f"customers {args.customers:,}  orders {len(orders):,}  cpus {os.cpu_count()}")

    s = timed("rfm_summary (days)", lambda: clv.rfm_summary(orders, calibration_end=as_of,
                                                             time_unit_days=1))
    triples = len(s[["frequency", "recency", "T"]].drop_duplicates())
    print(f"  repeat customers {int((s['frequency'] > 0).sum()):,}  unique triples {triples:,}")
    bg = timed("fit_bgnbd", lambda: clv.fit_bgnbd(s["frequency"], s["recency"], s["T"]))
    repeat = s[s["frequency"] > 0]
    gg = timed("fit_gamma_gamma",
               lambda: clv.fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"]))
    spend = clv.expected_order_value(gg, s["frequency"], s["monetary_value"])
    timed("predicted_clv (12 discounted months)",
          lambda: clv.predicted_clv(bg, s, spend, periods_per_month=clv.DAYS_PER_MONTH,
                                    monthly_discount=0.01))
    timed("compute_clv end to end (weeks)",
          lambda: clv.compute_clv(orders, as_of=as_of, margin_default=0.4))
    x, t_x, t_cal = simulate_summary(args.customers, args.seed)
    exact = timed("fit_bgnbd, continuous-time triples", lambda: clv.fit_bgnbd(x, t_x, t_cal))
    # A sum of x Gamma(p, nu) spends is Gamma(p x, nu): exact mean repeat spend per customer.
    rng = np.random.default_rng(args.seed + 1)
    nu = rng.gamma(TRUE_GG.q, 1 / TRUE_GG.v, len(x))
    zbar = np.where(x > 0, rng.gamma(TRUE_GG.p * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1), 0)
    gg_exact = timed("fit_gamma_gamma, exact mean spends", lambda: clv.fit_gamma_gamma(x, zbar))
    print("BG/NBD true          ", tuple(TRUE_BG))
    print("  from daily orders  ", tuple(round(v, 3) for v in bg))
    print("  continuous-time    ", tuple(round(v, 3) for v in exact))
    print("GG     true          ", tuple(TRUE_GG))
    print("  from daily orders  ", tuple(round(v, 3) for v in gg))
    print("  exact mean spends  ", tuple(round(v, 3) for v in gg_exact))


if __name__ == "__main__":
    main()
