"""Cumulative effect over time for the experiment page's chart.

Daily per-variant increments (units first exposed that day, and that day's contribution to sum and
sum of squares) are summed cumulatively; each day's point is the frequentist effect and interval on
all data up to that day (and, optionally, the always-valid sequential interval, which is the one
that may be looked at daily).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import SampleStats, as_arrays
from .frequentist import frequentist_arrays
from .sequential import sequential_halfwidth


@dataclass(frozen=True)
class CumulativeEffect:
    dates: list
    n_c: np.ndarray
    n_t: np.ndarray
    effect: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    seq_ci_low: np.ndarray | None
    seq_ci_high: np.ndarray | None
    relative: bool

    def as_rows(self):
        """List of dicts, one per day (JSON-friendly: NaN becomes None)."""
        def f(x):
            x = float(x)
            return None if np.isnan(x) else x

        rows = []
        for i, d in enumerate(self.dates):
            row = dict(
                date=d, n_c=f(self.n_c[i]), n_t=f(self.n_t[i]), effect=f(self.effect[i]),
                ci_low=f(self.ci_low[i]), ci_high=f(self.ci_high[i]), p_value=f(self.p_value[i]),
            )
            if self.seq_ci_low is not None:
                row.update(seq_ci_low=f(self.seq_ci_low[i]), seq_ci_high=f(self.seq_ci_high[i]))
            rows.append(row)
        return rows


def cumulative_effect_arrays(
    dates, control: SampleStats, treatment: SampleStats, alpha=0.05, relative=True,
    test="auto", tuning: float | None = 5000, already_cumulative: bool = False,
) -> CumulativeEffect:
    """``control``/``treatment`` hold arrays of *daily* n, sum, sum_sq aligned with ``dates``
    (sorted ascending). ``tuning=None`` skips the sequential interval.

    Daily increments add up only when each unit's value is counted on one day (e.g. units by day
    of first exposure). For per-unit totals that grow over time (revenue per user) the sum of
    squares is not additive: pass as-of-that-day totals with ``already_cumulative=True``."""
    acc = (lambda a: a) if already_cumulative else np.cumsum
    nc, sc, ssc = (acc(a) for a in as_arrays(control))
    nt, st_, sst = (acc(a) for a in as_arrays(treatment))
    f = frequentist_arrays(nc, sc, ssc, nt, st_, sst, alpha=alpha, test=test)
    k = "relative" if relative else "abs"
    lo = hi = None
    if tuning is not None:
        hw = sequential_halfwidth(f[f"{k}_se"], nc + nt, alpha, tuning)
        lo, hi = f[f"{k}_effect"] - hw, f[f"{k}_effect"] + hw
    return CumulativeEffect(
        dates=list(dates), n_c=nc, n_t=nt, effect=f[f"{k}_effect"], ci_low=f[f"{k}_ci_low"],
        ci_high=f[f"{k}_ci_high"], p_value=f[f"{k}_p_value"], seq_ci_low=lo, seq_ci_high=hi,
        relative=relative,
    )


def cumulative_effect(
    rows, control, treatment, alpha=0.05, relative=True, test="auto", tuning: float | None = 5000,
    already_cumulative: bool = False,
) -> CumulativeEffect:
    """From daily rows -- mappings with keys ``date``, ``variant``, ``n``, ``sum``, ``sum_sq``
    (or 5-tuples in that order) -- for the variant labelled ``control`` and the one labelled
    ``treatment``. Days missing for a variant count as zero; several rows for the same
    (date, variant) are added up; other variants are ignored."""
    acc: dict = {}
    for r in rows:
        if isinstance(r, dict):
            d, v, n, s, ss = r["date"], r["variant"], r["n"], r["sum"], r["sum_sq"]
        else:
            d, v, n, s, ss = r
        if v != control and v != treatment:
            continue
        day = acc.setdefault(d, {control: [0.0, 0.0, 0.0], treatment: [0.0, 0.0, 0.0]})
        t = day[v]
        t[0] += float(n)
        t[1] += float(s)
        t[2] += float(ss)
    dates = sorted(acc)
    c = np.array([acc[d][control] for d in dates], dtype=float).reshape(-1, 3)
    t = np.array([acc[d][treatment] for d in dates], dtype=float).reshape(-1, 3)
    return cumulative_effect_arrays(
        dates, SampleStats(c[:, 0], c[:, 1], c[:, 2]), SampleStats(t[:, 0], t[:, 1], t[:, 2]),
        alpha=alpha, relative=relative, test=test, tuning=tuning,
        already_cumulative=already_cumulative,
    )
