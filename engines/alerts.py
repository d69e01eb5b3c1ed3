"""The alerts engines raises after a nightly metrics run (issue 15): a KPI breaking its
guardrail, a KPI far off its pace, the nightly run failing. Registered with
mos.notifications in EnginesConfig.ready(); the owner of the KPI's engine is told, or, for a
KPI of no engine (or an engine without owner), the workspace's admins and growth leads.

Pace: how far into its period a KPI's actual is, against its target. For a metric that adds up
over the period (counts, money) the target is pro-rated to the days elapsed (a month target of
100 sign-ups expects 50 by the 15th of a 30-day month); a ratio is compared with its target as
it is. "Far off" is a pace below MOS_KPI_PACE_ALERT (default 0.75, in the KPI's direction),
checked only once a quarter of the period has passed (a period's first days say little)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from mos.notifications import (
    Alert,
    members_with,
    register_alert_source,
    register_run_finished,
)
from mos.periods import add_months, workspace_today
from mos.roles import Role


def _fmt(v) -> str:
    if v is None:
        return "—"
    v = float(v)
    return f"{v:,.0f}" if v == round(v) and abs(v) >= 1 else f"{v:,.2f}"


def period_days(grain: str, start: date) -> int:
    if grain == "week":
        return 7
    months = 3 if grain == "quarter" else 1
    return (add_months(start, months) - start).days


def kpi_pace(row: dict, today: date) -> float | None:
    """The KPI row's pace (1 = on pace, 0.5 = half of where it should be), None when it cannot
    be judged yet (no actual, no target, too early in the period, or a past period)."""
    from .metrics.registry import REGISTRY

    actual, target, start = row["actual"], row["target"], row["period"]
    kpi = row["kpi"]
    if actual is None or not target or start is None:
        return None
    days = period_days(kpi.grain, start)
    elapsed = (today - start).days + 1
    if elapsed <= 0 or elapsed > days or elapsed < days / 4:
        return None
    d = REGISTRY.get(kpi.metric_key)
    expected = target * elapsed / days if d is not None and d.additive else target
    if kpi.direction == kpi.Direction.UP:
        return actual / expected if expected else None
    return expected / actual if actual else None


def _kpi_owners(workspace, kpi, fallback):
    engine = getattr(kpi, "engine", None)
    if engine is not None and engine.owner_id:
        return [engine.owner]
    return fallback()


def kpi_alerts(workspace) -> list[Alert]:
    """Guardrail breaches and KPIs far off their pace, as of the workspace's today."""
    from .selectors import kpi_status

    today = workspace_today(workspace)
    rows = kpi_status(workspace, today)
    if not rows:
        return []
    threshold = getattr(settings, "MOS_KPI_PACE_ALERT", 0.75)
    leads: list = []

    def fallback():
        if not leads:
            leads.extend(members_with(workspace, [Role.ADMIN, Role.GROWTH_LEAD]))
        return leads

    url = reverse("workspace_home", kwargs={"slug": workspace.slug})
    out = []
    for r in rows:
        kpi = r["kpi"]
        if r["guardrail_breach"]:
            def text(r=r, kpi=kpi):
                lo, hi = kpi.guardrail_min, kpi.guardrail_max
                bounds = (_("between %(lo)s and %(hi)s") % {"lo": _fmt(lo), "hi": _fmt(hi)}
                          if lo is not None and hi is not None else
                          _("at least %(lo)s") % {"lo": _fmt(lo)} if lo is not None else
                          _("at most %(hi)s") % {"hi": _fmt(hi)})
                return (_("Guardrail broken: %(kpi)s") % {"kpi": kpi.name},
                        _("%(kpi)s is %(actual)s for the period starting %(period)s; its "
                          "guardrail keeps it %(bounds)s.") % {
                            "kpi": kpi.name, "actual": _fmt(r["actual"]),
                            "period": r["period"].isoformat(), "bounds": bounds})
            out.append(Alert(kind="guardrail_breach", users=_kpi_owners(workspace, kpi, fallback),
                             dedupe_key=f"guardrail:{kpi.code}:{r['period']}", text=text,
                             url=url))
        pace = kpi_pace(r, today)
        if pace is not None and pace < threshold:
            def text(r=r, kpi=kpi, pace=pace):
                return (_("Off pace: %(kpi)s") % {"kpi": kpi.name},
                        _("%(kpi)s is at %(actual)s against a target of %(target)s for the "
                          "period starting %(period)s: %(pace)s%% of the pace it needs.") % {
                            "kpi": kpi.name, "actual": _fmt(r["actual"]),
                            "target": _fmt(r["target"]), "period": r["period"].isoformat(),
                            "pace": round(100 * pace)})
            out.append(Alert(kind="kpi_off_pace", users=_kpi_owners(workspace, kpi, fallback),
                             dedupe_key=f"pace:{kpi.code}:{r['period']}", text=text, url=url))
    return out


def run_failed_alert(run) -> Alert:
    """The nightly run failed: the admins (who can read the details) and whoever asked."""
    ws = run.workspace
    users = members_with(ws, [Role.ADMIN]) + ([run.requested_by] if run.requested_by else [])

    def text():
        return (_("The nightly metrics run failed"),
                _("The metrics of %(ws)s could not be recomputed last night; the dashboard "
                  "still shows the previous numbers. %(error)s") % {"ws": ws.name,
                                                                    "error": run.error})
    return Alert(kind="run_failed", users=users, dedupe_key=f"run_failed:{run.code}", text=text,
                 url=reverse("metric_run_status", kwargs={"slug": ws.slug,
                                                          "run_code": run.code}))


def after_nightly_run(run) -> int:
    """Called when a nightly run ends: tell about a failure, or check every alert source
    (this app's KPIs and what other apps registered) once the night's numbers are in."""
    import logging

    from mos.notifications import evaluate_alerts, notify

    try:
        if run.status == run.Status.FAILED:
            a = run_failed_alert(run)
            return sum(1 for u in {u.pk: u for u in a.users}.values() if notify(
                workspace=run.workspace, user=u, kind=a.kind, dedupe_key=a.dedupe_key,
                text=a.text, url=a.url))
        if run.status == run.Status.SUCCEEDED:
            return evaluate_alerts(run.workspace)
    except Exception:  # noqa: BLE001 — alerts never undo a finished run
        logging.getLogger(__name__).exception("alerts after run %s failed", run.pk)
    return 0


def register() -> None:
    register_alert_source(kpi_alerts)
    register_run_finished(after_nightly_run)


def last_full_week(today: date) -> date:
    """The Monday of the last full week before `today`."""
    return today - timedelta(days=today.weekday() + 7)
