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

UNITS = ("count", "ratio", "currency", "days", "months", "multiple", "score", "minutes")
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
class Ratio:
    """A ratio metric, declared once: numerator / denominator × scale. Over any set of periods
    (a quarter, a custom range) it is recomputed from the inputs' values for that set, never
    averaged. `when_positive` names an input that must be > 0 for the ratio to exist (no spend:
    no CAC and no ROAS, as the pipeline stores them)."""

    numerator: str
    denominator: str
    scale: float = 1.0
    when_positive: str = ""

    def of(self, values) -> float | None:
        """The ratio from `values` ({key: value}), or None when an input is missing or zero."""
        num, den = values.get(self.numerator), values.get(self.denominator)
        if num is None or den is None or den == 0:
            return None
        if self.when_positive and not (values.get(self.when_positive) or 0) > 0:
            return None
        return num / den * self.scale


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    direction: str
    family: str
    description: str = ""
    model: str = ""  # attribution model, for per-model keys
    additive: bool = False  # a sum over periods means something (spend, leads, revenue…)
    ratio: Ratio | None = None  # derived from two other keys (CAC, ROAS, CTR…)


REGISTRY: dict[str, MetricDef] = {}


def register(key: str, *, label, unit: str, direction: str, family: str,
             description="", per_model: bool = False, additive: bool = False,
             ratio: Ratio | None = None) -> None:
    """Declare a metric key (or, with per_model, one key per attribution model; a ratio's
    inputs may then name the model as "{model}")."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r} for {key}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} for {key}")
    keys = [(f"{key}.{m}", m) for m in ATTRIBUTION_MODELS] if per_model else [(key, "")]
    for k, model in keys:
        if k in REGISTRY and REGISTRY[k].family != family:
            raise ValueError(f"metric key {k} registered twice")
        r = ratio
        if ratio is not None and model:
            r = Ratio(ratio.numerator.format(model=model), ratio.denominator.format(model=model),
                      ratio.scale, ratio.when_positive.format(model=model))
        REGISTRY[k] = MetricDef(k, label, unit, direction, family, description, model,
                                additive, r)


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


# the families, in the order the KPI form lists them (a family not named here comes last)
FAMILIES = {
    "acquisition": _("Acquisition"),
    "funnel": _("Funnel"),
    "economics": _("Unit economics"),
    "subscriptions": _("Subscriptions"),
    "retention": _("Retention"),
    "clv": _("Customer lifetime value"),
    "crm": _("CRM"),
    "attribution": _("Attribution"),
    "models": _("Models"),
    "service": _("Customer service"),
}


def metric_groups() -> list[dict]:
    """The metrics grouped by family (the KPI form's optgroups and its glossary): [{family,
    label, metrics: [MetricDef with .choice_label]}], families in FAMILIES order."""
    labels = dict(metric_choices())
    order = list(FAMILIES)
    groups: dict[str, list] = {}
    for key in sorted(REGISTRY, key=lambda k: str(labels[k]).lower()):
        d = REGISTRY[key]
        ratio = d.ratio and [REGISTRY[k].label if k in REGISTRY else k
                             for k in (d.ratio.numerator, d.ratio.denominator)]
        groups.setdefault(d.family, []).append(
            {"key": key, "label": labels[key], "description": d.description, "ratio": ratio})
    fams = sorted(groups, key=lambda f: (order.index(f) if f in order else len(order), f))
    return [{"family": f, "label": FAMILIES.get(f, f), "metrics": groups[f]} for f in fams]


def is_additive(key: str) -> bool:
    d = REGISTRY.get(key)
    return d is not None and d.additive


def ratio_keys() -> dict[str, Ratio]:
    """{key: its Ratio} for every ratio metric."""
    return {k: d.ratio for k, d in REGISTRY.items() if d.ratio is not None}


def ltv_key(workspace) -> str:
    """The LTV a workspace reads: the subscription formula, or predicted (BG/NBD) LTV."""
    return "ltv_subscription" if workspace.business == "subscription" else "ltv_predicted"
