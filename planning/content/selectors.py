"""Reads of the content calendar and campaign plans."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mos.codes import as_code, code_or_404

from .models import CampaignPlan, ContentItem

FILTERS = ("channel", "status", "owner", "campaign")


def content_items(workspace, *, start: date | None = None, end: date | None = None,
                  filters: dict | None = None) -> QuerySet:
    """The workspace's items (publish_on in [start, end] when given), with what a row shows."""
    qs = (ContentItem.objects.filter(workspace=workspace)
          .select_related("channel", "owner", "persona", "segment", "campaign"))
    if start:
        qs = qs.filter(publish_on__gte=start)
    if end:
        qs = qs.filter(publish_on__lte=end)
    f = filters or {}
    if f.get("status") in ContentItem.Status.values:
        qs = qs.filter(status=f["status"])
    if f.get("channel"):
        qs = qs.filter(channel__key=f["channel"])
    if f.get("owner"):
        code = as_code(f["owner"])
        qs = qs.filter(owner__memberships__code=code, owner__memberships__workspace=workspace) \
            if code else qs.none()
    if f.get("campaign"):
        code = as_code(f["campaign"])
        qs = qs.filter(campaign__code=code) if code else qs.none()
    return qs


def get_item(workspace, code) -> ContentItem:
    return get_object_or_404(
        ContentItem.objects.select_related("channel", "owner", "persona", "segment", "campaign"),
        workspace=workspace, code=code_or_404(code))


def month_grid(year: int, month: int, items) -> list[list[dict]]:
    """Weeks (Monday first) of day cells covering the month, each with its items."""
    by_day: dict[date, list] = {}
    for it in items:
        by_day.setdefault(it.publish_on, []).append(it)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([{"day": d, "in_month": d.month == month, "items": by_day.get(d, [])}
                      for d in week])
    return weeks


def week_days(monday: date, items) -> list[dict]:
    by_day: dict[date, list] = {}
    for it in items:
        by_day.setdefault(it.publish_on, []).append(it)
    return [{"day": monday + timedelta(days=i), "items": by_day.get(monday + timedelta(days=i), [])}
            for i in range(7)]


def campaign_plans(workspace) -> QuerySet:
    return (CampaignPlan.objects.filter(workspace=workspace)
            .select_related("campaign", "campaign__channel", "segment", "persona", "owner"))


def get_plan(workspace, code) -> CampaignPlan:
    return get_object_or_404(campaign_plans(workspace), code=code_or_404(code))
