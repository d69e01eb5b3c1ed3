"""Reads for reports. Every number comes from engines' selectors and dashboard readers (no
formula lives here); every lookup starts from the workspace (other workspaces' → 404)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from mos.models import Workspace

from .models import MonthlyReport, ReportDecision

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str) -> date:
    """'2026-10' → date(2026, 10, 1); anything else is a 404 (it is a URL part)."""
    m = MONTH_RE.match(value or "")
    if not m:
        raise Http404
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def last_closed_month(today: date | None = None) -> date:
    return previous_month((today or timezone.localdate()).replace(day=1))


def report_list(workspace: Workspace) -> QuerySet:
    return (MonthlyReport.objects.filter(workspace=workspace)
            .select_related("published_by", "created_by").order_by("-month", "-version"))


def reports_by_month(workspace: Workspace) -> list[dict]:
    """One row per month, newest first: its live version (published, else draft) and the
    versions behind it."""
    rows: dict[date, dict] = {}
    for r in report_list(workspace):
        row = rows.setdefault(r.month, {"month": r.month, "slug": r.slug, "versions": []})
        row["versions"].append(r)
    for row in rows.values():
        live = [v for v in row["versions"] if v.status != MonthlyReport.Status.SUPERSEDED]
        row["published"] = next((v for v in live if v.status == "published"), None)
        row["draft"] = next((v for v in live if v.status == "draft"), None)
    return list(rows.values())


def get_report(workspace: Workspace, month: date, version: int | None = None) -> MonthlyReport:
    """The month's report: the asked version, else the published one, else the draft; 404."""
    qs = report_list(workspace).filter(month=month)
    if version is not None:
        report = qs.filter(version=version).first()
    else:
        report = (qs.filter(status="published").first() or qs.filter(status="draft").first()
                  or qs.first())
    if report is None:
        raise Http404
    return report


def get_report_by_code(workspace: Workspace, code) -> MonthlyReport:
    from engines.selectors import _code

    report = report_list(workspace).filter(code=_code(code)).first()
    if report is None:
        raise Http404
    return report


def month_draft(workspace: Workspace, month: date) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(workspace=workspace, month=month,
                                        status="draft").first()


def decision_list(workspace: Workspace) -> QuerySet:
    return (ReportDecision.objects.filter(workspace=workspace)
            .select_related("owner", "report", "engine", "carried_from__report"))


def get_decision(workspace: Workspace, code) -> ReportDecision:
    """The workspace's decision, or 404 (also for other workspaces' codes)."""
    from engines.selectors import _code

    d = decision_list(workspace).filter(code=_code(code)).first()
    if d is None:
        raise Http404
    return d


def open_decisions(workspace: Workspace, *, engine=None) -> list[ReportDecision]:
    """Open decisions, the oldest due first, latest row of each chain (a decision carried into
    a new report is the same decision: show it once)."""
    qs = decision_list(workspace).filter(status=ReportDecision.Status.OPEN,
                                         carried_to__isnull=True)
    if engine is not None:
        qs = qs.filter(engine=engine)
    return sorted(qs, key=lambda d: (d.due_date or date.max, d.pk))


def engine_decisions(workspace: Workspace, engine) -> list[ReportDecision]:
    """For the engine page: its open decisions (include reports/partials/engine_decisions.html
    with `decisions`)."""
    return open_decisions(workspace, engine=engine)


def previous_report(report: MonthlyReport) -> MonthlyReport | None:
    """Last month's live report (published, else its draft)."""
    qs = MonthlyReport.objects.filter(workspace=report.workspace,
                                      month=previous_month(report.month))
    return qs.filter(status="published").first() or qs.filter(status="draft").first()


# --- engines and experiments (the floor below; models may not exist yet) -------------------

def growth_engines(workspace: Workspace) -> list:
    """The workspace's active growth engines."""
    from engines.selectors import engine_list

    return list(engine_list(workspace, active_only=True))


def engine_choices(workspace: Workspace) -> list[tuple[str, str]]:
    return [(str(e.code), e.name) for e in growth_engines(workspace)]


def engine_queryset(workspace: Workspace):
    from engines.selectors import engine_list

    return engine_list(workspace)


def ice_backlog(workspace: Workspace, n: int = 3) -> list:
    """The top of the ICE backlog: experiments not yet planned, highest ICE first."""
    from experiments.selectors import experiment_list

    return list(experiment_list(workspace, status="backlog")
                .select_related("workspace")[:n])


