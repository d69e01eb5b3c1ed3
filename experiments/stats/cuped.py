"""CUPED (Deng et al. 2013): regress out each unit's pre-exposure value of the metric.

theta = Cov(Y, X) / Var(X), pooled over all units of all variants (as gbstats ``compute_theta``:
the covariance and variance of the joint sample). Adjusted value y'_i = y_i - theta (x_i - xbar),
xbar the pooled pre mean. Centring on the pooled mean leaves the overall mean unchanged, so the
absolute effect estimate is (m_t - theta xbar_t) - (m_c - theta xbar_c) exactly as gbstats, and each
arm's variance becomes var(Y) + theta^2 var(X) - 2 theta cov(Y, X) (gbstats
``RegressionAdjustedStatistic.variance``). The adjusted variants come back as ordinary
``SampleStats``, so ``frequentist``/``bayesian``/``sequential`` apply unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .core import SampleStats


@dataclass(frozen=True)
class CupedResult:
    stats: dict = field(default_factory=dict)  # label -> adjusted SampleStats
    theta: float = 0.0
    variance_reduction: float = float("nan")  # 1 - Var(y')/Var(y), pooled (= corr(x, y)^2)
    pre_mean: float = float("nan")

    def __getitem__(self, label):
        return self.stats[label]

    def __iter__(self):
        return iter(self.stats)

    def __len__(self):
        return len(self.stats)

    def items(self):
        return self.stats.items()

    def keys(self):
        return self.stats.keys()

    def values(self):
        return self.stats.values()


def cuped(post, pre, variant, theta: float | None = None, control=None) -> CupedResult:
    """Per-unit arrays of the metric after exposure (``post``), before (``pre``; 0 for a unit
    with no history) and the variant label of each unit. Returns adjusted SampleStats per label
    (in order of first appearance). A constant ``pre`` gives theta = 0 (no adjustment).

    With ``control`` (its label) the pre values are centred on the control's pre mean instead of
    the pooled one: the control's adjusted mean is then its raw mean, and the relative effect
    (m'_t - m_c) / |m_c| is exactly gbstats' CUPED point estimate."""
    y = np.asarray(post, dtype=float)
    x = np.asarray(pre, dtype=float)
    v = np.asarray(variant)
    if not (y.shape == x.shape == v.shape):
        raise ValueError("post, pre and variant must have the same length")
    labels, first = np.unique(v, return_index=True)
    labels = labels[np.argsort(first)]
    _, inv = np.unique(v, return_inverse=True)
    k = int(inv.max()) + 1 if inv.size else 0

    def per(values):
        return np.bincount(inv, weights=values, minlength=k)

    n = np.bincount(inv, minlength=k).astype(float)
    sums = dict(sy=per(y), syy=per(y * y), sx=per(x), sxx=per(x * x), sxy=per(x * y))
    uniq_sorted = np.unique(v)
    pos = {lab: i for i, lab in enumerate(uniq_sorted.tolist())}
    res = cuped_from_sums(
        n, theta=theta, control_index=None if control is None else pos[control], **sums
    )
    stats = {lab: res["stats"][pos[lab]] for lab in labels.tolist()}
    return CupedResult(
        stats=stats,
        theta=res["theta"],
        variance_reduction=res["variance_reduction"],
        pre_mean=res["pre_mean"],
    )


def cuped_from_sums(
    n, sy, syy, sx, sxx, sxy, theta: float | None = None, control_index: int | None = None
) -> dict:
    """The same from per-variant aggregates (what SQL computes): units ``n``, sums of post
    ``sy``, post^2 ``syy``, pre ``sx``, pre^2 ``sxx`` and post*pre ``sxy`` (arrays, one entry per
    variant). ``control_index`` centres on that variant's pre mean (see ``cuped``).
    Returns {"stats": [SampleStats...], "theta", "variance_reduction", "pre_mean"} where
    ``pre_mean`` is the centre used."""
    n, sy, syy, sx, sxx, sxy = (np.asarray(a, dtype=float) for a in (n, sy, syy, sx, sxx, sxy))
    N = n.sum()
    Sy, Syy, Sx, Sxx, Sxy = sy.sum(), syy.sum(), sx.sum(), sxx.sum(), sxy.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = Sx / N if N > 0 else np.nan
        if control_index is not None:
            xbar = sx[control_index] / n[control_index] if n[control_index] > 0 else np.nan
        # pooled moments for theta (always the joint sample, as gbstats)
        var_x = (Sxx - Sx * Sx / N) / (N - 1) if N > 1 else np.nan
        var_y = (Syy - Sy * Sy / N) / (N - 1) if N > 1 else np.nan
        cov = (Sxy - Sx * Sy / N) / (N - 1) if N > 1 else np.nan
        if theta is None:
            # a pre value that does not vary (up to rounding of its sum of squares) explains
            # nothing: theta = 0, no adjustment (gbstats reverts to the unadjusted statistic)
            x_varies = np.isfinite(var_x) and var_x > 1e-12 * (Sxx / N)
            theta = float(cov / var_x) if x_varies else 0.0
        if not np.isfinite(theta):
            theta = 0.0
        if N > 0 and np.isfinite(xbar):
            # y' = y - theta (x - xbar) summed per variant
            s_adj = sy - theta * (sx - n * xbar)
            ss_adj = syy - 2 * theta * (sxy - xbar * sy) + theta**2 * (sxx - 2 * xbar * sx + n * xbar**2)
        else:
            s_adj, ss_adj = sy.copy(), syy.copy()
        var_adj = var_y + theta**2 * var_x - 2 * theta * cov
        reduction = float(1 - var_adj / var_y) if (np.isfinite(var_y) and var_y > 0) else float("nan")
    stats = [SampleStats(float(a), float(b), float(c)) for a, b, c in zip(n, s_adj, ss_adj)]
    return dict(stats=stats, theta=float(theta), variance_reduction=reduction, pre_mean=float(xbar))
