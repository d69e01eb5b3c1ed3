"""The metric registry: every metric MOS computes, with its key, label, unit and direction.

A *metric family* (acquisition, funnel, economics, retention, crm, attribution…) is a module
of pure functions over pandas frames. Each family registers the metric keys it produces with
`register(...)`; the pipeline, the KPI settings and the dashboard read labels, units and
directions from here, so a number is never shown without knowing which way is good.

Every compute function returns a *long* frame with the columns of `VALUE_COLUMNS`:
    key, grain, period, dimension, dimension_value, value
- grain: "day" | "week" | "month"
- period: the period's first day (datetime.date)
- dimension: "" (workspace total) | "channel" | "campaign" | "segment" | "cohort" | "stage"
  | "age" (months since cohort start)
- dimension_value: str ("" when dimension is "")
- value: float (NaN never stored: a metric with no denominator is simply absent)

Attribution-dependent metrics carry the model in the key: "<base>.<model>",
e.g. "cac.first_touch", "roas.markov"; `register(..., per_model=True)` registers one key per
model in ATTRIBUTION_MODELS.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

VALUE_COLUMNS = ["key", "grain", "period", "dimension", "dimension_value", "value"]

UNITS = ("count", "ratio", "currency", "days", "months", "multiple", "score")
DIRECTIONS = ("up", "down", "neutral")  # which way is good

ATTRIBUTION_MODELS = {
    "first_touch": _("First touch"),
    "last_touch": _("Last touch"),
    "linear": _("Linear"),
    "time_decay": _("Time decay"),
    "position_based": _("Position based (40/20/40)"),
    "markov": _("Data-driven (Markov)"),
}


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    direction: str
    family: str
    description: str = ""
    model: str = ""  # attribution model, for per-model keys


REGISTRY: dict[str, MetricDef] = {}


def register(key: str, *, label, unit: str, direction: str, family: str,
             description="", per_model: bool = False) -> None:
    """Declare a metric key (or, with per_model, one key per attribution model)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} for {key}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} for {key}")
    keys = [(f"{key}.{m}", m) for m in ATTRIBUTION_MODELS] if per_model else [(key, "")]
    for k, model in keys:
        if k in REGISTRY and REGISTRY[k].family != family:
            raise ValueError(f"metric key {k} registered twice")
        REGISTRY[k] = MetricDef(k, label, unit, direction, family, description, model)


def get_metric(key: str) -> MetricDef:
    """The definition of a registered key; KeyError for an unknown one."""
    return REGISTRY[key]


def metric_choices() -> list[tuple[str, str]]:
    """(key, label) pairs for forms, sorted by key."""
    out = []
    for k in sorted(REGISTRY):
        d = REGISTRY[k]
        label = f"{d.label} ({ATTRIBUTION_MODELS[d.model]})" if d.model else d.label
        out.append((k, label))
    return out
