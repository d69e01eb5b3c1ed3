"""Reads for insights, experiments and learnings; every lookup starts from the workspace."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.models import Workspace

from .models import Experiment, Insight

S = Experiment.Status


def _code(value):
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None


# --- insights --------------------------------------------------------------------------------

def insight_list(workspace: Workspace, *, q: str = "", source: str = "", engine=None,
                 tag: str = "") -> QuerySet:
    qs = (Insight.objects.filter(workspace=workspace).select_related("engine", "author")
          .annotate(n_experiments=Count("experiments")))
    if q:
        qs = qs.filter(Q(text__icontains=q) | Q(tags__icontains=q))
    if source:
        qs = qs.filter(source=source)
    if engine is not None:
        qs = qs.filter(engine=engine)
    if tag:
        qs = qs.filter(tags__icontains=f'"{tag.lower()}"')
    return qs.order_by("-created_at", "-id")


def get_insight(workspace: Workspace, code) -> Insight:
    """The workspace's insight, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(Insight.objects.select_related("engine"), workspace=workspace,
                             code=_code(code))


def insight_candidates(workspace: Workspace, *, limit: int = 8) -> dict:
    """What can become an insight in one click: recent lead feedback with a reason, and the
    current data-quality findings, minus those already filed."""
    from crm.models import LeadFeedback
    from crm.tracking.quality import data_quality_summary

    filed = set(Insight.objects.filter(workspace=workspace).exclude(origin="")
                .values_list("origin", flat=True))
    feedback = [fb for fb in LeadFeedback.objects.filter(workspace=workspace).exclude(reason="")
                .select_related("contact").order_by("-at", "-id")[:limit * 3]
                if f"lead_feedback:{fb.code}" not in filed][:limit]
    findings = []
    dq = data_quality_summary(workspace, 30)
    if dq["tags"]["untagged"]:
        findings.append(("untagged", "untagged events", _(
            "%(n)s events without channel or UTM tags in the last 30 days") % {
            "n": dq["tags"]["untagged"]}))
    for u in dq.get("unknown_events", {}).get("rows", [])[:limit]:
        findings.append(("unknown_event", u["name"], f"{u['events']} events"))
    for m in dq.get("missing_properties", {}).get("rows", [])[:limit]:
        findings.append(("missing_property", f"{m['event']}.{m['property']}",
                         f"{m['events']} events"))
    for n in dq.get("naming", {}).get("rows", [])[:limit]:
        findings.append(("naming", n["name"], n.get("suggestion") or ""))
    findings = [f for f in findings if f"data_quality:{f[0]}:{f[1]}"[:80] not in filed]
    return {"feedback": feedback, "findings": findings[:limit]}


# --- experiments -----------------------------------------------------------------------------

def experiment_list(workspace: Workspace, *, engine=None, stage: str = "", status: str = "",
                    q: str = "") -> QuerySet:
    """Experiments by ICE score (impact × confidence × ease), highest first."""
    qs = (Experiment.objects.filter(workspace=workspace).select_related("engine", "owner")
          .annotate(ice=F("impact") * F("confidence") * F("ease")))
    if engine is not None:
        qs = qs.filter(engine=engine)
    if stage:
        qs = qs.filter(funnel_stage=stage)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(hypothesis_if__icontains=q)
                       | Q(key__icontains=q))
    return qs.order_by("-ice", "-created_at", "-id")


def get_experiment(workspace: Workspace, code) -> Experiment:
    """The workspace's experiment (with engine, insight, owner, variants), or 404."""
    return get_object_or_404(
        Experiment.objects.select_related("engine", "insight", "owner")
        .prefetch_related("variants"), workspace=workspace, code=_code(code))


def learnings(workspace: Workspace, *, engine=None, stage: str = "", metric: str = "",
              decision: str = "", q: str = "") -> QuerySet:
    """Decided experiments with their after-action reviews, newest decision first."""
    qs = (Experiment.objects.filter(workspace=workspace,
                                    status__in=[S.DECIDED, S.SCALED, S.ARCHIVED])
          .exclude(decision="").select_related("engine", "owner"))
    if engine is not None:
        qs = qs.filter(engine=engine)
    if stage:
        qs = qs.filter(funnel_stage=stage)
    if decision:
        qs = qs.filter(decision=decision)
    if metric:
        qs = qs.filter(primary_metric__key=metric)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(aar_happened__icontains=q)
                       | Q(aar_why__icontains=q) | Q(aar_next__icontains=q)
                       | Q(decision_reason__icontains=q))
    return qs.order_by("-decided_at", "-id")


def velocity(workspace: Workspace, *, weeks: int = 12, engine=None,
             today: dt.date | None = None) -> dict:
    """Experiment velocity: launched and decided per week for the last `weeks` weeks, the win
    rate of decided experiments and the median days from launch to decision."""
    import statistics

    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    first = monday - dt.timedelta(weeks=weeks - 1)
    qs = Experiment.objects.filter(workspace=workspace)
    if engine is not None:
        qs = qs.filter(engine=engine)
    rows = list(qs.filter(Q(started_at__isnull=False) | Q(decided_at__isnull=False)).values_list(
        "started_at", "decided_at", "decision"))
    tz = timezone.get_current_timezone()

    def week_of(t):
        d = timezone.localtime(t, tz).date()
        return d - dt.timedelta(days=d.weekday())

    starts = [week_of(s) for s, _d, _x in rows if s]
    ends = [week_of(d) for _s, d, _x in rows if d]
    series = []
    for i in range(weeks):
        w = first + dt.timedelta(weeks=i)
        series.append({"week": w, "launched": starts.count(w), "decided": ends.count(w)})
    decided = [(s, d, x) for s, d, x in rows if d and x]
    wins = sum(1 for _s, _d, x in decided if x == Experiment.Decision.WIN)
    days = [(d - s).total_seconds() / 86400 for s, d, _x in decided if s and d]
    return {"weeks": series, "decided": len(decided), "wins": wins,
            "win_rate": wins / len(decided) if decided else None,
            "median_days_to_decision": statistics.median(days) if days else None,
            "launched_recent": sum(x["launched"] for x in series),
            "decided_recent": sum(x["decided"] for x in series)}


def status_counts(workspace: Workspace, engine=None) -> dict[str, int]:
    qs = Experiment.objects.filter(workspace=workspace)
    if engine is not None:
        qs = qs.filter(engine=engine)
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


def recent_daily_traffic(workspace: Workspace, *, days: int = 28) -> float:
    """Distinct contacts active per day over the last `days` days (the traffic an experiment
    could reach), for the expected duration."""
    from crm.models import Event

    since = timezone.now() - dt.timedelta(days=days)
    n = (Event.objects.filter(workspace=workspace, occurred_at__gte=since,
                              contact__isnull=False)
         .order_by().values("contact_id").distinct().count())
    return n / days
