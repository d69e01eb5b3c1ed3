"""Difference in differences: the effect of a campaign that had no holdout, from a geo (or
channel / campaign) comparison. A treated group (e.g. the countries where the campaign ran)
and a control group (where it did not) are read day by day on one of MOS's metrics, over a
period before and a period after the campaign started.

    d_t      = treated_t − control_t                    (each day)
    effect   = mean(d over after) − mean(d over before)
             = (T_after − T_before) − (C_after − C_before)
    SE       = sqrt(s²_after / n_after + s²_before / n_before)   (s²: sample variance of d_t)
    interval = effect ± t(1 − α/2, Welch–Satterthwaite df) · SE

Assumes parallel trends: without the campaign the two groups' difference would have stayed
where it was before. Days are treated as independent (no correction for autocorrelation), so
the interval is a first read, not a verdict; the page says so."""

from __future__ import annotations

import math
from statistics import fmean, variance

from scipy import stats


def did_estimate(treated_before, control_before, treated_after, control_after, *,
                 alpha: float = 0.05) -> dict | None:
    """The effect per day with its interval; None with fewer than two days in a period."""
    d_before = [t - c for t, c in zip(treated_before, control_before, strict=True)]
    d_after = [t - c for t, c in zip(treated_after, control_after, strict=True)]
    n0, n1 = len(d_before), len(d_after)
    if n0 < 2 or n1 < 2:
        return None
    v0, v1 = variance(d_before), variance(d_after)
    effect = fmean(d_after) - fmean(d_before)
    a, b = v1 / n1, v0 / n0
    se = math.sqrt(a + b)
    if se > 0:
        df = (a + b) ** 2 / ((a * a / (n1 - 1) if a else 0) + (b * b / (n0 - 1) if b else 0))
        crit = float(stats.t.ppf(1 - alpha / 2, df))
    else:
        df, crit = float(n0 + n1 - 2), 0.0
    means = {"treated_before": fmean(treated_before), "control_before": fmean(control_before),
             "treated_after": fmean(treated_after), "control_after": fmean(control_after)}
    counterfactual = means["treated_after"] - effect
    low, high = effect - crit * se, effect + crit * se
    return {**means, "effect": effect, "se": se, "df": df, "low": low, "high": high,
            "alpha": alpha, "days_before": n0, "days_after": n1,
            "relative": effect / counterfactual if counterfactual else None,
            "significant": low > 0 or high < 0}
