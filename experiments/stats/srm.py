"""Sample-ratio mismatch: Pearson chi-square of observed units against the planned split.

chi2 = sum_i (o_i - e_i)^2 / e_i,  e_i = N w_i / sum(w),  dof = (arms with w_i > 0) - 1,
p = chi2.sf(chi2, dof); flagged when p < threshold (0.001, as GrowthBook's warning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from .core import _scalar


@dataclass(frozen=True)
class SrmResult:
    chi2: float
    p_value: float
    flagged: bool
    dof: float


def srm_arrays(observed, expected_shares, threshold=0.001):
    """Vectorised SRM: ``observed`` is (experiments x arms) with NaN padding for missing arms;
    ``expected_shares`` the same shape (or one row broadcast). Returns chi2, p, flagged, dof.

    Units observed in an arm planned at share 0 are a mismatch by definition: p = 0.
    """
    o = np.atleast_2d(np.asarray(observed, dtype=float))
    w = np.broadcast_to(np.atleast_2d(np.asarray(expected_shares, dtype=float)), o.shape)
    present = ~np.isnan(o) & ~np.isnan(w)
    o0 = np.where(present, o, 0.0)
    w0 = np.where(present & (w > 0), w, 0.0)
    total = o0.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = total * w0 / w0.sum(axis=1, keepdims=True)
        terms = np.where(w0 > 0, (o0 - e) ** 2 / e, 0.0)
    chi2 = terms.sum(axis=1)
    dof = (w0 > 0).sum(axis=1) - 1.0
    leak = (present & (w <= 0) & (o0 > 0)).any(axis=1)
    with np.errstate(invalid="ignore"):
        p = np.where(dof > 0, st.chi2.sf(chi2, np.maximum(dof, 1)), np.nan)
    bad = (total[:, 0] <= 0) | (dof < 1) | ~np.isfinite(chi2)
    p = np.where(bad, np.nan, p)
    chi2 = np.where(bad, np.nan, chi2)
    p = np.where(leak & (total[:, 0] > 0), 0.0, p)
    chi2 = np.where(leak & (total[:, 0] > 0), np.inf, chi2)
    flagged = np.where(np.isnan(p), False, p < threshold)
    return dict(chi2=chi2, p_value=p, flagged=flagged, dof=dof)


def srm(observed_counts, expected_shares, threshold: float = 0.001) -> SrmResult:
    """Check one experiment's split. No units at all gives NaN and ``flagged=False``."""
    r = srm_arrays([observed_counts], [expected_shares], threshold)
    return SrmResult(
        chi2=_scalar(r["chi2"][0]),
        p_value=_scalar(r["p_value"][0]),
        flagged=bool(r["flagged"][0]),
        dof=_scalar(r["dof"][0]),
    )