# --- the report's numbers --------------------------------------------------------------------

def _f(v):
    return None if v is None else float(v)


def report_numbers(workspace: Workspace, month: date) -> dict:
    """Every number the report shows for `month`, JSON-ready (it is what publishing freezes):
    KPIs (goal vs actual), the channel table, the funnel and the month's headline numbers."""
    from engines import dashboard, selectors as eng

    data = dashboard.dashboard_data(workspace, {"period": "month", "month": f"{month:%Y-%m}"})
    kpis = []
    for k in eng.kpi_status(workspace, month_last_day(month)):
        kpi = k["kpi"]
        engine_id = getattr(kpi, "engine_id", None)
        kpis.append({
            "code": str(kpi.code), "name": kpi.name, "key": k["key"], "label": str(k["label"]),
            "unit": k["unit"], "actual": _f(k["actual"]), "target": _f(k["target"]),
            "attainment": _f(k["attainment"]), "good": k["good"],
            "guardrail_breach": bool(k["guardrail_breach"]),
            "guardrail_min": _f(kpi.guardrail_min), "guardrail_max": _f(kpi.guardrail_max),
            "direction": kpi.direction, "north_star": kpi.is_north_star,
            "engine": str(kpi.engine.code) if engine_id else None,
            "channel": kpi.channel.key if kpi.channel_id else None,
            "period": k["period"].isoformat(),
        })
    engines = [{"code": str(e.code), "name": e.name,
                "owner": (e.owner.name or e.owner.email) if e.owner_id else "",
                "main_kpi": str(e.main_kpi.code) if getattr(e, "main_kpi_id", None) else None}
               for e in growth_engines(workspace)]
    channels = [{k: c[k] for k in ("key", "name", "spend", "leads", "customers", "cac", "roas",
                                   "ltv_cac")} for c in data["channels"]]
    funnel = [{"stage": s["stage"], "label": str(s["label"]), "entries": s["entries"],
               "conversion": s["conversion"], "days": s["days"]} for s in data["funnel"]]
    headline = [{"key": h["key"], "label": str(h["label"]), "unit": h["unit"],
                 "value": h["value"], "previous": h["previous"], "change": h["change"]}
                for h in data["headline"]]
    return {"month": f"{month:%Y-%m}", "model": data["model"], "currency": workspace.currency,
            "kpis": kpis, "engines": engines, "channels": channels, "funnel": funnel,
            "headline": headline, "has_data": data["has_data"]}


def kpi_groups(numbers: dict) -> list[dict]:
    """Goal vs actual grouped for the page: the North Star, then each engine's KPIs, then the
    workspace's other KPIs."""
    kpis = numbers.get("kpis", [])
    groups = [{"name": None, "kind": "north_star", "kpis": [k for k in kpis if k["north_star"]]}]
    for e in numbers.get("engines", []):
        groups.append({"name": e["name"], "kind": "engine", "owner": e["owner"],
                       "kpis": [k for k in kpis if k["engine"] == e["code"]
                                and not k["north_star"]]})
    engine_codes = {e["code"] for e in numbers.get("engines", [])}
    groups.append({"name": None, "kind": "other",
                   "kpis": [k for k in kpis if not k["north_star"]
                            and k["engine"] not in engine_codes]})
    return [g for g in groups if g["kpis"]]


# --- the report's content: live for a draft, the snapshot for a published report ----------

def _person(user) -> str:
    return (user.name or user.email) if user is not None else ""


def decision_dict(d: ReportDecision) -> dict:
    return {"code": str(d.code), "kind": d.kind, "subject": d.subject, "rationale": d.rationale,
            "owner": _person(d.owner), "owner_id": d.owner_id,
            "due_date": d.due_date.isoformat() if d.due_date else None, "status": d.status,
            "result_note": d.result_note, "source": d.source, "proposed": d.proposed,
            "engine": str(d.engine.code) if d.engine_id else None,
            "engine_name": d.engine.name if d.engine_id else "",
            "carried_from": (f"{d.carried_from.report.month:%Y-%m}"
                             if d.carried_from_id and d.carried_from.report_id else None)}


