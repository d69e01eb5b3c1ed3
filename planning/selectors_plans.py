"""Reads of the plans (SOSTAC, bets, checklists, budget): every lookup starts from the
workspace (another workspace's code reads as missing: 404). Numbers come from engines."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.http import Http404
from django.shortcuts import get_object_or_404

from mos.codes import code_or_404
from mos.models import Workspace
from mos.periods import add_months, period_start, workspace_today

from .models_plans import (BudgetPlan, Checklist, ChecklistItem, PlanVersion, QuarterlyBet,
                           SostacPlan)

BETS_MIN, BETS_MAX = 3, 5  # seed 001: 3–5 bets a quarter
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")

# seed 000: the diagnostic questions to answer before acting (situation), in order
DIAGNOSTICS = ["lead_definition", "journey", "top_channel", "monthly_report", "experiments",
               "tools", "budget"]


def diagnostic_questions() -> list[tuple[str, str]]:
    """(key, question) in the reader's language."""
    from django.utils.translation import gettext as _

    labels = {
        "lead_definition": _("Do marketing and sales share one definition of a lead?"),
        "journey": _("Can you track a customer's journey from the first click to the "
                     "purchase?"),
        "top_channel": _("Which channel brings the most growth today, and can it scale?"),
        "monthly_report": _("Do you have a one-page monthly marketing report that ends in "
                            "decisions?"),
        "experiments": _("How many experiments did you run in the last 30 days, and what "
                         "did you learn?"),
        "tools": _("Are your tools integrated, or separate islands?"),
        "budget": _("Is your budget allocated by performance or by habit?"),
    }
    return [(k, labels[k]) for k in DIAGNOSTICS]


# --- lookups --------------------------------------------------------------------------------

def plan_list(workspace: Workspace):
    return SostacPlan.objects.filter(workspace=workspace).prefetch_related("versions")


def get_plan(workspace: Workspace, code) -> SostacPlan:
    return get_object_or_404(SostacPlan, workspace=workspace, code=code_or_404(code))


def get_version(plan: SostacPlan, number) -> PlanVersion:
    if not str(number).isdigit():
        raise Http404
    return get_object_or_404(PlanVersion, plan=plan, number=int(number))


def bet_list(workspace: Workspace, quarter: date | None = None):
    qs = QuarterlyBet.objects.filter(workspace=workspace).select_related(
        "owner", "engine", "kpi").prefetch_related("experiments")
    return qs.filter(quarter=quarter) if quarter else qs


def get_bet(workspace: Workspace, code) -> QuarterlyBet:
    return get_object_or_404(QuarterlyBet, workspace=workspace, code=code_or_404(code))


def checklist_list(workspace: Workspace):
    return Checklist.objects.filter(workspace=workspace).prefetch_related("items")


def get_checklist(workspace: Workspace, code) -> Checklist:
    return get_object_or_404(Checklist, workspace=workspace, code=code_or_404(code))


def get_checklist_item(workspace: Workspace, code) -> ChecklistItem:
    return get_object_or_404(ChecklistItem.objects.select_related("checklist"),
                             workspace=workspace, code=code_or_404(code))


def budget_plan_list(workspace: Workspace):
    return BudgetPlan.objects.filter(workspace=workspace).select_related("accepted_by")


def get_budget_plan(workspace: Workspace, code) -> BudgetPlan:
    return get_object_or_404(BudgetPlan, workspace=workspace, code=code_or_404(code))


def members(workspace: Workspace):
    from mos.models import User

    return User.objects.filter(memberships__workspace=workspace).order_by("name", "email")


# --- periods --------------------------------------------------------------------------------

def last_closed_month(workspace: Workspace) -> date:
    return add_months(workspace_today(workspace).replace(day=1), -1)


def current_quarter(workspace: Workspace) -> date:
    return period_start("quarter", workspace_today(workspace))


def parse_quarter(value: str) -> date:
    m = QUARTER_RE.match(value or "")
    if not m or not 1970 <= int(m.group(1)) <= 2200:
        raise Http404
    return date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)


def quarter_label(q: date) -> str:
    return f"{q.year}-Q{(q.month - 1) // 3 + 1}"


def quarter_over(workspace: Workspace, q: date) -> bool:
    return workspace_today(workspace) > add_months(q, 3) - timedelta(days=1)


