"""Reads for activities: what a person may see, a contact's and an account's activities, My
day, and call handling time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mos.actors import Actor
from mos.codes import as_code
from mos.periods import workspace_today, workspace_tz

from ..models import Activity, Contact, LeadFeedback
from ..selectors import LEAD_STAGES


def visible_activities(actor: Actor) -> QuerySet:
    """The activities the actor may read: all of the workspace for CRM readers; for a sales
    rep those on contacts assigned to them and their own to-dos."""
    qs = Activity.objects.filter(workspace=actor.workspace)
    if actor.can("crm.view"):
        return qs
    if actor.user is None:
        return qs.none()
    return qs.filter(Q(contact__owner=actor.user) | Q(owner=actor.user))


def get_activity(actor: Actor, code) -> Activity:
    code = as_code(code)
    act = code and visible_activities(actor).select_related(
        "contact", "account", "owner").filter(code=code).first()
    if not act:
        raise Http404
    return act


def contact_activities(contact: Contact, limit: int = 200) -> list[Activity]:
    return list(Activity.objects.filter(workspace_id=contact.workspace_id, contact=contact)
                .select_related("owner").order_by("-at", "-id")[:limit])


def account_activities(account, limit: int = 100) -> list[Activity]:
    """The account's own activities and those of its contacts, newest first."""
    return list(Activity.objects.filter(workspace_id=account.workspace_id)
                .filter(Q(account=account) | Q(contact__account=account))
                .select_related("owner", "contact").order_by("-at", "-id")[:limit])


def my_day(workspace, user, *, upcoming_days: int = 7) -> dict:
    """A person's open tasks split into overdue, today and the next days, and their open leads
    that have no feedback yet (in the workspace's time zone)."""
    tz = workspace_tz(workspace)
    today = workspace_today(workspace)
    start = datetime.combine(today, datetime.min.time(), tzinfo=tz)
    tomorrow = start + timedelta(days=1)
    horizon = start + timedelta(days=upcoming_days + 1)
    tasks = list(Activity.objects.filter(workspace=workspace, owner=user,
                                         kind=Activity.Kind.TASK, done_at__isnull=True,
                                         due_at__lt=horizon)
                 .select_related("contact", "account").order_by("due_at", "id")[:300])
    from ..scoring.selectors import with_score

    no_feedback = (with_score(Contact.objects.filter(workspace=workspace, owner=user,
                                                     stage__in=LEAD_STAGES))
                   .filter(~Exists(LeadFeedback.objects.filter(contact=OuterRef("pk"))))
                   .select_related("account").order_by("-score", "-created_at", "-id"))
    return {
        "overdue": [t for t in tasks if t.due_at < start],
        "today": [t for t in tasks if start <= t.due_at < tomorrow],
        "upcoming": [t for t in tasks if t.due_at >= tomorrow],
        "no_feedback": list(no_feedback[:50]),
        "no_feedback_count": no_feedback.count(),
        "today_date": today,
    }


def call_handling_time(workspace, start: datetime, end: datetime) -> dict:
    """Seed 003's average call handling time: calls logged in [start, end) with a duration,
    their count and mean duration in seconds (None when there are none)."""
    row = (Activity.objects.filter(workspace=workspace, kind=Activity.Kind.CALL,
                                   at__gte=start, at__lt=end, duration_seconds__isnull=False)
           .aggregate(calls=Count("id"), avg=Avg("duration_seconds")))
    return {"calls": row["calls"], "avg_seconds": row["avg"]}
