"""MOS experiment statistics: pure, vectorised functions (numpy/scipy only, no Django).

GrowthBook's ``gbstats`` is the reference; docs/experiments-statistics.md lists every formula
and where MOS differs.
"""

from .bayesian import BayesianResult, bayesian
from .core import SampleStats, mean_stats, proportion_stats
from .cumulative import CumulativeEffect, cumulative_effect, cumulative_effect_arrays
from .cuped import CupedResult, cuped, cuped_from_sums
from .frequentist import FrequentistResult, frequentist
from .many import analyse_many, srm_many
from .multiple import adjust_pvalues
from .power import expected_duration_days, required_sample_size
from .sequential import (
    ALLOWED_REASONS,
    BLOCKED_REASONS,
    END_DATE_REACHED,
    NO_PLAN,
    SAMPLE_REACHED,
    SEQUENTIAL_CROSSED,
    SRM_UNACKNOWLEDGED,
    TOO_EARLY,
    SequentialResult,
    can_decide,
    sequential,
)
from .srm import SrmResult, srm

__all__ = [
    "ALLOWED_REASONS",
    "BLOCKED_REASONS",
    "BayesianResult",
    "CumulativeEffect",
    "CupedResult",
    "END_DATE_REACHED",
    "FrequentistResult",
    "NO_PLAN",
    "SAMPLE_REACHED",
    "SEQUENTIAL_CROSSED",
    "SRM_UNACKNOWLEDGED",
    "SampleStats",
    "SequentialResult",
    "SrmResult",
    "TOO_EARLY",
    "adjust_pvalues",
    "analyse_many",
    "bayesian",
    "can_decide",
    "cumulative_effect",
    "cumulative_effect_arrays",
    "cuped",
    "cuped_from_sums",
    "expected_duration_days",
    "frequentist",
    "mean_stats",
    "proportion_stats",
    "required_sample_size",
    "sequential",
    "srm",
    "srm_many",
]
