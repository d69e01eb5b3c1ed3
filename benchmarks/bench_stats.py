"""Time the vectorised experiment analysis against a plain per-row loop (run by hand).

    .venv/bin/python benchmarks/bench_stats.py [--experiments 1000] [--variants 3] [--metrics 3]
                                               [--runs 5] [--seed 0]

Builds sufficient statistics for E experiments x V treatment variants (each against its control)
x M metrics -- one third conversion rates, two thirds revenue-like means -- and times:

* ``analyse_many``: one call over all comparison rows (z / Welch test, absolute and relative
  delta-method CI, Bayesian chance to win and expected losses, sequential interval, Holm within
  each experiment) plus ``srm_many`` over all experiments;
* the same numbers from a plain Python loop, one row at a time, calling scipy
  (``norm``, ``t``, ``ttest_ind_from_stats``, ``chisquare``), and Holm per experiment in plain
  Python (statsmodels' ``multipletests`` runs ``gc.collect()`` on every call, 0.1 s each here,
  which would make the loop look worse than it needs to be).

Prints the median of ``--runs`` runs of each, the ratio, and checks that both agree.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.stats import analyse_many, srm_many  # noqa: E402


def build(experiments: int, variants: int, metrics: int, seed: int):
    rng = np.random.default_rng(seed)
    rows = experiments * variants * metrics
    exp_id = np.repeat(np.arange(experiments), variants * metrics)
    metric = np.tile(np.arange(metrics), experiments * variants)
    # units per arm: controls and treatments around 2,000-40,000, a few with an SRM
    n_arm = rng.integers(2_000, 40_000, size=(experiments, variants + 1)).astype(float)
    n_c = n_arm[exp_id, 0]
    var_idx = np.tile(np.repeat(np.arange(1, variants + 1), metrics), experiments)
    n_t = n_arm[exp_id, var_idx]
    is_rate = metric % 3 == 0
    base = rng.uniform(0.02, 0.2, rows)
    lift = rng.normal(0, 0.05, rows)
    conv_c = rng.binomial(n_c.astype(np.int64), base).astype(float)
    conv_t = rng.binomial(n_t.astype(np.int64), np.clip(base * (1 + lift), 0, 1)).astype(float)
    mean_c, sd = rng.uniform(10, 100, rows), rng.uniform(5, 80, rows)
    mean_t = mean_c * (1 + lift)
    sum_c = np.where(is_rate, conv_c, n_c * (mean_c + rng.normal(0, 1, rows) * sd / np.sqrt(n_c)))
    sum_t = np.where(is_rate, conv_t, n_t * (mean_t + rng.normal(0, 1, rows) * sd / np.sqrt(n_t)))
    ss_c = np.where(is_rate, conv_c, sum_c**2 / n_c + (n_c - 1) * sd**2)
    ss_t = np.where(is_rate, conv_t, sum_t**2 / n_t + (n_t - 1) * sd**2)
    shares = np.full((experiments, variants + 1), 1.0)
    return dict(exp_id=exp_id, n_c=n_c, sum_c=sum_c, ss_c=ss_c, n_t=n_t, sum_t=sum_t, ss_t=ss_t,
                n_arm=n_arm, shares=shares)


def vectorised(d):
    r = analyse_many(d["n_c"], d["sum_c"], d["ss_c"], d["n_t"], d["sum_t"], d["ss_t"],
                     tuning=5000, correction="holm", groups=d["exp_id"])
    s = srm_many(d["n_arm"], d["shares"])
    return r, s


def loop(d):
    """The same numbers one row at a time with scipy scalars (the obvious implementation)."""
    out = {k: [] for k in ("relative_effect", "relative_ci_low", "relative_ci_high", "p_value",
                           "chance_to_win", "expected_loss_treatment", "abs_p_value")}
    q = sps.norm.ppf(0.975)
    rho2 = (-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 5000
    for i in range(d["n_c"].size):
        nc, sc, ssc = d["n_c"][i], d["sum_c"][i], d["ss_c"][i]
        nt, st, sst = d["n_t"][i], d["sum_t"][i], d["ss_t"][i]
        prop = sc == ssc and st == sst
        mc, mt = sc / nc, st / nt
        if prop:
            vc, vt = mc * (1 - mc), mt * (1 - mt)
            pool = (sc + st) / (nc + nt)
            z = (mt - mc) / math.sqrt(pool * (1 - pool) * (1 / nc + 1 / nt))
            p_abs = 2 * sps.norm.sf(abs(z))
            dof = math.inf
        else:
            vc, vt = (ssc - sc * sc / nc) / (nc - 1), (sst - st * st / nt) / (nt - 1)
            res = sps.ttest_ind_from_stats(mt, math.sqrt(vt), nt, mc, math.sqrt(vc), nc,
                                           equal_var=False)
            p_abs = res.pvalue
            a, b = vc / nc, vt / nt
            dof = (a + b) ** 2 / (a * a / (nc - 1) + b * b / (nt - 1))
        rel = (mt - mc) / abs(mc)
        se = math.sqrt(vt / (nt * mc**2) + vc * mt**2 / (nc * mc**4))
        qq = q if prop else sps.t.ppf(0.975, dof)
        p_rel = 2 * (sps.norm.sf(abs(rel / se)) if prop else sps.t.sf(abs(rel / se), dof))
        ctw = sps.norm.cdf(rel / se)
        loss_t = se * sps.norm.pdf(rel / se) - rel * sps.norm.cdf(-rel / se)
        n = nc + nt
        hw = math.sqrt(se**2 * n) * math.sqrt(
            2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / 0.05))
        _ = (rel - hw, rel + hw)
        for k, v in (("relative_effect", rel), ("relative_ci_low", rel - qq * se),
                     ("relative_ci_high", rel + qq * se), ("p_value", p_rel),
                     ("chance_to_win", ctw), ("expected_loss_treatment", loss_t),
                     ("abs_p_value", p_abs)):
            out[k].append(v)
    p = np.array(out["p_value"])
    adj = np.empty_like(p)
    for e in np.unique(d["exp_id"]):
        sel = d["exp_id"] == e
        adj[sel] = holm(p[sel])
    out["adjusted_p_value"] = adj
    srm_p = [sps.chisquare(row, row.sum() * w / w.sum()).pvalue
             for row, w in zip(d["n_arm"], d["shares"])]
    return {k: np.asarray(v) for k, v in out.items()}, np.asarray(srm_p)


def holm(p):
    order = sorted(range(len(p)), key=lambda i: p[i])
    m, running, out = len(p), 0.0, [0.0] * len(p)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def median_time(fn, arg, runs):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn(arg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--experiments", type=int, default=1000)
    ap.add_argument("--variants", type=int, default=3, help="treatment variants per experiment")
    ap.add_argument("--metrics", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    d = build(a.experiments, a.variants, a.metrics, a.seed)
    rows = d["n_c"].size
    print(f"{a.experiments} experiments x {a.variants} variants vs control x {a.metrics} metrics "
          f"= {rows} comparison rows; {a.runs} runs each")
    tv, (rv, sv) = median_time(vectorised, d, a.runs)
    tl, (rl, sl) = median_time(loop, d, a.runs)
    for k in rl:
        np.testing.assert_allclose(rv[k], rl[k], rtol=1e-9, atol=1e-15, err_msg=k)
    np.testing.assert_allclose(sv["p_value"], sl, rtol=1e-9)
    print(f"vectorised analyse_many + srm_many: median {tv * 1000:8.1f} ms "
          f"({rows / tv:,.0f} rows/s)")
    print(f"per-row loop with scipy:            median {tl * 1000:8.1f} ms "
          f"({rows / tl:,.0f} rows/s)")
    print(f"ratio loop / vectorised: {tl / tv:.0f}x  (results agree to 1e-9)")


if __name__ == "__main__":
    main()
