"""Roles and rhythm (seed 001): who owns which engine and KPI, and the meeting calendar —
weekly review, monthly report, quarterly bets — each linked to the page it is held on."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from mos.periods import add_months, period_start

MEETINGS = {
    "weekly": (_("Weekly review (30 minutes)"), "weekly_review"),
    "monthly": (_("Monthly report: Stop / Start / Continue"), "reports"),
    "quarterly": (_("Quarterly bets: score the last, set the next"), "planning_bets"),
}


def meeting_calendar(today: date, weeks: int = 13, weekday: int = 0) -> list[dict]:
    """The meetings of the next `weeks` weeks from `today` (pure): a weekly review on
    `weekday` (Monday), the monthly report on each month's first weekday, the quarterly bets
    on each quarter's first weekday."""
    end = today + timedelta(weeks=weeks)
    out = []
    d = today + timedelta(days=(weekday - today.weekday()) % 7)
    while d < end:
        out.append({"date": d, "kind": "weekly"})
        d += timedelta(weeks=1)
    m = today.replace(day=1)
    if m < today:
        m = add_months(m, 1)
    while m < end:
        first = m
        while first.weekday() >= 5:  # Saturday, Sunday
            first += timedelta(days=1)
        out.append({"date": first, "kind": "monthly"})
        if m == period_start("quarter", m):
            out.append({"date": first, "kind": "quarterly"})
        m = add_months(m, 1)
    order = {"quarterly": 0, "monthly": 1, "weekly": 2}
    out.sort(key=lambda e: (e["date"], order[e["kind"]]))
    for e in out:
        e["label"], e["page"] = MEETINGS[e["kind"]]
    return out


def owners(workspace) -> dict:
    """Each engine with its owner, main KPI and KPIs; the workspace KPIs no engine holds."""
    from engines.models import KPI, GrowthEngine

    engines = list(GrowthEngine.objects.filter(workspace=workspace, is_active=True)
                   .select_related("owner", "main_kpi").prefetch_related("channels")
                   .order_by("name"))
    kpis = list(KPI.objects.filter(workspace=workspace).select_related("engine", "channel")
                .order_by("position", "name"))
    by_engine = {}
    for k in kpis:
        by_engine.setdefault(k.engine_id, []).append(k)
    return {"engines": [{"engine": e, "kpis": by_engine.get(e.pk, [])} for e in engines],
            "unowned": by_engine.get(None, [])}