# --- numbers --------------------------------------------------------------------------------

def _period(kind: str, start: date, months: int):
    from engines.dashboard import Period

    end = add_months(start, months - 1)
    label = quarter_label(start) if kind == "quarter" else f"{start:%Y-%m}"
    return Period(kind, start, end, label)


def monthly_totals(workspace: Workspace, months: list[date], dimension: str = "") -> dict:
    """{(key, dimension value): value} over `months`, ratios divided from their sums."""
    import pandas as pd

    from engines.metrics.registry import ltv_key
    from engines.metrics.rollup import aggregate, lookup
    from engines.models import MetricValue

    rows = MetricValue.objects.filter(workspace=workspace, grain="month", dimension=dimension,
                                      period__in=months).values_list(
        "key", "period", "dimension", "dimension_value", "value")
    df = pd.DataFrame.from_records(list(rows), columns=["key", "period", "dimension",
                                                       "dimension_value", "value"])
    return lookup(aggregate(df, months, dimension, aliases={"ltv": ltv_key(workspace)}))


def situation(workspace: Workspace, month: date | None = None) -> dict:
    """Where we are now (SOSTAC's S): the last closed month's key numbers, channels, funnel
    and cohorts, as plain data (keys, not labels: a frozen copy reads in any language)."""
    from engines import dashboard

    month = month or last_closed_month(workspace)
    data = dashboard.dashboard_data(workspace, {"period": "month", "month": f"{month:%Y-%m}"})
    cohorts = dashboard.cohort_rows(workspace, month, months=6)
    return {
        "month": f"{month:%Y-%m}",
        "headline": [{"key": h["key"], "unit": h["unit"], "value": h["value"],
                      "change": h["change"]} for h in data["headline"]],
        "channels": [{"key": c["key"], "name": c["name"], "spend": c["spend"],
                      "customers": c["customers"], "cac": c["cac"], "roas": c["roas"],
                      "ltv_cac": c["ltv_cac"]} for c in data["channels"]],
        "funnel": [{"stage": f["stage"], "entries": f["entries"],
                    "conversion": f["conversion"]} for f in data["funnel"]],
        "cohorts": _plain_cohorts(cohorts),
    }


def _plain_cohorts(c: dict) -> list[dict]:
    """The six most recent first-purchase cohorts and their first six months' retention."""
    out = []
    for row in (c or {}).get("rows", [])[-6:]:
        cohort = row["cohort"]
        out.append({"cohort": f"{cohort:%Y-%m}" if hasattr(cohort, "year") else str(cohort),
                    "size": row.get("size"),
                    "cells": [cell["value"] for cell in row["cells"][:6]]})
    return out


def diagnostic_hints(workspace: Workspace, sit: dict) -> dict:
    """What MOS already knows about some of seed 000's diagnostic questions."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from crm.models import LifecycleStage
    from experiments.models import Experiment
    from mos import diagnostics

    hints = diagnostics.answers(workspace)  # e.g. the monthly report, known to reports
    defined = LifecycleStage.objects.filter(workspace=workspace, key__in=["lead", "mql", "sql"]
                                            ).exclude(definition="").count()
    hints["lead_definition"] = _("%(n)d of 3 stage definitions (lead, MQL, SQL) written.") % {
        "n": defined}
    best = max((c for c in sit["channels"] if c["customers"]), key=lambda c: c["customers"],
               default=None)
    if best:
        hints["top_channel"] = _("%(name)s brought the most new customers in %(month)s.") % {
            "name": best["name"], "month": sit["month"]}
    since = timezone.now() - timedelta(days=30)
    n = Experiment.objects.filter(workspace=workspace, decided_at__gte=since).count()
    hints["experiments"] = _("%(n)d experiments decided in the last 30 days.") % {"n": n}
    accepted = BudgetPlan.objects.filter(workspace=workspace,
                                         status=BudgetPlan.Status.ACCEPTED).count()
    hints["budget"] = _("%(n)d monthly budget splits accepted from the numbers.") % {
        "n": accepted}
    return hints


def score_bet(actual: float | None, baseline: float | None, expected: float | None,
              direction: str = "up") -> str:
    """Hit (reached the expected value), partly (at least half the way from the baseline),
    missed; no data without an actual or an expected value."""
    if actual is None or expected is None:
        return QuarterlyBet.Score.NO_DATA
    if baseline is not None and expected != baseline:
        progress = (actual - baseline) / (expected - baseline)
        if progress >= 1:
            return QuarterlyBet.Score.HIT
        return QuarterlyBet.Score.PARTIAL if progress >= 0.5 else QuarterlyBet.Score.MISS
    reached = actual >= expected if direction != "down" else actual <= expected
    return QuarterlyBet.Score.HIT if reached else QuarterlyBet.Score.MISS


def north_star(workspace: Workspace):
    from engines.models import KPI

    return KPI.objects.filter(workspace=workspace, is_north_star=True).first()


def bet_actual(workspace: Workspace, bet: QuarterlyBet) -> float | None:
    """The bet's KPI (default: the North Star) over its quarter, as engines computes it."""
    kpi = bet.kpi or north_star(workspace)
    return None if kpi is None else kpi_quarter_actual(workspace, kpi, bet.quarter)


