"""Stored monthly values rolled up over any set of months (a quarter, a custom range):
additive keys are summed, ratio keys recomputed from their declared inputs (registry.Ratio),
point-in-time keys read in the last month. No formula lives here: only the declarations."""

from __future__ import annotations

from datetime import date

import pandas as pd

from .registry import REGISTRY, is_additive, ratio_keys

VALUE_FRAME = ["key", "dimension_value", "value"]


def aggregate(df: pd.DataFrame, months: list[date], dimension: str = "", *,
              aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """One value per (key, dimension_value) over `months` from monthly rows
    (key, period, dimension, dimension_value, value). `aliases` name the keys a ratio's
    abstract input stands for (e.g. {"ltv": "ltv_subscription"})."""
    part = df[(df["dimension"] == dimension) & df["period"].isin(months)] if not df.empty else df
    if part.empty:
        return pd.DataFrame(columns=VALUE_FRAME)
    additive = part["key"].map(is_additive)
    sums = part[additive].groupby(["key", "dimension_value"], as_index=False)["value"].sum()
    last = (part[~additive].sort_values("period")
            .groupby(["key", "dimension_value"], as_index=False).last()[VALUE_FRAME])
    out = pd.concat([sums, last], ignore_index=True)
    if len(months) == 1:  # a stored month is already its own ratio
        return out
    return _recompute_ratios(out, aliases or {})


def _recompute_ratios(out: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    wide = out.pivot(index="dimension_value", columns="key", values="value")
    for alias, key in aliases.items():
        if key in wide:
            wide[alias] = wide[key]
    ratios = ratio_keys()
    # ratios of plain inputs first, then ratios of ratios (LTV:CAC reads the recomputed CAC)
    order = sorted(ratios, key=lambda k: (ratios[k].numerator in ratios
                                          or ratios[k].denominator in ratios))
    derived = {}
    for key in order:
        r = ratios[key]
        if r.numerator not in wide or r.denominator not in wide:
            continue
        den = wide[r.denominator]
        v = wide[r.numerator] / den.where(den != 0) * r.scale
        if r.when_positive:
            if r.when_positive not in wide:
                continue
            v = v.where(wide[r.when_positive] > 0)
        wide[key] = derived[key] = v
    if not derived:
        return out
    rows = [pd.DataFrame({"key": k, "dimension_value": v.index, "value": v.values}).dropna()
            for k, v in derived.items()]
    return pd.concat([out[~out["key"].isin(derived)], *rows], ignore_index=True)


def lookup(agg: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """{(key, dimension value): value} of an aggregate, for many lookups at dict speed."""
    if agg is None or agg.empty:
        return {}
    return {(k, dv): float(v) for k, dv, v in
            zip(agg["key"], agg["dimension_value"], agg["value"])}


def ratio_of(key: str, values: dict) -> float | None:
    """A ratio key's value from its inputs' values ({input key: value}), as declared."""
    return REGISTRY[key].ratio.of(values)
