"""Calendar plumbing shared by every app: the workspace's time zone and "today", period starts
and month arithmetic. Pure Python (no pandas), so any layer may use it.

A workspace's day is its own: "today", "last month" and a KPI's week start in the workspace's
time zone (Workspace.timezone), never in the server's.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

UTC = ZoneInfo("UTC")
GRAINS = ("day", "week", "month", "quarter")


def workspace_tz(workspace) -> ZoneInfo:
    """The workspace's time zone (UTC when unset or unknown)."""
    try:
        return ZoneInfo(workspace.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def workspace_today(workspace) -> date:
    """Today's date where the workspace is."""
    return timezone.now().astimezone(workspace_tz(workspace)).date()


def period_start(grain: str, day: date) -> date:
    """The first day of the day / week (Monday) / month / quarter holding `day`."""
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    raise ValueError(f"unknown grain {grain!r}")


def add_months(day: date, n: int) -> date:
    """The same day-of-month n months later (or earlier), clipped to the month's length."""
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_starts(start: date, end: date) -> list[date]:
    """The first days of the months from start's to end's, both included."""
    first, last = start.replace(day=1), end.replace(day=1)
    out = []
    while first <= last:
        out.append(first)
        first = add_months(first, 1)
    return out


def month_end(day: date) -> date:
    """The last day of day's month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
