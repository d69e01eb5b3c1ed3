"""Reads for customer service: complaints, surveys, their results and a contact's answers."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from mos.codes import code_or_404
from mos.models import Workspace
from django.shortcuts import get_object_or_404

from .models import Complaint, Survey, SurveyAnswer


def complaint_list(workspace: Workspace, *, status: str = "", kind: str = "") -> QuerySet:
    """Unresolved first (the work to do), then the newest."""
    from django.db.models import Case, IntegerField, Value, When

    qs = (Complaint.objects.filter(workspace=workspace).select_related("contact", "owner")
          .annotate(done=Case(When(status=Complaint.Status.RESOLVED, then=Value(1)),
                              default=Value(0), output_field=IntegerField()))
          .order_by("done", "-received_at", "-id"))
    if status in Complaint.Status.values:
        qs = qs.filter(status=status)
    if kind in Complaint.Kind.values:
        qs = qs.filter(kind=kind)
    return qs


def get_complaint(workspace: Workspace, code) -> Complaint:
    return get_object_or_404(Complaint.objects.select_related("contact", "owner"),
                             workspace=workspace, code=code_or_404(code))


def survey_list(workspace: Workspace) -> QuerySet:
    return (Survey.objects.filter(workspace=workspace).select_related("segment")
            .annotate(n_answers=Count("answers")))


def get_survey(workspace: Workspace, code) -> Survey:
    return get_object_or_404(Survey.objects.select_related("segment"), workspace=workspace,
                             code=code_or_404(code))


def survey_results(survey: Survey) -> dict:
    """Answers by category and the score: NPS = % promoters − % detractors (−100…100);
    CSAT = share of 4s and 5s among answers."""
    qs = SurveyAnswer.objects.filter(survey=survey)
    if survey.kind == Survey.Kind.NPS:
        c = qs.aggregate(n=Count("id"), hi=Count("id", filter=Q(score__gte=9)),
                         lo=Count("id", filter=Q(score__lte=6)))
        score = (c["hi"] - c["lo"]) * 100 / c["n"] if c["n"] else None
        return {"n": c["n"], "promoters": c["hi"], "detractors": c["lo"],
                "passives": c["n"] - c["hi"] - c["lo"], "score": score,
                "response_rate": c["n"] / survey.sent_count if survey.sent_count else None}
    c = qs.aggregate(n=Count("id"), hi=Count("id", filter=Q(score__gte=4)),
                     lo=Count("id", filter=Q(score__lte=2)))
    return {"n": c["n"], "satisfied": c["hi"], "unsatisfied": c["lo"],
            "neutral": c["n"] - c["hi"] - c["lo"],
            "score": c["hi"] / c["n"] if c["n"] else None,
            "response_rate": c["n"] / survey.sent_count if survey.sent_count else None}


def survey_answers(survey: Survey) -> QuerySet:
    return SurveyAnswer.objects.filter(survey=survey).select_related("contact", "survey")


def contact_answers(contact) -> QuerySet:
    return (SurveyAnswer.objects.filter(workspace_id=contact.workspace_id, contact=contact)
            .select_related("survey"))


def service_summary(workspace: Workspace) -> dict:
    """Counts of open work and the handling times over every complaint logged."""
    from django.db.models import Avg

    qs = Complaint.objects.filter(workspace=workspace)
    c = qs.aggregate(open=Count("id", filter=~Q(status=Complaint.Status.RESOLVED)),
                     total=Count("id"),
                     handling=Avg("handling_minutes"))
    resolved = list(qs.filter(status=Complaint.Status.RESOLVED, resolved_at__isnull=False)
                    .values_list("received_at", "resolved_at"))
    hours = sorted((b - a).total_seconds() / 3600 for a, b in resolved)
    median = None
    if hours:
        m = len(hours) // 2
        median = hours[m] if len(hours) % 2 else (hours[m - 1] + hours[m]) / 2
    # calls the team logged (crm activities) over the last 30 days: seed 003's handling time
    from datetime import timedelta

    from django.utils import timezone

    from crm.activities.selectors import call_handling_time

    now = timezone.now()
    calls = call_handling_time(workspace, now - timedelta(days=30), now)
    return {"open": c["open"], "total": c["total"], "handling_minutes": c["handling"],
            "median_hours_to_resolution": median, "resolved": len(hours),
            "calls_30d": calls["calls"],
            "call_minutes_30d": (calls["avg_seconds"] / 60 if calls["avg_seconds"] is not None
                                 else None)}
