"""Shared building blocks: per-variant sufficient statistics and their moments.

Everything here works on scalars or numpy arrays alike (fields broadcast), so one call can
describe thousands of variants at once. No Django, no pandas: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SampleStats:
    """Sufficient statistics of one variant's metric: units, sum and sum of squares.

    For a proportion (conversion) metric every unit contributes 0 or 1, so
    ``sum == sum_sq == conversions``. Fields may be floats or equally shaped numpy arrays.
    """

    n: float
    sum: float
    sum_sq: float

    @property
    def mean(self):
        n, s, _ = as_arrays(self)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _scalar(np.where(n > 0, s / n, np.nan))

    @property
    def variance(self):
        """Sample variance (denominator n - 1); NaN for n < 2."""
        n, s, ss = as_arrays(self)
        return _scalar(sample_variance(n, s, ss))

    def __add__(self, other: "SampleStats") -> "SampleStats":
        return SampleStats(self.n + other.n, self.sum + other.sum, self.sum_sq + other.sum_sq)


def proportion_stats(n, conversions) -> SampleStats:
    """SampleStats of a conversion metric: ``n`` units of which ``conversions`` converted."""
    if isinstance(n, (list, tuple)) or isinstance(conversions, (list, tuple)):
        n, conversions = np.asarray(n, float), np.asarray(conversions, float)
    return SampleStats(n=n, sum=conversions, sum_sq=conversions)


def mean_stats(values) -> SampleStats:
    """SampleStats of raw per-unit values (convenience for tests and small data)."""
    x = np.asarray(values, dtype=float)
    return SampleStats(n=float(x.size), sum=float(x.sum()), sum_sq=float((x * x).sum()))


# --------------------------------------------------------------------------------------
# array helpers


def as_arrays(stats: SampleStats):
    return (
        np.asarray(stats.n, dtype=float),
        np.asarray(stats.sum, dtype=float),
        np.asarray(stats.sum_sq, dtype=float),
    )


def _scalar(x):
    """0-d arrays become Python floats/bools; real arrays stay arrays."""
    x = np.asarray(x)
    if x.ndim == 0:
        v = x.item()
        return v
    return x


def is_proportion(n, s, ss):
    """A variant is treated as a proportion metric when sum == sum_sq and 0 <= sum <= n.

    With non-negative integer values this holds exactly when every value is 0 or 1.
    """
    return (s == ss) & (s >= 0) & (s <= n)


def sample_variance(n, s, ss):
    """(sum_sq - sum^2/n) / (n - 1); NaN for n < 2; tiny negative rounding clipped to 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (ss - s * s / n) / (n - 1)
        # sums of squares of large values lose digits; a variance below the rounding noise
        # of ss is zero, not negative
        tol = 1e-12 * np.abs(ss) / np.maximum(n - 1, 1)
        v = np.where((v < 0) & (v >= -tol), 0.0, v)
        return np.where(n >= 2, v, np.nan)


def arm_moments(n, s, ss, proportion):
    """Mean and per-unit variance of one arm, with GrowthBook's conventions.

    proportion: variance p(1 - p) (Bernoulli MLE, gbstats ``ProportionStatistic``);
    otherwise: sample variance with n - 1 (gbstats ``SampleMeanStatistic``).
    n = 0 gives a NaN mean; a mean metric with n < 2 gives a NaN variance.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(proportion, mean * (1.0 - mean), sample_variance(n, s, ss))
    return mean, var


def broadcast_pair(control: SampleStats, treatment: SampleStats):
    nc, sc, ssc = as_arrays(control)
    nt, st, sst = as_arrays(treatment)
    return np.broadcast_arrays(nc, sc, ssc, nt, st, sst)
