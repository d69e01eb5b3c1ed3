"""Reads for the weekly review: one screen per growth engine, then the North Star and the
decisions to take. Numbers come from engines' selectors (KPI status, weekly metric values)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from mos.models import Workspace

from . import selectors

TREND_WEEKS = 8


def week_start(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday())


def weekly_trend(workspace: Workspace, kpi, today: date | None = None) -> list[dict]:
    """The KPI's metric over the last 8 complete weeks: [{"week", "value"}], oldest first."""
    from engines import selectors as eng

    last = week_start(today) - timedelta(weeks=1)
    weeks = [last - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]
    dim, dim_value = "", ""
    if kpi.channel_id:
        dim, dim_value = "channel", kpi.channel.key
    elif kpi.segment_id:
        dim, dim_value = "segment", str(kpi.segment.code)
    rows = dict(eng.metric_values(workspace, kpi.metric_key, "week", weeks[0], last, dim,
                                  dim_value).values_list("period", "value"))
    return [{"week": w, "value": rows.get(w)} for w in weeks]


def trend_chart(points: list[dict], target: float | None, width: int = 800,
                height: int = 260) -> dict:
    """SVG geometry for a trend line with its target: polyline points, target y, and a label
    position per point (values are printed on the chart: no information in colour alone)."""
    values = [p["value"] for p in points if p["value"] is not None]
    if not values:
        return {"empty": True, "width": width, "height": height}
    lo = min(values + ([target] if target is not None else []))
    hi = max(values + ([target] if target is not None else []))
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    pad_x, pad_top, pad_bottom = 40, 48, 40
    step = (width - 2 * pad_x) / max(1, len(points) - 1)

    def y(v):
        return pad_top + (hi - v) / (hi - lo) * (height - pad_top - pad_bottom)

    dots = []
    for i, p in enumerate(points):
        if p["value"] is None:
            continue
        dots.append({"x": round(pad_x + i * step, 1), "y": round(y(p["value"]), 1),
                     "value": p["value"], "week": p["week"]})
    return {"empty": False, "width": width, "height": height,
            "points": " ".join(f"{d['x']},{d['y']}" for d in dots), "dots": dots,
            "target_y": round(y(target), 1) if target is not None else None,
            "axis_y": height - pad_bottom + 28}


def engine_experiments(workspace: Workspace, engine, since: date | None = None) -> dict:
    """The engine's experiments for the meeting: running/analysing (with days run and the
    planned end: their live status), started this week, decided this week, next planned."""
    from experiments.models import Experiment

    since = since or week_start()
    out = {"started": [], "running": [], "decided": [], "planned": []}
    if engine is None:
        return out
    qs = Experiment.objects.filter(workspace=workspace, engine=engine).select_related(
        "engine", "workspace")
    today = timezone.localdate()
    for e in qs.filter(status__in=["running", "analysing"]).order_by("-started_at", "-id")[:4]:
        started = timezone.localdate(e.started_at) if e.started_at else None
        out["running"].append({
            **selectors.experiment_dict(e), "new": bool(started and started >= since),
            "days": (today - started).days if started else None,
            "planned_end": e.planned_end, "transitions": _transitions(e.status)})
    out["started"] = [e for e in out["running"] if e["new"]]
    out["decided"] = [{**selectors.experiment_dict(e), "decision": e.decision,
                       "decision_label": e.get_decision_display()}
                      for e in qs.filter(status="decided", decided_at__date__gte=since)
                      .order_by("-decided_at")[:2]]
    out["planned"] = [{**selectors.experiment_dict(e), "transitions": _transitions(e.status)}
                      for e in qs.filter(status="planned").order_by("planned_start", "id")[:2]]
    return out


def _transitions(status: str) -> list[tuple[str, str]]:
    """Where an experiment may go from the review screen (the experiments app guards it)."""
    from experiments.models import Experiment
    from experiments.services import TRANSITIONS

    allowed = {"planned": ["running"], "running": ["analysing"], "analysing": ["running"]}
    labels = dict(Experiment.Status.choices)
    return [(to, labels[to]) for to in allowed.get(status, []) if to in TRANSITIONS[status]]


def week_checkin(engine, today: date | None = None):
    """The engine's check-in for this week, if the meeting has kept one."""
    return engine.checkins.filter(week=week_start(today)).order_by("-id").first()


def _weekly_target(k: dict | None) -> float | None:
    """A target drawn on a weekly chart only where it means the same per week: a weekly KPI,
    or a ratio/level (a monthly total's target is not a week's)."""
    from engines.metrics.registry import is_additive

    if k is None or k["target"] is None:
        return None
    if k["kpi"].grain == "week":
        return k["target"]
    return None if is_additive(k["key"]) else k["target"]


def review_screens(workspace: Workspace, today: date | None = None) -> list[dict]:
    """The review's screens in order: each engine, the North Star, decisions to take."""
    from engines import selectors as eng

    today = today or timezone.localdate()
    since = week_start(today)
    # KPI vs target for the last complete month (a weekly KPI: the last complete week); the
    # 8-week trend shows this month's weeks so far
    status = {k["kpi"].pk: k for k in eng.kpi_status(
        workspace, selectors.month_last_day(selectors.last_closed_month(today)))}
    nsm = next((k for k in status.values() if k["kpi"].is_north_star), None)
    decisions = selectors.open_decisions(workspace)
    screens = []
    for e in selectors.growth_engines(workspace):
        main = status.get(getattr(e, "main_kpi_id", None))
        if main is None:  # the engine's first KPI, if it has no main one
            main = next((k for k in status.values()
                         if getattr(k["kpi"], "engine_id", None) == e.pk), None)
        trend = weekly_trend(workspace, main["kpi"], today) if main else []
        screens.append({
            "kind": "engine", "id": f"engine-{e.code}", "engine": e, "title": e.name,
            "owner": (e.owner.name or e.owner.email) if e.owner_id else "",
            "kpi": main, "trend": trend,
            "chart": trend_chart(trend, _weekly_target(main)),
            "experiments": engine_experiments(workspace, e, since),
            "checkin": week_checkin(e, today),
            "decisions": [d for d in decisions if d.engine_id == e.pk][:4],
            "commitment": getattr(e, "weekly_commitment", ""),
        })
    trend = weekly_trend(workspace, nsm["kpi"], today) if nsm else []
    engines_summary = [{"name": s["title"], "kpi": s["kpi"]} for s in screens]
    screens.append({"kind": "north_star", "id": "north-star", "kpi": nsm, "trend": trend,
                    "engines": engines_summary,
                    "chart": trend_chart(trend, _weekly_target(nsm)),
                    "title": nsm["kpi"].name if nsm else ""})
    screens.append({"kind": "decisions", "id": "decisions", "decisions": decisions[:6],
                    "more": max(0, len(decisions) - 6)})
    return screens