def experiment_dict(e) -> dict:
    """An experiment as the report shows it (name, ICE, status, engine, link)."""
    from django.urls import NoReverseMatch, reverse

    name = (getattr(e, "title", "") or getattr(e, "name", "")
            or getattr(e, "hypothesis", "") or str(e))
    ice = getattr(e, "ice_score", None)
    if callable(ice):
        ice = ice()
    engine = getattr(e, "engine", None)
    try:
        url = reverse("experiment_detail", kwargs={"slug": e.workspace.slug,
                                                   "experiment_code": e.code})
    except NoReverseMatch:
        url = ""
    return {"code": str(e.code), "pk": e.pk, "name": str(name)[:200], "ice": _f(ice),
            "impact": getattr(e, "impact", None), "confidence": getattr(e, "confidence", None),
            "ease": getattr(e, "ease", None),
            "status": getattr(e, "status", ""),
            "status_label": str(e.get_status_display()) if hasattr(e, "get_status_display")
            else "",
            "engine": str(engine.code) if engine is not None else None,
            "engine_name": engine.name if engine is not None else "", "url": url}


def next_experiments(report: MonthlyReport) -> list[dict]:
    """Next month's three experiments: the ones chosen on the report, else the ICE backlog's
    top three."""
    chosen = list(report.experiment_links.select_related(
        "experiment__engine", "experiment__workspace").order_by("position", "id")) \
        if report.pk else []
    if chosen:
        return [experiment_dict(c.experiment) for c in chosen]
    if report.is_frozen or report.pk is None:
        return []
    return [experiment_dict(e) for e in ice_backlog(report.workspace)]


def report_content(report: MonthlyReport) -> dict:
    """Everything the page shows. A published (or superseded) report: only its snapshot, so a
    later recompute never changes it. A draft: computed now."""
    if report.is_frozen and report.snapshot:
        return report.snapshot
    numbers = report_numbers(report.workspace, report.month)
    prev = previous_report(report)
    prev_decisions = []
    if prev is not None:
        prev_decisions = [decision_dict(d) for d in prev.decisions.select_related(
            "owner", "engine", "carried_from__report")]
    return {
        "month": f"{report.month:%Y-%m}", "version": report.version,
        "summary": report.summary, "wins": report.wins, "problems": report.problems,
        "numbers": numbers,
        "decisions": [decision_dict(d) for d in report.decisions.select_related(
            "owner", "engine", "carried_from__report")],
        "previous_decisions": prev_decisions,
        "previous_month": f"{previous_month(report.month):%Y-%m}",
        "experiments": next_experiments(report),
    }


def content_diff(before: dict, after: dict) -> list[dict]:
    """What changed between two versions' contents: [{"what", "before", "after"}] for the
    summary, each win/problem, decisions (by subject) and each headline/KPI number."""
    out = []

    def add(what, a, b):
        if a != b:
            out.append({"what": what, "before": a, "after": b})

    add("summary", before.get("summary", ""), after.get("summary", ""))
    for part in ("wins", "problems"):
        a, b = before.get(part, []), after.get(part, [])
        for i in range(max(len(a), len(b))):
            ta = (a[i].get("text") or a[i]["numbers"].get("label", "")) if i < len(a) else ""
            tb = (b[i].get("text") or b[i]["numbers"].get("label", "")) if i < len(b) else ""
            add(f"{part}.{i + 1}", ta, tb)
    da = {(d["kind"], d["subject"]): d for d in before.get("decisions", [])}
    db = {(d["kind"], d["subject"]): d for d in after.get("decisions", [])}
    for key in sorted(set(da) | set(db)):
        a, b = da.get(key), db.get(key)
        if a is None or b is None:
            add(f"decision:{key[0]}", a and a["subject"], b and b["subject"])
        else:
            for f in ("rationale", "owner", "due_date", "status"):
                add(f"decision:{key[0]}:{key[1]}.{f}", a.get(f), b.get(f))
    na = {k["code"]: k for k in before.get("numbers", {}).get("kpis", [])}
    nb = {k["code"]: k for k in after.get("numbers", {}).get("kpis", [])}
    for code in nb:
        if code in na:
            add(f"kpi:{nb[code]['name']}", na[code]["actual"], nb[code]["actual"])
    ha = {h["key"]: h for h in before.get("numbers", {}).get("headline", [])}
    for h in after.get("numbers", {}).get("headline", []):
        if h["key"] in ha:
            add(f"number:{h['label']}", ha[h["key"]]["value"], h["value"])
    return out
