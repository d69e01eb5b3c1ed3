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
