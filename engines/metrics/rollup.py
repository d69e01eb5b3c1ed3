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
    if 0 < len(df) <= SMALL:  # a KPI's few rows: plain Python, the same rules
        return _aggregate_rows(df, months, dimension, aliases or {})
    return _aggregate_pandas(df, months, dimension, aliases or {})


def _aggregate_pandas(df: pd.DataFrame, months: list[date], dimension: str,
                      aliases: dict[str, str]) -> pd.DataFrame:
    """aggregate() for a large frame, in pandas."""
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
    values = dict(zip(zip(out["key"], out["dimension_value"]), out["value"]))
    return _value_frame(_recompute_ratio_values(values, aliases))


def _value_frame(values: dict) -> pd.DataFrame:
    """{(key, dimension value): value} as a VALUE_FRAME."""
    if not values:
        return pd.DataFrame(columns=VALUE_FRAME)
    keys, dvs, vals = zip(*((k, dv, v) for (k, dv), v in values.items()))
    return pd.DataFrame({"key": list(keys), "dimension_value": list(dvs),
                         "value": list(vals)})


SMALL = 2_000  # rows: below this, pandas' fixed cost per call (≈ 10 ms) is the roll-up's cost


def _aggregate_rows(df: pd.DataFrame, months: list[date], dimension: str,
                    aliases: dict[str, str]) -> pd.DataFrame:
    """aggregate() for a small frame: roll_up() over its rows."""
    rows = zip(df["key"], df["period"], df["dimension"], df["dimension_value"], df["value"])
    return _value_frame(roll_up(rows, {0: months}, [dimension],
                                {dimension: aliases})[(0, dimension)])


def roll_up(rows, periods: dict, dimensions, aliases: dict[str, dict[str, str]] | None = None
            ) -> dict[tuple, dict[tuple[str, str], float]]:
    """aggregate() for several periods and dimensions in one pass over monthly rows
    (key, period, dimension, dimension_value, value), in plain Python with pandas' semantics:
    {(period name, dimension): {(key, dimension value): value}} for `periods` ({name: its
    months}). Sums skip missing values, the last value is the last non-missing one by period
    (NaN when all are missing), a ratio is recomputed where both inputs exist and the
    denominator is not 0 (ratios of plain inputs first, then ratios of ratios) over more than
    one month, and missing ratios are dropped. `aliases` ({dimension: {abstract input: key}})
    name the keys a ratio's abstract input stands for in that dimension."""
    names_of: dict[date, list] = {}
    for name, months in periods.items():
        for m in set(months):
            names_of.setdefault(m, []).append(name)
    wanted = set(dimensions)
    additive: dict[str, bool] = {}
    sums: dict[tuple, float] = {}
    last: dict[tuple, tuple] = {}
    for key, period, dim, dv, value in rows:
        if dim not in wanted or period not in names_of:
            continue
        add = additive.get(key)
        if add is None:
            add = additive[key] = is_additive(key)
        missing = value is None or value != value  # None or NaN
        for name in names_of[period]:
            slot = (name, dim, key, dv)
            if add:
                sums[slot] = sums.get(slot, 0.0) + (0.0 if missing else value)
            elif not missing:
                held = last.get(slot)
                if held is None or held[0] is None or period >= held[0]:
                    last[slot] = (period, value)
            elif slot not in last:
                last[slot] = (None, float("nan"))  # all missing: NaN, as pandas
    out: dict[tuple, dict] = {(name, dim): {} for name in periods for dim in dimensions}
    for (name, dim, key, dv), v in sums.items():
        out[(name, dim)][(key, dv)] = v
    for (name, dim, key, dv), (_p, v) in last.items():
        out[(name, dim)][(key, dv)] = v
    for (name, dim), values in out.items():
        if len(periods[name]) != 1 and values:
            out[(name, dim)] = _recompute_ratio_values(values, (aliases or {}).get(dim) or {})
    return out


def _recompute_ratio_values(values: dict, aliases: dict[str, str]) -> dict:
    """Every ratio key recomputed from its declared inputs over {(key, dimension value):
    value}: where both inputs exist and the denominator is not 0 (and the gate input, if
    any, is positive); ratios of plain inputs first, then ratios of ratios (LTV:CAC reads the
    recomputed CAC). A derived key's stored values are replaced, its missing ones dropped."""
    wide: dict[str, dict] = {}
    for (key, dv), v in values.items():
        wide.setdefault(key, {})[dv] = v
    for alias, key in aliases.items():
        if key in wide:
            wide[alias] = dict(wide[key])
    ratios = ratio_keys()
    order = sorted(ratios, key=lambda k: (ratios[k].numerator in ratios
                                          or ratios[k].denominator in ratios))
    derived = {}
    for key in order:
        r = ratios[key]
        if r.numerator not in wide or r.denominator not in wide:
            continue
        if r.when_positive and r.when_positive not in wide:
            continue
        num, den = wide[r.numerator], wide[r.denominator]
        gate = wide.get(r.when_positive) if r.when_positive else None
        v = {}
        for dv, n in num.items():
            d = den.get(dv)
            if d is None or d != d or d == 0 or n != n:
                continue
            if gate is not None and not (gate.get(dv) is not None and gate[dv] > 0):
                continue
            v[dv] = n / d * r.scale
        wide[key] = derived[key] = v
    if not derived:
        return values
    out = {k: v for k, v in values.items() if k[0] not in derived}
    for key, by_dv in derived.items():
        out.update({(key, dv): v for dv, v in by_dv.items()})
    return out


def lookup(agg: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """{(key, dimension value): value} of an aggregate, for many lookups at dict speed."""
    if agg is None or agg.empty:
        return {}
    return {(k, dv): float(v) for k, dv, v in
            zip(agg["key"], agg["dimension_value"], agg["value"])}


def ratio_of(key: str, values: dict) -> float | None:
    """A ratio key's value from its inputs' values ({input key: value}), as declared."""
    return REGISTRY[key].ratio.of(values)
