"""SQL → frames for the lead score (the maths is in compute.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone as dt_tz

import pandas as pd
from django.db.models import Count
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate

from ..models import Contact, Event, ScoringRule
from .compute import Rule, columns_needed


def workspace_rules(workspace) -> list[Rule]:
    return [Rule(kind=r.kind, field=r.field, values=tuple(r.values or ()), points=r.points,
                 half_life_days=r.half_life_days, max_points=r.max_points)
            for r in ScoringRule.objects.filter(workspace=workspace, active=True)]


def load_contacts(workspace, rules: list[Rule], contact_ids=None) -> pd.DataFrame:
    """id, score (the stored one) and the columns the rules read."""
    qs = Contact.objects.filter(workspace=workspace)
    if contact_ids is not None:
        qs = qs.filter(id__in=list(contact_ids))
    cols = columns_needed(rules)
    props = {c: KT("properties__" + c[len("prop__"):]) for c in cols if c.startswith("prop__")}
    if props:
        qs = qs.annotate(**props)
    rows = list(qs.order_by().values_list("id", "lead_score__score", *cols))
    frame = pd.DataFrame(rows, columns=["id", "score", *cols])
    frame["score"] = frame["score"].fillna(-1)  # never scored: written whatever it gets
    return frame


def load_events(workspace, rules: list[Rule], as_of: date, contact_ids=None) -> pd.DataFrame:
    """Occurrences per (contact, event, day) of the rules' events within their lookback."""
    event_rules = [r for r in rules if r.kind == "event"]
    if not event_rules:
        return pd.DataFrame(columns=["contact_id", "name", "day", "n"])
    since = datetime.combine(as_of - timedelta(days=max(r.lookback_days for r in event_rules)),
                             time.min, tzinfo=dt_tz.utc)
    qs = Event.objects.filter(workspace=workspace, contact__isnull=False,
                              name__in=sorted({r.field for r in event_rules}),
                              occurred_at__gte=since)
    if contact_ids is not None:
        qs = qs.filter(contact_id__in=list(contact_ids))
    rows = list(qs.annotate(day=TruncDate("occurred_at", tzinfo=dt_tz.utc)).order_by()
                .values_list("contact_id", "name", "day").annotate(n=Count("id")))
    return pd.DataFrame(rows, columns=["contact_id", "name", "day", "n"])
