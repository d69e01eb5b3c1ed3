"""Multiple-testing corrections across arms and metrics (per workspace choice).

holm: step-down Holm-Bonferroni, adjusted p_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)) (FWER).
bh:   Benjamini-Hochberg, adjusted p_(i) = min_{j>=i} min(1, m p_(j) / j)           (FDR).
p_(1) <= ... <= p_(m) sorted within each family. NaN p-values are left NaN and do not count in m.
Same numbers as statsmodels ``multipletests(method="holm" | "fdr_bh")``.
"""

from __future__ import annotations

import numpy as np

METHODS = ("holm", "bh", "none")


def adjust_pvalues(pvalues, method: str = "holm", groups=None) -> np.ndarray:
    """Adjusted p-values, same shape as ``pvalues``. ``groups`` (optional, same length) adjusts
    within each family (e.g. one experiment's arms x metrics) in one vectorised pass."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    p = np.asarray(pvalues, dtype=float)
    shape = p.shape
    p = p.ravel()
    out = np.full(p.shape, np.nan)
    if method == "none":
        return p.reshape(shape).copy()
    if groups is None:
        g = np.zeros(p.shape, dtype=np.int64)
    else:
        _, g = np.unique(np.asarray(groups).ravel(), return_inverse=True)
        g = g.astype(np.int64)
    ok = ~np.isnan(p)
    idx = np.nonzero(ok)[0]
    if idx.size == 0:
        return out.reshape(shape)
    pv, gv = p[idx], g[idx]
    order = np.lexsort((pv, gv))  # by group, then p ascending
    ps, gs = pv[order], gv[order]
    # rank within group (1-based) and group size m
    starts = np.r_[0, np.nonzero(np.diff(gs))[0] + 1]
    sizes = np.diff(np.r_[starts, gs.size])
    start_of = np.repeat(starts, sizes)
    m = np.repeat(sizes, sizes).astype(float)
    rank = np.arange(gs.size) - start_of + 1.0
    if method == "holm":
        raw = np.minimum((m - rank + 1) * ps, 1.0)
    else:  # bh
        raw = np.minimum(m * ps / rank, 1.0)
    # Cumulative max (holm, forward) / min (bh, from the end) *within* each group, all groups in
    # one pass: work on the integer ranks of the values (exact), shifted by U per group so that
    # a group never sees its neighbours' values; max/min commute with the monotone rank map.
    uniq, inv = np.unique(raw, return_inverse=True)
    key = inv.astype(np.int64) + uniq.size * gs
    if method == "holm":
        acc = np.maximum.accumulate(key)
    else:
        acc = np.minimum.accumulate(key[::-1])[::-1]
    adj = uniq[acc - uniq.size * gs]
    adj = np.clip(adj, 0.0, 1.0)
    res = np.empty_like(adj)
    res[order] = adj
    out[idx] = res
    return out.reshape(shape)


def adjusted_ci(adjusted_p, effect, ci_low, ci_high, alpha: float = 0.05):
    """GrowthBook's interval for a corrected p-value (shared ``getAdjustedCI``): the SE implied
    by the adjusted p, |effect| / Phi^-1(1 - p_adj/2), times Phi^-1(1 - alpha/2) around the
    effect; (-inf, inf) when p_adj is ~1; never narrower than the unadjusted (ci_low, ci_high).
    Vectorised; NaN in, NaN out. Returns (low, high)."""
    from scipy import stats as st

    p = np.asarray(adjusted_p, float)
    eff = np.asarray(effect, float)
    lo0, hi0 = np.asarray(ci_low, float), np.asarray(ci_high, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = st.norm.ppf(1 - alpha / 2) * np.abs(eff / st.norm.ppf(1 - p / 2))
        lo, hi = eff - width, eff + width
        wider = (lo < lo0) & (hi > hi0)
        lo = np.where(wider, lo, lo0)
        hi = np.where(wider, hi, hi0)
        lo = np.where(p > 0.999999, -np.inf, lo)
        hi = np.where(p > 0.999999, np.inf, hi)
        nan = np.isnan(p) | np.isnan(eff)
        return np.where(nan, np.nan, lo), np.where(nan, np.nan, hi)
