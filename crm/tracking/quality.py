"""The tracking plan and the data-quality view (DESIGN §4, seed 001: naming, schema dictionary,
QA, missing-tag monitors).

Writes: tracked_event_create / _update / _delete — audited, one transaction each.
Reads: tracking_plan, get_tracked_event, tracking_plan_activity, data_quality_summary.

The summary is set-based: every number is a SQL aggregate over the workspace's events in the
window (the (workspace, occurred_at) index), a handful of queries whatever the volume; Python
only walks the grouped rows (one per event name or issue), never the events themselves.

Two views of quality sit side by side, on purpose:
- *flags recorded at ingest* (Event.quality_issues) say what the plan said when the event
  arrived — they never change afterwards;
- *checks against today's plan* (unknown names, missing required properties) re-check the
  window against the current plan, so fixing the plan shows at once and events that arrived
  before the plan existed are checked too.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit, diff, snapshot

from crm.models import Consent, Contact, Event, TrackedEvent

MAX_REQUIRED_PROPERTIES = 50
PROPERTY_MAX_LENGTH = 100
NAME_MAX_LENGTH = 100
DEFAULT_DAYS = 30
MAX_DAYS = 730
TOP_LIMIT = 20
# seed 001's "unified naming": lower-case words joined by underscores (object_action).
NAMING_CONVENTION = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
PLAN_FIELDS = ["name", "description", "required_properties"]


# --- validation ------------------------------------------------------------------------------

def clean_required_properties(value) -> list[str]:
    """A list of distinct property names, each a valid identifier; raises ValidationError."""
    field = "required_properties"
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: [_("Give a list of property names.")]})
    if len(value) > MAX_REQUIRED_PROPERTIES:
        raise ValidationError({field: [_("At most %(n)d required properties.")
                                       % {"n": MAX_REQUIRED_PROPERTIES}]})
    out: list[str] = []
    errors: list[str] = []
    for item in value:
        if not isinstance(item, str):
            errors.append(_("Every property name must be text."))
            continue
        name = item.strip()
        if not name.isidentifier() or len(name) > PROPERTY_MAX_LENGTH:
            errors.append(_("“%(name)s” is not a property name: use letters, digits and "
                            "underscores, not starting with a digit.") % {"name": item})
        elif name in out:
            errors.append(_("“%(name)s” is listed twice.") % {"name": name})
        else:
            out.append(name)
    if errors:
        raise ValidationError({field: errors})
    return out


def _clean_name(workspace, name, *, exclude_pk=None) -> str:
    name = (name or "").strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not name:
        raise ValidationError({"name": [_("Give the event name, exactly as it is sent.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [_("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}]})
    taken = TrackedEvent.objects.filter(workspace=workspace, name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": [_("“%(name)s” is already in the tracking plan.")
                                        % {"name": name}]})
    return name


# --- writes ----------------------------------------------------------------------------------

@transaction.atomic
def tracked_event_create(*, actor: Actor, name: str, description: str = "",
                         required_properties: list | None = None) -> TrackedEvent:
    """Add an event to the workspace's tracking plan."""
    ws = actor.workspace
    cleaned, errors = {}, {}
    for field, clean in (("name", lambda: _clean_name(ws, name)),
                         ("required_properties",
                          lambda: clean_required_properties(required_properties))):
        try:
            cleaned[field] = clean()
        except ValidationError as e:  # report every bad field at once
            errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)
    te = TrackedEvent(workspace=ws, description=(description or "").strip(), **cleaned)
    te.full_clean()
    te.save()
    audit(actor, "tracked_event.create", te, object_repr=te.name,
          changes=snapshot(te, PLAN_FIELDS))
    return te


