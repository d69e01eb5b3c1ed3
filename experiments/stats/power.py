"""Planning: required sample size per variant and expected duration.

Proportions (two-proportion z-test, unpooled alternative, pooled null; Fleiss without
continuity correction; = statsmodels ``samplesize_proportions_2indep_onetail``):

    n = ( z_a sqrt(2 pbar (1 - pbar)) + z_b sqrt(p1 (1 - p1) + p2 (1 - p2)) )^2 / (p2 - p1)^2

Means (two-sample z approximation with a common standard deviation sigma):

    n = 2 sigma^2 (z_a + z_b)^2 / delta^2

z_a = Phi^-1(1 - alpha/2) two-sided (1 - alpha one-sided), z_b = Phi^-1(power); rounded up.
"""

from __future__ import annotations

import math

from scipy import stats as st


def required_sample_size(
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    relative: bool = True,
    two_sided: bool = True,
    kind: str = "proportion",
    std: float | None = None,
) -> int:
    """Units needed *per variant* to detect ``mde`` with the given alpha and power.

    ``baseline`` is the control rate (proportion) or mean (means). ``mde`` is relative to the
    baseline (0.1 = +10 %) when ``relative`` else absolute. For ``kind="mean"`` give ``std``
    (per-unit standard deviation). Raises ``ValueError`` on inputs that have no answer (a rate
    outside (0, 1), a zero effect, alpha/power outside (0, 1), missing std) so forms can show it.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if not 0 < power < 1:
        raise ValueError("power must be between 0 and 1")
    z_a = st.norm.ppf(1 - alpha / 2) if two_sided else st.norm.ppf(1 - alpha)
    z_b = st.norm.ppf(power)
    delta = mde * baseline if relative else mde
    if not delta or not math.isfinite(delta):
        raise ValueError("the minimum detectable effect must be non-zero")
    if kind == "proportion":
        p1, p2 = float(baseline), float(baseline + delta)
        if not (0 < p1 < 1):
            raise ValueError("the baseline rate must be between 0 and 1")
        if not (0 < p2 < 1):
            raise ValueError("baseline plus the effect must stay between 0 and 1")
        pbar = (p1 + p2) / 2
        num = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
        n = num**2 / (p2 - p1) ** 2
    elif kind == "mean":
        if std is None or not std > 0:
            raise ValueError("a positive standard deviation is needed for a mean metric")
        n = 2 * std**2 * (z_a + z_b) ** 2 / delta**2
    else:
        raise ValueError('kind must be "proportion" or "mean"')
    # guard against 1e-12 float noise turning 100.0 into 101
    return int(math.ceil(n - 1e-9))


def expected_duration_days(
    n_per_variant: float,
    n_variants: int,
    daily_traffic: float,
    share_in_experiment: float = 1.0,
    variant_shares=None,
) -> float:
    """Days until every variant has ``n_per_variant`` units.

    Equal split: n_per_variant * n_variants / (daily_traffic * share_in_experiment). With
    ``variant_shares`` (weights, any scale) the smallest arm decides:
    max_i n_per_variant / (daily_traffic * share * w_i / sum(w)). No traffic gives ``inf``.
    """
    daily = float(daily_traffic) * float(share_in_experiment)
    if not daily > 0:
        return math.inf
    if variant_shares is not None:
        w = [float(x) for x in variant_shares]
        total = sum(w)
        if total <= 0 or min(w) <= 0:
            return math.inf
        return max(n_per_variant / (daily * x / total) for x in w)
    return float(n_per_variant) * int(n_variants) / daily
