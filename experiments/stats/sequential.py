"""Always-valid inference: Howard et al. normal-mixture confidence sequences, as gbstats.

gbstats ``SequentialTwoSidedTTest`` (eq. 9 and 161 of Waudby-Smith et al. 2023,
arXiv:2103.06476v7), with N = n_c + n_t units and the fixed-horizon standard error se:

    rho       = sqrt((-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / tuning)
    s2        = se^2 N
    halfwidth = sqrt(s2) sqrt( 2 (N rho^2 + 1) / (N^2 rho^2) * ln( sqrt(N rho^2 + 1) / alpha ) )
    p         = min(1, 1 / E),  E = exp(rho^2 S / (2 (N rho^2 + 1))) / sqrt(N rho^2 + 1),
                S = effect^2 N / se^2

``tuning`` (gbstats ``sequential_tuning_parameter``, default 5000) is the total sample size at
which the sequence is tightest.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from .core import SampleStats, _scalar, broadcast_pair
from .frequentist import frequentist_arrays


@dataclass(frozen=True)
class SequentialResult:
    effect: float
    ci_low: float
    ci_high: float
    p_value: float  # always-valid p-value
    crossed: bool  # the confidence sequence excludes 0
    halfwidth: float
    n: float  # n_c + n_t
    rho: float
    relative: bool
    alpha: float
    tuning: float


def sequential_rho(alpha, tuning):
    return np.sqrt((-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / tuning)


def sequential_halfwidth(se, n, alpha=0.05, tuning=5000):
    se, n = np.asarray(se, float), np.asarray(n, float)
    rho = sequential_rho(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = se**2 * n
        nr2 = n * rho**2
        return np.sqrt(s2) * np.sqrt(2 * (nr2 + 1) / (n * rho) ** 2 * np.log(np.sqrt(nr2 + 1) / alpha))


def sequential_p_value(effect, se, n, alpha=0.05, tuning=5000):
    effect, se, n = (np.asarray(x, float) for x in (effect, se, n))
    rho = sequential_rho(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = effect**2 * n / se**2
        tr2p1 = n * rho**2 + 1
        log_e = rho**2 * s / (2 * tr2p1) - 0.5 * np.log(tr2p1)
        return np.minimum(np.exp(-log_e), 1.0)


def sequential_arrays(nc, sc, ssc, nt, st_, sst, alpha=0.05, tuning=5000, relative=True, test="auto"):
    f = frequentist_arrays(nc, sc, ssc, nt, st_, sst, alpha=alpha, test=test)
    k = "relative" if relative else "abs"
    eff, se = f[f"{k}_effect"], f[f"{k}_se"]
    n = np.asarray(nc, float) + np.asarray(nt, float)
    hw = sequential_halfwidth(se, n, alpha, tuning)
    lo, hi = eff - hw, eff + hw
    with np.errstate(invalid="ignore"):
        crossed = np.where(np.isnan(lo) | np.isnan(hi), False, (lo > 0) | (hi < 0))
    return dict(
        effect=eff,
        ci_low=lo,
        ci_high=hi,
        halfwidth=hw,
        p_value=sequential_p_value(eff, se, n, alpha, tuning),
        crossed=crossed,
        n=n,
    )


def sequential(
    control: SampleStats,
    treatment: SampleStats,
    alpha: float = 0.05,
    tuning: float = 5000,
    relative: bool = True,
    test: str = "auto",
) -> SequentialResult:
    """Always-valid confidence sequence for the effect; safe to look at every day."""
    r = sequential_arrays(*broadcast_pair(control, treatment), alpha, tuning, relative, test)
    return SequentialResult(
        effect=_scalar(r["effect"]),
        ci_low=_scalar(r["ci_low"]),
        ci_high=_scalar(r["ci_high"]),
        p_value=_scalar(r["p_value"]),
        crossed=_scalar(r["crossed"]),
        halfwidth=_scalar(r["halfwidth"]),
        n=_scalar(r["n"]),
        rho=float(sequential_rho(alpha, tuning)),
        relative=relative,
        alpha=alpha,
        tuning=tuning,
    )


# --------------------------------------------------------------------------------------
# "No early calls"

# Reason codes (stable strings the UI translates). Allowed:
SAMPLE_REACHED = "sample_reached"
END_DATE_REACHED = "end_date_reached"
SEQUENTIAL_CROSSED = "sequential_boundary_crossed"
# Blocked:
TOO_EARLY = "too_early"  # neither the planned sample nor the end date, no sequential crossing
NO_PLAN = "no_plan"  # neither a planned sample nor a planned end date: nothing to wait for
SRM_UNACKNOWLEDGED = "srm_unacknowledged"  # sample-ratio mismatch not acknowledged yet

ALLOWED_REASONS = (SAMPLE_REACHED, END_DATE_REACHED, SEQUENTIAL_CROSSED)
BLOCKED_REASONS = (TOO_EARLY, NO_PLAN, SRM_UNACKNOWLEDGED)


def can_decide(
    planned_n,
    current_n,
    planned_end,
    today,
    sequential_crossed: bool = False,
    srm_flagged: bool = False,
    srm_acknowledged: bool = False,
) -> tuple[bool, str]:
    """May a win/loss decision be recorded now? Returns ``(allowed, reason_code)``.

    Allowed when the planned sample per variant is reached by *every* variant (``current_n`` is a
    number or a sequence of per-variant counts; the smallest counts), or ``today`` is on/after
    ``planned_end``, or the sequential boundary is crossed -- in that order of reasons. An
    unacknowledged SRM flag blocks first. ``planned_n``/``planned_end`` may be None (not planned).
    Dates may be ``datetime.date`` or ``datetime.datetime`` (compared as dates).
    """
    if srm_flagged and not srm_acknowledged:
        return False, SRM_UNACKNOWLEDGED
    if current_n is None:
        smallest = 0.0
    elif np.ndim(current_n) == 0:
        smallest = float(current_n)
    else:
        arr = np.asarray(current_n, dtype=float)
        smallest = float(arr.min()) if arr.size else 0.0
    if planned_n is not None and planned_n > 0 and smallest >= planned_n:
        return True, SAMPLE_REACHED
    if planned_end is not None and today is not None and _as_date(today) >= _as_date(planned_end):
        return True, END_DATE_REACHED
    if sequential_crossed:
        return True, SEQUENTIAL_CROSSED
    if (planned_n is None or planned_n <= 0) and planned_end is None:
        return False, NO_PLAN
    return False, TOO_EARLY


def _as_date(d):
    return d.date() if isinstance(d, _dt.datetime) else d
