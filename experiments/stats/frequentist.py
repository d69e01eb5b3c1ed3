"""Fixed-horizon frequentist comparison of a treatment with its control.

Formulas (see docs/experiments-statistics.md for the full derivation and the GrowthBook notes):

* absolute effect  d = m_t - m_c,  SE_u = sqrt(v_c/n_c + v_t/n_t)        (unpooled)
* relative effect  r = d / |m_c|,  Var(r) = v_t/(n_t m_c^2) + v_c m_t^2/(n_c m_c^4)  (delta method,
  gbstats ``frequentist_variance``)
* test "z" (default for proportions): normal reference; the absolute p-value uses the pooled SE
  sqrt(p(1-p)(1/n_c + 1/n_t)) (classic two-proportion z-test, = statsmodels ``proportions_ztest``);
  every interval uses the unpooled SE (Wald, = statsmodels ``confint_proportions_2indep(method="wald")``).
* test "t"/"welch" (default for means): Student t with Welch–Satterthwaite degrees of freedom,
  unpooled SE for test and interval (= scipy ``ttest_ind_from_stats(equal_var=False)`` for means and
  gbstats ``TwoSidedTTest`` for both kinds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from .core import SampleStats, _scalar, arm_moments, broadcast_pair, is_proportion

TESTS = ("auto", "z", "t", "welch")


@dataclass(frozen=True)
class FrequentistResult:
    # the headline numbers, all on the scale asked for (relative=True: relative uplift)
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    z_or_t: float
    dof: float  # inf for a z-test
    significant: bool
    # both scales, always
    mean_c: float
    mean_t: float
    abs_effect: float
    abs_ci_low: float
    abs_ci_high: float
    abs_p_value: float
    relative_effect: float
    relative_ci_low: float
    relative_ci_high: float
    relative_p_value: float
    se: float  # standard error of `effect` (unpooled)
    abs_se: float
    relative_se: float
    test: str  # "z" or "t" (array of those for array input)
    relative: bool
    alpha: float

    @property
    def relative_ci(self):
        return (self.relative_ci_low, self.relative_ci_high)

    @property
    def abs_ci(self):
        return (self.abs_ci_low, self.abs_ci_high)

    @property
    def ci(self):
        return (self.ci_low, self.ci_high)


def welch_dof(v_c, n_c, v_t, n_t):
    """Welch–Satterthwaite degrees of freedom (gbstats ``TTest.dof``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v_c / n_c, v_t / n_t
        return (a + b) ** 2 / (a * a / (n_c - 1) + b * b / (n_t - 1))


def frequentist_arrays(nc, sc, ssc, nt, st_, sst, alpha=0.05, test="auto"):
    """Vectorised core: every argument an array (broadcast); returns a dict of arrays."""
    if test not in TESTS:
        raise ValueError(f"test must be one of {TESTS}, not {test!r}")
    nc, sc, ssc, nt, st_, sst = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (nc, sc, ssc, nt, st_, sst))
    )
    prop = is_proportion(nc, sc, ssc) & is_proportion(nt, st_, sst)
    if test == "auto":
        use_z = prop
    else:
        use_z = np.full(prop.shape, test == "z")
    m_c, v_c = arm_moments(nc, sc, ssc, prop)
    m_t, v_t = arm_moments(nt, st_, sst, prop)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se2 = v_c / nc + v_t / nt
        se_abs = np.sqrt(se2)
        se_abs = np.where(se_abs > 0, se_abs, np.nan)  # zero variance: nothing to test
        dof = np.where(use_z, np.inf, welch_dof(v_c, nc, v_t, nt))
        d = m_t - m_c

        # pooled SE for the absolute two-proportion z-test
        p_pool = (sc + st_) / (nc + nt)
        se_pool = np.sqrt(p_pool * (1 - p_pool) * (1 / nc + 1 / nt))
        se_pool = np.where(se_pool > 0, se_pool, np.nan)
        se_test = np.where(use_z & prop, se_pool, se_abs)

        # relative (delta method) -- undefined when the control mean is 0
        rel = np.where(m_c != 0, d / np.abs(m_c), np.nan)
        var_rel = v_t / (nt * m_c**2) + v_c * m_t**2 / (nc * m_c**4)
        se_rel = np.sqrt(var_rel)
        se_rel = np.where((se_rel > 0) & (m_c != 0), se_rel, np.nan)

        q = np.where(use_z, st.norm.ppf(1 - alpha / 2), st.t.ppf(1 - alpha / 2, dof))
        stat_abs = d / se_test
        stat_rel = rel / se_rel
        p_abs = _two_sided_p(stat_abs, dof)
        p_rel = _two_sided_p(stat_rel, dof)
        return dict(
            mean_c=m_c,
            mean_t=m_t,
            abs_effect=d,
            abs_se=se_abs,
            abs_ci_low=d - q * se_abs,
            abs_ci_high=d + q * se_abs,
            abs_stat=stat_abs,
            abs_p_value=p_abs,
            relative_effect=rel,
            relative_se=se_rel,
            relative_ci_low=rel - q * se_rel,
            relative_ci_high=rel + q * se_rel,
            relative_stat=stat_rel,
            relative_p_value=p_rel,
            dof=dof,
            use_z=use_z,
            proportion=prop,
        )


