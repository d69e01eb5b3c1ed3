"""The flow's incremental effect: conversion of treated contacts minus conversion of the
holdout, with a two-sided Wald interval for the difference of two proportions
(p_t - p_h ± z·sqrt(p_t(1-p_t)/n_t + p_h(1-p_h)/n_h)).

Why here and not experiments.stats: automation sits beside experiments in the layers and may
not import it; the function is eight lines of textbook maths, so it is written once more (and
tested on hand-computed numbers) rather than moving experiments' statistics down a floor in
the middle of other work."""

from __future__ import annotations

import math
from statistics import NormalDist


def lift_interval(conv_t: int, n_t: int, conv_h: int, n_h: int, *,
                  alpha: float = 0.05) -> dict | None:
    """{treated, holdout, lift, low, high, significant}; None without both groups."""
    if n_t <= 0 or n_h <= 0:
        return None
    pt, ph = conv_t / n_t, conv_h / n_h
    se = math.sqrt(pt * (1 - pt) / n_t + ph * (1 - ph) / n_h)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    diff = pt - ph
    low, high = diff - z * se, diff + z * se
    return {"treated": pt, "holdout": ph, "lift": diff, "low": low, "high": high,
            "significant": low > 0 or high < 0,
            "relative": (diff / ph) if ph > 0 else None}
