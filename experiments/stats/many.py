"""One vectorised pass over thousands of (experiment, variant vs control, metric) rows.

The nightly job builds flat numpy arrays -- one entry per comparison row -- and gets every
number the experiment pages show in one call: frequentist (z/t, absolute and relative CI),
Bayesian (chance to win, expected losses, credible interval), optional sequential interval and
multiple-testing adjusted p-values per family. SRM is per experiment: ``srm_many``.
"""

from __future__ import annotations

import numpy as np

from .bayesian import gaussian_decision, gaussian_posterior
from .frequentist import frequentist_arrays
from .multiple import adjust_pvalues
from .sequential import sequential_halfwidth
from .srm import srm_arrays


def analyse_many(
    n_c, sum_c, sum_sq_c, n_t, sum_t, sum_sq_t,
    alpha: float = 0.05,
    test: str = "auto",
    prior_mean=0.0,
    prior_var=None,
    ci: float = 0.95,
    tuning: float | None = None,
    correction: str | None = None,
    groups=None,
    relative: bool = True,
) -> dict:
    """Analyse every row at once. All array arguments have one entry per row (broadcastable).

    Returns a dict of arrays (same length): ``mean_c, mean_t, abs_effect, abs_se, abs_ci_low,
    abs_ci_high, abs_stat, abs_p_value, relative_effect, relative_se, relative_ci_low,
    relative_ci_high, relative_p_value, dof, use_z, proportion``, the headline ``p_value`` and
    ``significant`` (at ``alpha``) on the scale chosen by ``relative`` (as ``frequentist``), Bayesian ``chance_to_win, expected_loss_control, expected_loss_treatment,
    bayes_ci_low, bayes_ci_high, uplift_mean, uplift_std``, with ``tuning``
    also ``seq_ci_low, seq_ci_high, seq_crossed`` (both on the same scale), and with ``correction``
    ("holm"/"bh") ``adjusted_p_value`` within each ``groups`` family and ``significant_adjusted``.
    NaN marks rows that cannot be analysed (n = 0, zero variance, control mean 0 for relative).
    """
    r = frequentist_arrays(n_c, sum_c, sum_sq_c, n_t, sum_t, sum_sq_t, alpha=alpha, test=test)
    with np.errstate(invalid="ignore"):
        r["p_value"] = r["relative_p_value"] if relative else r["abs_p_value"]
        r["significant"] = np.where(np.isnan(r["p_value"]), False, r["p_value"] < alpha)
    k = "relative" if relative else "abs"
    mu, var = gaussian_posterior(r[f"{k}_effect"], r[f"{k}_se"] ** 2, prior_mean, prior_var)
    sigma = np.sqrt(var)
    b = gaussian_decision(mu, sigma, ci)
    r.update(
        chance_to_win=b["chance_to_win"],
        expected_loss_control=b["expected_loss_control"],
        expected_loss_treatment=b["expected_loss_treatment"],
        bayes_ci_low=b["ci_low"],
        bayes_ci_high=b["ci_high"],
        uplift_mean=mu,
        uplift_std=sigma,
    )
    if tuning is not None:
        n = np.asarray(n_c, float) + np.asarray(n_t, float)
        hw = sequential_halfwidth(r[f"{k}_se"], n, alpha, tuning)
        lo, hi = r[f"{k}_effect"] - hw, r[f"{k}_effect"] + hw
        r.update(seq_ci_low=lo, seq_ci_high=hi)
        with np.errstate(invalid="ignore"):
            r["seq_crossed"] = np.where(np.isnan(lo) | np.isnan(hi), False, (lo > 0) | (hi < 0))
    if correction:
        adj = adjust_pvalues(r["p_value"], method=correction, groups=groups)
        r["adjusted_p_value"] = adj
        with np.errstate(invalid="ignore"):
            r["significant_adjusted"] = np.where(np.isnan(adj), False, adj < alpha)
    return r


def srm_many(observed, expected_shares, threshold: float = 0.001) -> dict:
    """SRM for many experiments: ``observed`` (experiments x arms, NaN-padded), ``expected_shares``
    the same shape or one row. Returns arrays ``chi2, p_value, flagged, dof``."""
    return srm_arrays(observed, expected_shares, threshold)