def _two_sided_p(stat, dof):
    a = np.abs(stat)
    # t.sf with dof=inf is the normal tail, but keep the normal path exact and fast
    return np.where(np.isinf(dof), 2 * st.norm.sf(a), 2 * st.t.sf(a, np.where(np.isinf(dof), 1, dof)))


def frequentist(
    control: SampleStats,
    treatment: SampleStats,
    alpha: float = 0.05,
    relative: bool = True,
    test: str = "auto",
) -> FrequentistResult:
    """Compare ``treatment`` with ``control``; never raises on degenerate data (NaN instead).

    ``test``: "auto" (z for proportions, Welch t for means), "z", or "t"/"welch".
    The headline ``effect``/``ci``/``se``/``p_value``/``z_or_t``/``significant`` are all on one
    scale, so "significant" always agrees with "the interval excludes 0" (up to the pooled/unpooled
    difference of the proportion z-test):

    * ``relative=True``: the relative uplift with its delta-method SE, test statistic r/SE_r --
      GrowthBook's numbers (its p-value is of the relative effect);
    * ``relative=False``: the absolute difference with the classic test (pooled two-proportion
      z-test, or Welch t).

    Both scales are always in the result (``abs_*``, ``relative_*``). The delta-method SE of the
    relative effect includes the control mean's own noise, so it is the more conservative of the
    two: with 100/1000 vs 130/1000 the absolute z-test gives p = 0.035 while the relative CI is
    [-1.9 %, +61.9 %] (p = 0.065).
    """
    r = frequentist_arrays(*broadcast_pair(control, treatment), alpha=alpha, test=test)
    k = "relative" if relative else "abs"
    p = r[f"{k}_p_value"]
    with np.errstate(invalid="ignore"):
        significant = np.where(np.isnan(p), False, p < alpha)
    return FrequentistResult(
        effect=_scalar(r[f"{k}_effect"]),
        ci_low=_scalar(r[f"{k}_ci_low"]),
        ci_high=_scalar(r[f"{k}_ci_high"]),
        p_value=_scalar(p),
        z_or_t=_scalar(r[f"{k}_stat"]),
        dof=_scalar(r["dof"]),
        significant=_scalar(significant),
        mean_c=_scalar(r["mean_c"]),
        mean_t=_scalar(r["mean_t"]),
        abs_effect=_scalar(r["abs_effect"]),
        abs_ci_low=_scalar(r["abs_ci_low"]),
        abs_ci_high=_scalar(r["abs_ci_high"]),
        abs_p_value=_scalar(r["abs_p_value"]),
        relative_effect=_scalar(r["relative_effect"]),
        relative_ci_low=_scalar(r["relative_ci_low"]),
        relative_ci_high=_scalar(r["relative_ci_high"]),
        relative_p_value=_scalar(r["relative_p_value"]),
        se=_scalar(r[f"{k}_se"]),
        abs_se=_scalar(r["abs_se"]),
        relative_se=_scalar(r["relative_se"]),
        test=_scalar(np.where(r["use_z"], "z", "t")),
        relative=relative,
        alpha=alpha,
    )