@transaction.atomic
def tracked_event_update(*, actor: Actor, tracked_event: TrackedEvent, **fields) -> TrackedEvent:
    """Change a tracking-plan entry (name, description, required properties)."""
    te = tracked_event
    if te.workspace_id != actor.workspace.pk:
        raise ValidationError(_("This event belongs to another workspace."))
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not tracking-plan fields: {sorted(unknown)}")
    before = snapshot(te, PLAN_FIELDS)
    if "name" in fields:
        te.name = _clean_name(actor.workspace, fields["name"], exclude_pk=te.pk)
    if "description" in fields:
        te.description = (fields["description"] or "").strip()
    if "required_properties" in fields:
        te.required_properties = clean_required_properties(fields["required_properties"])
    te.full_clean()
    te.save(update_fields=PLAN_FIELDS)
    changes = diff(before, snapshot(te, PLAN_FIELDS))
    if changes:
        audit(actor, "tracked_event.update", te, object_repr=te.name, changes=changes)
    return te


@transaction.atomic
def tracked_event_delete(*, actor: Actor, tracked_event: TrackedEvent) -> None:
    """Remove an event from the plan. Events already stored keep their flags."""
    te = tracked_event
    if te.workspace_id != actor.workspace.pk:
        raise ValidationError(_("This event belongs to another workspace."))
    audit(actor, "tracked_event.delete", te, object_repr=te.name,
          changes=snapshot(te, PLAN_FIELDS))
    te.delete()


# --- reads -----------------------------------------------------------------------------------

def tracking_plan(workspace):
    """The workspace's tracking plan, by event name."""
    return TrackedEvent.objects.filter(workspace=workspace).order_by("name")


def get_tracked_event(workspace, code) -> TrackedEvent:
    """The workspace's tracking-plan entry, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(TrackedEvent, workspace=workspace, code=code)


def _window(workspace, days: int, now=None):
    now = now or timezone.now()
    since = now - timedelta(days=days)
    return now, since, Event.objects.filter(workspace=workspace, occurred_at__gte=since)


def tracking_plan_activity(workspace, *, days: int = DEFAULT_DAYS, now=None) -> list[dict]:
    """The plan's entries, each with its event count and last time seen in the window."""
    plan = list(tracking_plan(workspace))
    _now, _since, events = _window(workspace, days, now)
    seen = {}
    if plan:
        seen = {r["name"]: r for r in events.filter(name__in=[t.name for t in plan])
                .order_by().values("name").annotate(events=Count("id"),
                                                    last_seen=Max("occurred_at"))}
    return [{"entry": t, "events": seen.get(t.name, {}).get("events", 0),
             "last_seen": seen.get(t.name, {}).get("last_seen")} for t in plan]


