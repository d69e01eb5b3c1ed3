"""The e-marketing cycle of services (seed 004, Arthur D. Little): preparation →
communication (AIDA: attention, interest, desire, action) → exchange → after-purchase, with
MOS's metrics on each step and where the cycle leaks.

A step's pass rate is the share that moved on from the step before (attention → interest:
CTR; interest → desire: leads per click; desire → action: new customers per lead; after-purchase:
30-day retention). The leak is the pass rate that fell most against the three months before
(relative change); with no history, the lowest pass rate is shown as the weakest step."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from mos.periods import add_months

# (step, AIDA sub-step or "", label, [(metric key, unit)])
STEPS = [
    ("preparation", "", _("Preparation"), []),
    ("communication", "attention", _("Attention"), [("impressions", "count"), ("spend", "currency")]),
    ("communication", "interest", _("Interest"), [("clicks", "count"), ("ctr", "ratio")]),
    ("communication", "desire", _("Desire"), [("leads", "count"), ("cpl", "currency")]),
    ("communication", "action", _("Action"), [("new_customers", "count"), ("cac", "currency")]),
    ("exchange", "", _("Exchange"), [("revenue", "currency"), ("orders", "count"),
                                     ("aov", "currency")]),
    ("after_purchase", "", _("After-purchase"), [("retention_d30", "ratio"), ("churn", "ratio"),
                                                 ("nrr_monthly", "ratio"), ("nps", "score")]),
]
STEP_LABELS = {"preparation": _("Preparation"), "communication": _("Communication (AIDA)"),
               "exchange": _("Exchange"), "after_purchase": _("After-purchase relationship")}
# metrics other apps may compute later under these keys (NPS from surveys)
OTHER_LABELS = {"nps": _("NPS")}
# pass rate of a step = numerator / denominator (keys of the month's totals)
PASS = {"interest": ("clicks", "impressions"), "desire": ("leads", "clicks"),
        "action": ("new_customers", "leads"), "after_purchase": ("retention_d30", None)}
PASS_LABELS = {"interest": _("click-through (clicks / impressions)"),
               "desire": _("leads per click"), "action": _("new customers per lead"),
               "after_purchase": _("30-day retention")}


def pass_rate(values: dict, sub: str) -> float | None:
    num, den = PASS[sub]
    n = values.get((num, ""))
    if den is None:
        return n
    d = values.get((den, ""))
    return n / d if n is not None and d else None


def find_leak(rates: dict, history: dict) -> tuple[str | None, str]:
    """(step, "drop" | "lowest") — pure: `rates` {step: rate}, `history` {step: mean rate of
    the months before}."""
    drops = {s: (r - history[s]) / history[s] for s, r in rates.items()
             if r is not None and history.get(s)}
    worst = min(drops.items(), key=lambda kv: kv[1], default=None)
    if worst and worst[1] < 0:
        return worst[0], "drop"
    present = {s: r for s, r in rates.items() if r is not None and s != "after_purchase"}
    if present:
        return min(present, key=present.get), "lowest"
    return None, ""


def cycle(workspace, month: date, today: date | None = None) -> dict:
    """The cycle for one month, with the three months before as the yardstick. A month's
    30-day retention is complete only 30 days after it ends: until then it is shown as
    still maturing and left out of the leak."""
    from datetime import timedelta

    from mos.periods import month_end, workspace_today

    from crm.models import Persona, Segment
    from engines.metrics.registry import REGISTRY

    from .selectors_plans import monthly_totals

    now = monthly_totals(workspace, [month])
    before = [monthly_totals(workspace, [add_months(month, -i)]) for i in (1, 2, 3)]
    rates, history = {}, {}
    for sub in PASS:
        rates[sub] = pass_rate(now, sub)
        past = [r for r in (pass_rate(b, sub) for b in before) if r is not None]
        history[sub] = sum(past) / len(past) if past else None
    today = today or workspace_today(workspace)
    maturing = month_end(month) + timedelta(days=30) > today
    leak, how = find_leak({k: v for k, v in rates.items()
                           if not (maturing and k == "after_purchase")}, history)
    steps = []
    for step, sub, label, metrics in STEPS:
        key = sub or step
        steps.append({
            "step": step, "sub": sub, "label": label, "group": STEP_LABELS[step],
            "metrics": [{"key": k, "unit": u, "value": now.get((k, "")),
                         "label": REGISTRY[k].label if k in REGISTRY else OTHER_LABELS.get(k, k)}
                        for k, u in metrics],
            "pass_rate": rates.get(key), "pass_label": PASS_LABELS.get(key, ""),
            "history": history.get(key), "leak": key == leak,
            "maturing": maturing and key == "after_purchase",
        })
    steps[0]["facts"] = {"personas": Persona.objects.filter(workspace=workspace).count(),
                         "segments": Segment.objects.filter(workspace=workspace).count()}
    return {"month": month, "steps": steps, "leak": leak, "leak_kind": how,
            "has_data": bool(now)}
