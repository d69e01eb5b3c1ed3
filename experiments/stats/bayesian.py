"""GrowthBook's Bayesian engine: a Gaussian model of the (relative or absolute) effect.

gbstats ``EffectBayesianABTest``: the data give an estimate of the effect and its standard
error (the same delta-method moments as the frequentist test); with a flat (improper) prior the
posterior of the effect is N(estimate, se^2); with an informative prior N(mu0, s0^2) it is the
precision-weighted normal-normal update. From that posterior:

* chance to win      P(effect > 0) = Phi(mu / sigma)
* credible interval  mu +- Phi^-1(1 - (1-ci)/2) sigma
* expected loss (GrowthBook's "risk"), closed form of the truncated-normal means:
    choosing control:   E[max(effect, 0)] = mu Phi(mu/sigma) + sigma phi(mu/sigma)
    choosing treatment: E[max(-effect, 0)] = sigma phi(mu/sigma) - mu Phi(-mu/sigma)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from .core import SampleStats, _scalar, broadcast_pair
from .frequentist import frequentist_arrays


@dataclass(frozen=True)
class BayesianResult:
    chance_to_win: float
    expected_loss_control: float  # expected loss (risk) of shipping control
    expected_loss_treatment: float  # expected loss (risk) of shipping treatment
    ci_low: float
    ci_high: float
    uplift_mean: float
    uplift_std: float
    relative: bool
    ci: float

    @property
    def risk(self):
        return (self.expected_loss_control, self.expected_loss_treatment)


def gaussian_posterior(data_mean, data_var, prior_mean=0.0, prior_var=None):
    """Normal-normal update; prior_var None (or inf) is GrowthBook's improper flat prior."""
    data_mean = np.asarray(data_mean, float)
    data_var = np.asarray(data_var, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(data_mean) & np.isfinite(data_var) & (data_var > 0)
        if prior_var is None or np.all(np.isinf(prior_var)):
            mean, var = data_mean, data_var
        else:
            prior_var = np.asarray(prior_var, float)
            prec = 1.0 / data_var + 1.0 / prior_var
            mean = (data_mean / data_var + np.asarray(prior_mean, float) / prior_var) / prec
            var = 1.0 / prec
        return np.where(ok, mean, np.nan), np.where(ok, var, np.nan)


def gaussian_decision(mu, sigma, ci=0.95):
    """Chance to win, expected losses and credible interval of N(mu, sigma^2) (vectorised)."""
    mu = np.asarray(mu, float)
    sigma = np.asarray(sigma, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = mu / sigma
        ctw = st.norm.cdf(z)
        pdf = st.norm.pdf(z)
        loss_c = mu * st.norm.cdf(z) + sigma * pdf
        loss_t = sigma * pdf - mu * st.norm.cdf(-z)
        # far tails: Phi and phi underflow; the exact limits are max(+-mu, 0)
        loss_c = np.where(np.abs(z) > 37, np.maximum(mu, 0.0), loss_c)
        loss_t = np.where(np.abs(z) > 37, np.maximum(-mu, 0.0), loss_t)
        q = st.norm.ppf(1 - (1 - ci) / 2)
        return dict(
            chance_to_win=ctw,
            expected_loss_control=loss_c,
            expected_loss_treatment=loss_t,
            ci_low=mu - q * sigma,
            ci_high=mu + q * sigma,
        )


def bayesian_arrays(nc, sc, ssc, nt, st_, sst, prior_mean=0.0, prior_var=None, ci=0.95, relative=True):
    f = frequentist_arrays(nc, sc, ssc, nt, st_, sst)
    k = "relative" if relative else "abs"
    mu, var = gaussian_posterior(f[f"{k}_effect"], f[f"{k}_se"] ** 2, prior_mean, prior_var)
    sigma = np.sqrt(var)
    out = gaussian_decision(mu, sigma, ci)
    out.update(uplift_mean=mu, uplift_std=sigma)
    return out


def bayesian(
    control: SampleStats,
    treatment: SampleStats,
    prior_mean: float = 0.0,
    prior_var: float | None = None,
    ci: float = 0.95,
    relative: bool = True,
) -> BayesianResult:
    """GrowthBook's Gaussian effect model. ``prior_mean``/``prior_var`` are on the scale of the
    effect (relative uplift by default; GrowthBook's proper-prior default is mean 0, sd 0.1, i.e.
    ``prior_var=0.01``). ``prior_var=None`` is the flat prior. Degenerate data give NaNs."""
    r = bayesian_arrays(*broadcast_pair(control, treatment), prior_mean, prior_var, ci, relative)
    return BayesianResult(
        chance_to_win=_scalar(r["chance_to_win"]),
        expected_loss_control=_scalar(r["expected_loss_control"]),
        expected_loss_treatment=_scalar(r["expected_loss_treatment"]),
        ci_low=_scalar(r["ci_low"]),
        ci_high=_scalar(r["ci_high"]),
        uplift_mean=_scalar(r["uplift_mean"]),
        uplift_std=_scalar(r["uplift_std"]),
        relative=relative,
        ci=ci,
    )