def naming_suggestion(name: str) -> str:
    """The name in the naming convention: "Clicked CTA" / "clickedCta" → "clicked_cta"."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _ingest_flags(workspace, since) -> list[dict]:
    """Flags stored at ingest in the window: events per issue ("unknown_event",
    "missing:<property>"), by unnesting the JSON lists in SQL."""
    table = connection.ops.quote_name(Event._meta.db_table)
    if connection.vendor == "postgresql":
        elements = "jsonb_array_elements_text(e.quality_issues) AS f(issue)"
        nonempty = "e.quality_issues <> '[]'::jsonb"
        issue = "f.issue"
    else:  # SQLite (the embedded default)
        elements = "json_each(e.quality_issues) AS f"
        nonempty = "e.quality_issues <> '[]'"
        issue = "f.value"
    with connection.cursor() as cur:
        cur.execute(f"SELECT {issue}, COUNT(*) FROM {table} e, {elements} "
                    f"WHERE e.workspace_id = %s AND e.occurred_at >= %s AND {nonempty} "
                    f"GROUP BY {issue} ORDER BY COUNT(*) DESC, {issue}", [workspace.pk, since])
        return [{"issue": i, "events": n} for i, n in cur.fetchall()]


def _missing_aggregates(plan: dict[str, list[str]]) -> tuple[dict, list[tuple[str, str, str]]]:
    """Conditional counts that ride along the per-name query: per required property, the
    events of a name requiring it that lack it; and events lacking any. Returns the
    annotations and the (event, property, column) checks in plan order."""
    columns: dict[str, str] = {}
    requiring: dict[str, list[str]] = {}
    checks = []
    for name, props in sorted(plan.items()):
        for prop in props:
            col = columns.setdefault(prop, f"lacks_{len(columns)}")
            requiring.setdefault(prop, []).append(name)
            checks.append((name, prop, col))
    aggs = {col: Count("id", filter=Q(name__in=requiring[prop]) & ~Q(properties__has_key=prop))
            for prop, col in columns.items()}
    any_missing = Q()
    for name, props in plan.items():
        if props:
            lacks = Q()
            for prop in props:
                lacks |= ~Q(properties__has_key=prop)
            any_missing |= Q(name=name) & lacks
    if checks:
        aggs["lacks_any"] = Count("id", filter=any_missing)
    return aggs, checks


def data_quality_summary(workspace, days: int = DEFAULT_DAYS, *, now=None) -> dict:
    """Data quality of the workspace's events in the last `days` days, and of its contacts.

    Counts and shares for: events per name, flags recorded at ingest per issue and kind,
    unknown event names (with first/last seen), events missing each required property,
    naming-convention breaks, events without a channel / UTM tags ("missing tags"), UTM
    sources that map to no channel, anonymous events not linked to a contact, and contacts
    with no consent record. All aggregated in SQL."""
    days = int(days)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be within 1..{MAX_DAYS}")
    now, since, events = _window(workspace, days, now)
    plan = dict(tracking_plan(workspace).values_list("name", "required_properties"))

    no_channel = Q(channel__isnull=True)
    no_utm = Q(utm_source="", utm_medium="", utm_campaign="")
    anonymous = Q(contact__isnull=True)
    missing_aggs, checks = _missing_aggregates(plan)
    # one pass over the window: per name, every count the page shows
    by_name = list(
        events.order_by().alias(flags_text=Cast("quality_issues", TextField()))
        .values("name").annotate(
            events=Count("id"),
            flagged=Count("id", filter=~Q(quality_issues=[])),
            flagged_missing=Count("id", filter=Q(flags_text__contains='"missing:')),
            no_channel=Count("id", filter=no_channel),
            no_utm=Count("id", filter=no_utm),
            untagged=Count("id", filter=no_channel & no_utm),
            anonymous=Count("id", filter=anonymous),
            first_seen=Min("occurred_at"), last_seen=Max("occurred_at"),
            **missing_aggs,
        ).order_by("-events", "name"))
    total = sum(r["events"] for r in by_name)

    def total_of(key):
        return sum(r[key] for r in by_name)

    for r in by_name:
        r["share"] = _share(r["events"], total)
        r["flagged_share"] = _share(r["flagged"], r["events"])
        r["in_plan"] = r["name"] in plan
        r["follows_naming"] = bool(NAMING_CONVENTION.match(r["name"]))

    # unknown to today's plan (an empty plan checks nothing, as at ingest)
    unknown = [{"name": r["name"], "events": r["events"], "share": r["share"],
                "first_seen": r["first_seen"], "last_seen": r["last_seen"]}
               for r in by_name if plan and not r["in_plan"]]
    unknown_events = sum(u["events"] for u in unknown)

    rows = {r["name"]: r for r in by_name}
    missing = []
    for name, prop, col in checks:
        n = rows[name][col] if name in rows else 0
        if n:
            missing.append({"event": name, "property": prop, "events": n,
                            "share": _share(n, rows[name]["events"])})
    missing_any = total_of("lacks_any") if checks else 0
    for r in by_name:  # the per-property columns are folded into `missing`
        for key in [k for k in r if k.startswith("lacks_")]:
            del r[key]

    issues = _ingest_flags(workspace, since)
    flagged = total_of("flagged")
    for i in issues:
        i["share"] = _share(i["events"], total)

    naming = [{"name": r["name"], "events": r["events"], "in_plan": r["in_plan"],
               "suggestion": naming_suggestion(r["name"])}
              for r in by_name if not r["follows_naming"]]

    unmapped = list(events.filter(channel__isnull=True).exclude(utm_source="").order_by()
                    .values("utm_source").annotate(events=Count("id"))
                    .order_by("-events", "utm_source")[:TOP_LIMIT])
    # COUNT over a DISTINCT subquery: PostgreSQL hashes it, COUNT(DISTINCT) would sort
    anon_ids = (events.filter(anonymous).exclude(anonymous_id="").order_by()
                .values("anonymous_id").distinct().count())

    contacts = (Contact.objects.filter(workspace=workspace)
                .annotate(has_consent=Exists(Consent.objects.filter(contact=OuterRef("pk"))))
                .aggregate(total=Count("id"), without=Count("id", filter=Q(has_consent=False))))

    tags = {"no_channel": total_of("no_channel"), "no_utm": total_of("no_utm"),
            "untagged": total_of("untagged")}
    anonymous_events = total_of("anonymous")
    problems = {
        "flagged_events": flagged,
        "unknown_event_names": len(unknown),
        "missing_property_events": missing_any,
        "naming_breaks": len(naming),
        "untagged_events": tags["untagged"],
        "contacts_without_consent": contacts["without"],
    }
    return {
        "days": days,
        "since": since,
        "until": now,
        "plan_size": len(plan),
        "events": total,
        "event_names": len(by_name),
        "clean": total > 0 and not any(problems.values()),
        "problems": problems,
        "by_name": by_name,
        "flags": {
            "events": flagged,
            "share": _share(flagged, total),
            "unknown_event": next((i["events"] for i in issues
                                   if i["issue"] == "unknown_event"), 0),
            "missing_property": total_of("flagged_missing"),
            "by_issue": issues,
        },
        "unknown_events": {"names": len(unknown), "events": unknown_events,
                           "share": _share(unknown_events, total), "rows": unknown},
        "missing_properties": {"events": missing_any, "share": _share(missing_any, total),
                               "rows": missing},
        "naming": {"names": len(naming), "rows": naming},
        "tags": {**tags, **{f"{k}_share": _share(v, total) for k, v in tags.items()},
                 "unmapped_utm_sources": unmapped},
        "identity": {"anonymous_events": anonymous_events,
                     "anonymous_share": _share(anonymous_events, total),
                     "anonymous_ids": anon_ids},
        "consent": {"contacts": contacts["total"], "without_consent": contacts["without"],
                    "share": _share(contacts["without"], contacts["total"])},
    }


def unusable_rows(workspace_id: int) -> dict[str, int]:
    """Stored rows dated where MOS cannot compute (before 2000-01-01 or after tomorrow): the
    loaders leave them out and the data-quality page lists them."""
    from mos.validation import EARLIEST_DATE, FUTURE_SLACK

    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    lo = datetime(EARLIEST_DATE.year, 1, 1, tzinfo=ZoneInfo("UTC"))
    hi = now + FUTURE_SLACK
    sql = " UNION ALL ".join(
        f"SELECT '{name}', COUNT(*) FROM {table} WHERE workspace_id = %s "
        f"AND ({col} < %s OR {col} > %s)"
        for name, table, col in (("orders", "crm_order", "occurred_at"),
                                 ("events", "crm_event", "occurred_at"),
                                 ("stage_changes", "crm_stagechange", "at"),
                                 ("contacts", "crm_contact", "created_at")))
    sql += " UNION ALL SELECT 'spend', COUNT(*) FROM engines_spend WHERE workspace_id = %s " \
           "AND (date < %s OR date > %s)"
    params = [workspace_id, lo, hi] * 4 + [workspace_id, EARLIEST_DATE,
                                           (hi + FUTURE_SLACK).date()]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return {name: int(n) for name, n in cur.fetchall() if n}