def kpi_quarter_actual(workspace: Workspace, kpi, quarter: date) -> float | None:
    """A KPI's value over a quarter (sums summed, ratios divided from their sums)."""
    from engines.selectors import kpi_status

    for row in kpi_status(workspace, _period("quarter", quarter, 3)):
        if row["kpi"].pk == kpi.pk:
            return row["actual"]
    return None


def kpi_unit(kpi) -> str:
    from engines.metrics.registry import REGISTRY

    return REGISTRY[kpi.metric_key].unit if kpi and kpi.metric_key in REGISTRY else "count"


def _channel_values(totals: dict, channel: str) -> dict:
    return {k: v for (k, dv), v in totals.items() if dv == channel}


def _cac_roas(model: str, values: dict) -> tuple[float | None, float | None]:
    """A channel's CAC and ROAS as the registry declares them, from its inputs (the same
    reading as the dashboard's channel table)."""
    from engines.metrics.rollup import ratio_of

    return ratio_of(f"cac.{model}", values), ratio_of(f"roas.{model}", values)


def budget_inputs(workspace: Workspace, basis: date) -> list:
    """Each channel's numbers in the basis month (and the month before, for marginal CAC)."""
    from crm.models import Channel
    from engines.metrics.registry import ltv_key

    from .budget import ChannelNumbers, marginal_cac

    model = workspace.attribution_model
    now = monthly_totals(workspace, [basis], "channel")
    before = monthly_totals(workspace, [add_months(basis, -1)], "channel")
    ltv = monthly_totals(workspace, [basis]).get((ltv_key(workspace), ""))
    out = []
    for ch in Channel.objects.filter(workspace=workspace).order_by("name"):
        spend = now.get(("spend", ch.key))
        if not spend:
            continue
        # the pipeline writes no row for a channel without conversions: that is zero
        cust = now.get((f"attributed_conversions.{model}", ch.key), 0.0)
        cac, roas = _cac_roas(model, _channel_values(now, ch.key))
        out.append(ChannelNumbers(
            key=ch.key, name=ch.name, spend=spend, customers=cust, cac=cac,
            marginal_cac=marginal_cac(spend, cust, before.get(("spend", ch.key)),
                                      before.get((f"attributed_conversions.{model}",
                                                  ch.key))),
            roas=roas, ltv_cac=(ltv / cac) if ltv and cac else None, ltv=ltv))
    return out


def budget_outcome(workspace: Workspace, plan: BudgetPlan) -> list[dict] | None:
    """Once the planned month has numbers: per channel, proposed vs accepted vs what was
    spent, and the CAC and ROAS it bought against the basis month's."""
    if plan.month > last_closed_month(workspace):
        return None  # the month is not over: a part-month is no comparison
    model = workspace.attribution_model
    after = monthly_totals(workspace, [plan.month], "channel")
    if not any(k == "spend" for k, _dv in after):
        return None
    rows = []
    for line in plan.proposal:
        key = line["channel"]
        cac_after, roas_after = _cac_roas(model, _channel_values(after, key))
        rows.append({
            "name": line["name"], "proposed": line["proposed"],
            "accepted": plan.accepted.get(key) if plan.accepted else None,
            "spent": after.get(("spend", key)),
            "cac_before": line["numbers"].get("cac"),
            "cac_after": cac_after,
            "roas_before": line["numbers"].get("roas"),
            "roas_after": roas_after,
        })
    return rows
