"""Reads for the CRM. Every function starts from the workspace; another workspace's object
answers exactly like a missing one (404).

Contact search (contact_list's `q`) must stay fast at a million contacts, so each kind of query
reads only the index that can answer it (contact_search_q):
- something with an "@" is an e-mail address, whole or its start: `LOWER(email) LIKE 'x%'`, a
  range scan of the B-tree `(workspace_id, LOWER(email) text_pattern_ops)` (migration 0018);
- digits with + ( ) - . or spaces is a phone number or its start: `phone LIKE 'x%'`, the B-tree
  `(workspace_id, phone varchar_pattern_ops)`;
- anything else is a name or a company (Latin or Arabic): name and company `icontains`, which
  Django writes as `UPPER(col::text) LIKE UPPER('%x%')`, served by the GIN `UPPER(col)
  gin_trgm_ops` indexes of migration 0003, or the start of an e-mail address (the B-tree
  again). A query shorter than three characters yields no full trigram, so names and
  companies are then matched by prefix (the trigram index's word-start trigrams).
SQLite has none of these indexes and scans, which is fine for the embedded demo."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _

from mos.codes import as_code
from mos.models import User, Workspace
from mos.pagination import capped_count

from .lifecycle import default_stages
from .models import (
    Account,
    Channel,
    Consent,
    ConsentChannel,
    Contact,
    ContactMerge,
    CustomerType,
    Event,
    LeadFeedback,
    LifecycleStage,
    Order,
    Persona,
    Segment,
    Stage,
    StageChange,
)

LEAD_STAGES = [Stage.LEAD, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY]

CONTACT_SORTS = {
    "created_at": ("created_at", "id"), "-created_at": ("-created_at", "-id"),
    "created": ("created_at", "id"), "-created": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"), "-updated_at": ("-updated_at", "-id"),
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "email": ("email", "id"), "-email": ("-email", "-id"),
    "stage": ("stage", "id"), "-stage": ("-stage", "-id"),
    "stage_changed_at": ("stage_changed_at", "id"),
    "-stage_changed_at": ("-stage_changed_at", "-id"),
}


def _get(qs, code):
    """The row of `qs` with this code, or 404 (a malformed code is simply not found)."""
    code = as_code(code)
    if code is None:
        raise Http404
    return get_object_or_404(qs, code=code)


def get_contact(workspace: Workspace, code) -> Contact:
    """The workspace's contact, or 404 (also for other workspaces' codes)."""
    return _get(Contact.objects.filter(workspace=workspace).select_related(
        "account", "persona", "owner", "source_channel", "source_campaign"), code)


def get_account(workspace: Workspace, code) -> Account:
    return _get(Account.objects.filter(workspace=workspace), code)


def get_persona(workspace: Workspace, code) -> Persona:
    return _get(Persona.objects.filter(workspace=workspace), code)


def get_segment(workspace: Workspace, code) -> Segment:
    return _get(Segment.objects.filter(workspace=workspace), code)


def get_lifecycle_stage(workspace: Workspace, key: str) -> LifecycleStage:
    """The workspace's stage with this key (its default when never edited), or 404."""
    for stage in lifecycle_stages(workspace):
        if stage.key == key:
            return stage
    raise Http404


# --- contacts ------------------------------------------------------------------------------

def _listify(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set)):
        return [v for v in value if v not in (None, "")]
    return [value]


SEARCH_COUNT_CAP = 500  # the contacts list counts a search's matches up to this ("500+")
PHONE_QUERY = re.compile(r"\+?[\d\s().-]*\d[\d\s().-]*")


def _email_starts(prefix: str) -> Q:
    """LOWER(email) LIKE 'prefix%' (addresses are stored in lower case; LOWER keeps an odd
    mixed-case row findable): the expression the prefix B-tree indexes."""
    from django.db.models.functions import Lower
    from django.db.models.lookups import StartsWith

    return Q(StartsWith(Lower("email"), prefix.lower()))


def _is_address_or_number(q: str) -> bool:
    """An e-mail address or a phone number (or its start): a B-tree range with few matches,
    which needs no walk (contact_search_q)."""
    return "@" in q or bool(PHONE_QUERY.fullmatch(q) and sum(ch.isdigit() for ch in q) >= 3)


def contact_search_q(q: str) -> Q:
    """The search condition for `q`, by kind (see the module docstring): an e-mail address
    (whole or its start), a phone number (or its start), or a name / company fragment."""
    q = q.strip()
    if "@" in q:
        return _email_starts(q)
    if _is_address_or_number(q):
        return Q(phone__startswith=q)
    if len(q) < 3:
        short = Q(name__istartswith=q) | Q(company__istartswith=q) | _email_starts(q)
        return short | Q(phone__startswith=q) if q[0] in "+(0123456789" else short
    return Q(name__icontains=q) | Q(company__icontains=q) | _email_starts(q)


def contact_list(workspace: Workspace, *, q: str = "", stage=None, persona=None,
                 customer_type=None, channel=None, owner=None, segment=None,
                 sort: str = "-created_at") -> QuerySet:
    """The workspace's contacts, searched and filtered.

    stage / customer_type / channel (key) accept one value, a comma list or a list; persona a
    Persona, a code or a list; owner a User, an e-mail or "none" (unassigned); segment a
    Segment or its code. Unknown references match nothing."""
    return contact_filter(contact_base(workspace, sort), workspace, q=q, stage=stage,
                          persona=persona, customer_type=customer_type, channel=channel,
                          owner=owner, segment=segment)


CONTACT_ROW_RELATED = ("persona", "owner", "source_channel", "source_campaign", "account")


def contact_base(workspace: Workspace, sort: str = "-created_at") -> QuerySet:
    """Every contact of the workspace, with what a list row shows, in the `sort` order."""
    return Contact.objects.filter(workspace=workspace).select_related(
        *CONTACT_ROW_RELATED).order_by(
        *CONTACT_SORTS.get(sort, CONTACT_SORTS["-created_at"]))


SEARCH_ID_CAP = 10_000  # a search with at most this many matches is paged over their ids


def narrow_to_matches(qs: QuerySet, rows: QuerySet | None = None,
                      first: int | None = None, on_count=None) -> QuerySet:
    """A searched contact list `qs` for paging: its matches found first, through the search's
    own index, then only those sorted. `rows` is the unscoped queryset the page's rows come
    from (its joins and annotations; default: Contact with a list row's joins).

    Sorted and cut at a page, a search leaves PostgreSQL a gamble on its estimate of how many
    rows match: read every match through the search index and sort them, or walk the sort
    index (workspace, created-at …) and test each row until a page is full, which assumes the
    matches are spread evenly. For a full name they are not, the estimate is often ten times
    too high, and the walk tests tens of thousands of rows (a second at 5M contacts). So:

    1. the ids of up to SEARCH_ID_CAP matches are taken in a MATERIALIZED CTE, which
       PostgreSQL plans for every row (through the search index when few match) and stops
       reading at the cap;
    2. when those are all, the page is `rows` with those ids, sorted as `qs`. That query has
       no workspace condition on purpose: every sort index starts with the workspace, so
       without it no walk is possible and the ids are looked up by primary key (they are the
       workspace's own: step 1 read them through `qs`, which is scoped to it);
    3. when there are more, the matches are dense, a walk finds a page quickly, and `qs` is
       returned as it was.

    With `first` (a page's rows), step 1 also reads the matches' sort keys and returns the ids
    of only the first `first` in order, so the matches are read once; it also counts them (up
    to the cap + 1) and tells `on_count`.

    SQLite has none of these indexes: the same steps, without the fence."""
    order = [(f.lstrip("-"), f.startswith("-")) for f in qs.query.order_by
             if isinstance(f, str) and f.lstrip("-") not in ("pk", "?")]
    if connection.vendor == "postgresql" and first and all(
            "__" not in name for name, _d in order):
        inner = qs.order_by().values_list("pk", *(name for name, _d in order))
        sql, params = inner.query.sql_with_params()
        by = ", ".join(f"{i + 2}{' DESC' if desc else ''}" for i, (_n, desc) in enumerate(order))
        with connection.cursor() as cur:
            cur.execute(f"WITH m AS MATERIALIZED ({sql} LIMIT %s), n AS (SELECT count(*) "
                        f"FROM m) SELECT m.*, n.count FROM m, n ORDER BY {by or 1} LIMIT %s",
                        [*params, SEARCH_ID_CAP + 1, first])
            found = cur.fetchall()
        count = found[0][-1] if found else 0
        if on_count is not None:
            on_count(count)
        if count > SEARCH_ID_CAP:
            return qs
        ids = [row[0] for row in found]
    elif connection.vendor == "postgresql":
        inner = qs.order_by().values_list("pk", flat=True)
        sql, params = inner.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute(f"WITH m AS MATERIALIZED ({sql}) SELECT * FROM m LIMIT %s",
                        [*params, SEARCH_ID_CAP + 1])
            ids = [row[0] for row in cur.fetchall()]
    else:
        ids = list(qs.order_by().values_list("pk", flat=True)[:SEARCH_ID_CAP + 1])
    if len(ids) > SEARCH_ID_CAP:
        return qs
    return _rows_by_id(ids, qs.query.order_by, rows)


def _rows_by_id(ids, order, rows: QuerySet | None = None) -> QuerySet:
    """The list rows of these contact ids, in `order`, with no workspace condition (see
    narrow_to_matches, step 2: the ids were read through a workspace-scoped query)."""
    if rows is None:
        rows = Contact.objects.select_related(*CONTACT_ROW_RELATED)
    return rows.filter(pk__in=ids).order_by(*order)


SEARCH_WALK_ROWS = 2_000  # a search page first walks this many rows of the list in order


class SearchNarrower:
    """A KeysetPage `narrow` for a searched contact list: the page's rows found by the cheaper
    of two bounded reads, never by PostgreSQL's guess of how many rows match.

    1. Walk: read the unsearched list (the same filters, order and keyset position) in its
       order, at most SEARCH_WALK_ROWS rows, testing each for the search, until the page is
       full. In a MATERIALIZED CTE, so the walk is bounded however the planner estimates.
       When the matches are dense this fills the page at once; it is exactly the first rows.
    2. Otherwise the matches are sparse: narrow_to_matches takes them through the search
       index (up to SEARCH_ID_CAP) and sorts only those; beyond that, the plain query.

    So a search costs at most a 2,000-row walk plus its own matches, instead of a walk of
    tens of thousands of rows when PostgreSQL expects many matches and there are few. An
    e-mail address or a phone number skips the walk: its B-tree range has few matches."""

    def __init__(self, workspace: Workspace, filters: dict):
        self.total = None  # the matches, when step 2 counted them on a first page
        self.q = (filters.get("q") or "").strip()
        self.searched = contact_list(workspace, **filters)
        self.unsearched = contact_list(workspace, **{**filters, "q": ""})

    def __call__(self, after: Q, n: int) -> QuerySet:
        from django.db.models import BooleanField, ExpressionWrapper

        order = self.searched.query.order_by
        if connection.vendor == "postgresql" and not _is_address_or_number(self.q):
            walk = (self.unsearched.filter(after).select_related(None)
                    .annotate(_hit=ExpressionWrapper(contact_search_q(self.q),
                                                     output_field=BooleanField()))
                    .values_list("pk", "_hit")[:SEARCH_WALK_ROWS])
            sql, params = walk.query.sql_with_params()
            with connection.cursor() as cur:
                cur.execute(f"WITH w (id, hit) AS MATERIALIZED ({sql}) "
                            f"SELECT id FROM w WHERE hit LIMIT %s", [*params, n])
                ids = [row[0] for row in cur.fetchall()]
            if len(ids) == n:
                return _rows_by_id(ids, order)

        def counted(count):
            if not after:  # the first page: these are all the list's matches
                self.total = count

        return narrow_to_matches(self.searched.filter(after), first=n, on_count=counted)


def contact_filter(qs: QuerySet, workspace: Workspace, *, q: str = "", stage=None,
                   persona=None, customer_type=None, channel=None, owner=None,
                   segment=None) -> QuerySet:
    """contact_list's filters applied to a queryset already scoped to `workspace`."""
    if q and q.strip():
        qs = qs.filter(contact_search_q(q))
    if stages := _listify(stage):
        qs = qs.filter(stage__in=stages)
    if persona not in (None, "", []):
        items = _listify(persona)
        ids = [p.pk for p in items if isinstance(p, Persona)]
        codes = [c for c in (as_code(p) for p in items if not isinstance(p, Persona)) if c]
        qs = qs.filter(Q(persona_id__in=ids) | Q(persona__code__in=codes))
    if types := _listify(customer_type):
        qs = qs.filter(customer_type__in=types)
    if channels := _listify(channel):
        qs = qs.filter(source_channel__key__in=channels)
    if owner not in (None, ""):
        if isinstance(owner, User):
            qs = qs.filter(owner=owner)
        elif str(owner).lower() == "none":
            qs = qs.filter(owner__isnull=True)
        else:
            qs = qs.filter(owner__email=str(owner).strip().lower())
    if segment not in (None, ""):
        if not isinstance(segment, Segment):
            code = as_code(segment)
            segment = Segment.objects.filter(workspace=workspace, code=code).first() if code \
                else None
        if segment is None or segment.workspace_id != workspace.pk:
            return qs.none()
        qs = qs.filter(pk__in=segment_contacts(segment).values("pk"))
    return qs


# --- segments --------------------------------------------------------------------------------

SEGMENT_LIST_KEYS = ["stage", "persona", "customer_type", "plan", "country", "channel"]
_PROPERTY_KEY = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def validate_segment_filters(filters) -> dict:
    """A segment's filters, cleaned (lists deduplicated, empty keys dropped), or
    ValidationError keyed by filter name."""
    if filters in (None, ""):
        return {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_("Filters must be an object.")]})
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    from crm import extensions

    ranges = extensions.SEGMENT_RANGE_FILTERS
    allowed = set(SEGMENT_LIST_KEYS) | {"owner", "properties"} | set(ranges)
    for key in sorted(set(filters) - allowed):
        errors[key] = [_("Unknown filter.")]
    for key in SEGMENT_LIST_KEYS:
        value = filters.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors[key] = [_("Give a list of values.")]
            continue
        values = list(dict.fromkeys(v.strip() for v in value))
        if key == "stage":
            bad = [v for v in values if v not in Stage.values]
        elif key == "customer_type":
            bad = [v for v in values if v not in CustomerType.values]
        elif key == "persona":
            bad = [v for v in values if as_code(v) is None]
        elif key == "country":
            values = [v.upper() for v in values]
            bad = [v for v in values if not re.fullmatch(r"[A-Z]{2}", v)]
        else:
            bad = []
        if bad:
            errors[key] = [_("Unknown value(s): %(values)s") % {"values": ", ".join(bad)}]
            continue
        cleaned[key] = values
    owner = filters.get("owner")
    if owner not in (None, ""):
        if not isinstance(owner, str) or "@" not in owner:
            errors["owner"] = [_("Give the owner's e-mail.")]
        else:
            cleaned["owner"] = owner.strip().lower()
    props = filters.get("properties")
    if props not in (None, {}, ""):
        if not isinstance(props, dict):
            errors["properties"] = [_("Give an object of property: value.")]
        else:
            bad = [k for k in props if not _PROPERTY_KEY.match(str(k)) or "__" in str(k)]
            bad += [k for k, v in props.items() if not isinstance(v, (str, int, float, bool))]
            if bad:
                errors["properties"] = [_("Invalid property filter(s): %(keys)s")
                                        % {"keys": ", ".join(map(str, bad))}]
            else:
                cleaned["properties"] = dict(props)
    for key in ranges:
        value = filters.get(key)
        if value in (None, {}, ""):
            continue
        rng = _clean_range(value)
        if rng is None:
            errors[key] = [_('Give a range like {"lt": 0.3} (gt, gte, lt, lte: numbers).')]
        else:
            cleaned[key] = rng
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_range(value) -> dict | None:
    """{op: finite number} with op in gt, gte, lt, lte, or None if it is not one."""
    from crm.extensions import RANGE_OPS

    if not isinstance(value, dict) or not value or set(value) - set(RANGE_OPS):
        return None
    out = {}
    for op, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or abs(v) > 1e15:
            return None
        out[op] = v
    return out


def segment_queryset(workspace: Workspace | int, filters: dict) -> QuerySet:
    """The workspace's contacts matching a segment's saved filters (keys combine with AND,
    values of one key with OR)."""
    f = filters or {}
    qs = Contact.objects.filter(workspace=workspace)
    if f.get("stage"):
        qs = qs.filter(stage__in=f["stage"])
    if f.get("persona"):
        codes = [c for c in (as_code(v) for v in f["persona"]) if c]
        qs = qs.filter(persona__code__in=codes)
    if f.get("customer_type"):
        qs = qs.filter(customer_type__in=f["customer_type"])
    if f.get("plan"):
        qs = qs.filter(account__plan__in=f["plan"])
    if f.get("country"):
        qs = qs.filter(country__in=[c.upper() for c in f["country"]])
    if f.get("channel"):
        qs = qs.filter(source_channel__key__in=f["channel"])
    if f.get("owner"):
        qs = qs.filter(owner__email=f["owner"])
    for key, value in (f.get("properties") or {}).items():
        if not _PROPERTY_KEY.match(str(key)) or "__" in str(key):
            return qs.none()
        qs = qs.filter(**{f"properties__{key}": value})
    from crm import extensions

    for key, (_label, apply) in extensions.SEGMENT_RANGE_FILTERS.items():
        if f.get(key):
            rng = _clean_range(f[key])
            if rng is None:
                return qs.none()
            qs = apply(qs, rng)
    return qs


def segment_contacts(segment: Segment) -> QuerySet:
    """The segment's contacts now: those its filters match, minus the ones taken out by hand,
    plus the ones added by hand (a bulk action). A segment without filters is a list: only
    the contacts added to it. One query more than segment_queryset for a segment with
    filters."""
    from .models import SegmentMember

    manual = SegmentMember.objects.filter(segment=segment)
    if segment.filters and not manual.exists():
        return segment_queryset(segment.workspace_id, segment.filters)
    included = manual.filter(included=True).values("contact_id")
    excluded = manual.filter(included=False).values("contact_id")
    qs = Contact.objects.filter(workspace=segment.workspace_id)
    if not segment.filters:
        return qs.filter(pk__in=included)
    matched = segment_queryset(segment.workspace_id, segment.filters).exclude(pk__in=excluded)
    return qs.filter(Q(pk__in=matched.values("pk")) | Q(pk__in=included))


def segment_members(segment: Segment) -> QuerySet:
    """The segment's current members, newest first."""
    from crm import extensions

    return extensions.contact_queryset(
        segment_contacts(segment)
        .select_related("persona", "owner", "source_channel", "source_campaign", "account")
        .order_by("-created_at", "-id"))


# --- a contact's timeline and consent --------------------------------------------------------

def contact_timeline(contact: Contact, limit: int = 200) -> list[dict]:
    """Everything that happened to a contact, newest first: stage changes, events, orders,
    consent, feedback, activities (notes, calls, tasks…) and merges (one query per kind)."""
    items: list[dict] = []
    for sc in (StageChange.objects.filter(contact=contact).select_related("by")
               .order_by("-at", "-id")[:limit]):
        items.append({"kind": "stage", "at": sc.at, "from_stage": sc.from_stage,
                      "to_stage": sc.to_stage, "by": sc.by, "reason": sc.reason, "obj": sc})
    for ev in (Event.objects.filter(contact=contact).select_related("channel", "campaign")
               .order_by("-occurred_at", "-id")[:limit]):
        items.append({"kind": "event", "at": ev.occurred_at, "name": ev.name,
                      "channel": ev.channel, "campaign": ev.campaign,
                      "properties": ev.properties, "quality_issues": ev.quality_issues,
                      "obj": ev})
    for o in Order.objects.filter(contact=contact).order_by("-occurred_at", "-id")[:limit]:
        items.append({"kind": "order", "at": o.occurred_at, "amount": o.amount,
                      "currency": o.currency, "order_kind": o.kind, "obj": o})
    for c in Consent.objects.filter(contact=contact).order_by("-at", "-id")[:limit]:
        items.append({"kind": "consent", "at": c.at, "channel": c.channel, "status": c.status,
                      "source": c.source, "obj": c})
    for fb in (LeadFeedback.objects.filter(contact=contact).select_related("rep")
               .order_by("-at", "-id")[:limit]):
        items.append({"kind": "feedback", "at": fb.at, "quality": fb.quality,
                      "outcome": fb.outcome, "reason": fb.reason, "note": fb.note,
                      "rep": fb.rep, "obj": fb})
    from .models import Subscription

    for sub in (Subscription.objects.filter(contact=contact)
                .order_by("-started_at", "-id")[:limit]):
        items.append({"kind": "subscription", "at": sub.started_at, "obj": sub})
        end = sub.ended_at or (sub.cancelled_at if sub.status in ("cancelled", "ended")
                               else None)
        if end:
            items.append({"kind": "subscription_end", "at": end, "obj": sub})
    from .models import Activity

    for a in (Activity.objects.filter(contact=contact).select_related("owner")
              .order_by("-at", "-id")[:limit]):
        items.append({"kind": "activity", "at": a.at, "obj": a})
    for m in ContactMerge.objects.filter(survivor=contact).order_by("-at")[:limit]:
        items.append({"kind": "merge", "at": m.at, "merged_code": m.merged_code,
                      "matched_on": m.matched_on, "moved": m.moved,
                      "merged_snapshot": m.merged_snapshot, "obj": m})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:limit]


def _latest_per_channel(rows) -> dict:
    """rows ordered newest first → {(contact_id, channel): Consent} keeping the first seen."""
    latest: dict = {}
    for row in rows:
        latest.setdefault((row.contact_id, row.channel), row)
    return latest


def _latest_consents(qs) -> dict:
    if connection.vendor == "postgresql":
        rows = qs.order_by("contact_id", "channel", "-at", "-id").distinct("contact_id",
                                                                            "channel")
    else:
        rows = qs.order_by("contact_id", "channel", "-at", "-id")
    return _latest_per_channel(rows)


def current_consent(contact: Contact) -> dict[str, Consent | None]:
    """{channel: the latest Consent row or None} for every consent channel."""
    latest = _latest_consents(Consent.objects.filter(contact=contact))
    return {ch: latest.get((contact.pk, ch)) for ch in ConsentChannel.values}


def consent_state_for(workspace: Workspace, contact_ids) -> dict[int, dict[str, Consent | None]]:
    """{contact id: {channel: latest Consent or None}} for a page of contacts, in one query."""
    ids = list(contact_ids)
    state = {cid: dict.fromkeys(ConsentChannel.values) for cid in ids}
    if not ids:
        return state
    latest = _latest_consents(Consent.objects.filter(workspace=workspace, contact_id__in=ids))
    for (cid, ch), row in latest.items():
        state[cid][ch] = row
    return state


def consent_history(contact: Contact) -> QuerySet:
    """Every consent row of the contact, newest first (the ledger is append-only)."""
    return (Consent.objects.filter(workspace_id=contact.workspace_id, contact=contact)
            .select_related("contact").order_by("-at", "-id"))


def has_consent(contact: Contact, channel: str) -> bool:
    """True when the contact's current consent for `channel` is granted."""
    row = current_consent(contact).get(channel)
    return row is not None and row.status == Consent.Status.GRANTED


# --- sales, stages ---------------------------------------------------------------------------

def leads_for_rep(workspace: Workspace, user, *, q: str = "", needs_feedback: bool = False,
                  oldest_first: bool = False) -> QuerySet:
    """The open leads assigned to `user` (lead → opportunity), newest first (or oldest);
    `needs_feedback`: only those nobody has given feedback on yet; `q`: name, company, e-mail
    or phone (as the contact search)."""
    qs = (Contact.objects.filter(workspace=workspace, owner=user, stage__in=LEAD_STAGES)
          .select_related("source_channel", "source_campaign", "account", "persona"))
    if q and q.strip():
        qs = qs.filter(contact_search_q(q))
    if needs_feedback:
        qs = qs.filter(~Exists(LeadFeedback.objects.filter(workspace=workspace,
                                                           contact=OuterRef("pk"))))
    return qs.order_by(*(("created_at", "id") if oldest_first else ("-created_at", "-id")))


def next_lead_stage(stage: str) -> str | None:
    """The stage a lead moves to when sales accepts it (lead → MQL → SQL → opportunity), or
    None past the last lead stage."""
    keys = [str(s) for s in LEAD_STAGES]
    i = keys.index(stage) if stage in keys else len(keys)
    return keys[i + 1] if i + 1 < len(keys) else None


def open_leads(workspace: Workspace, *, owner_email: str = "") -> QuerySet:
    """Every open lead (lead → opportunity) of the workspace, or one rep's, newest first."""
    qs = (Contact.objects.filter(workspace=workspace, stage__in=LEAD_STAGES)
          .select_related("source_channel", "source_campaign", "account", "persona"))
    if owner_email:
        qs = qs.filter(owner__email=owner_email.strip().lower())
    return qs.order_by("-created_at", "-id")


def lead_feedback_list(workspace: Workspace, *, contact: Contact | None = None) -> QuerySet:
    qs = LeadFeedback.objects.filter(workspace=workspace).select_related("contact", "rep")
    if contact is not None:
        qs = qs.filter(contact=contact)
    return qs.order_by("-at", "-id")


def lifecycle_stages(workspace: Workspace) -> list[LifecycleStage]:
    """The workspace's nine stages in funnel order; a stage it never edited is its default
    (unsaved: a selector only reads, services.lifecycle_stage_update stores it)."""
    rows = list(LifecycleStage.objects.filter(workspace=workspace).order_by("position", "id"))
    if len(rows) < len(Stage.values):
        stored = {r.key for r in rows}
        rows += default_stages(workspace, [s for s in Stage if s.value not in stored])
        rows.sort(key=lambda r: (r.position, r.pk or 0))
    return rows


# --- for the pages -------------------------------------------------------------------------

def stage_names(workspace) -> dict[str, str]:
    """{stage key: the workspace's name for it}, in funnel order. A name the workspace never
    changed is shown translated (the stored default is the English label)."""
    with translation.override("en"):
        english = {key: str(label) for key, label in Stage.choices}
    names = {}
    for ls in lifecycle_stages(workspace):
        if ls.key in Stage.values and ls.name in ("", english[ls.key]):
            names[ls.key] = str(Stage(ls.key).label)
        else:
            names[ls.key] = ls.name
    for key, label in Stage.choices:
        names.setdefault(key, str(label))
    return names


def contact_orders_summary(contact) -> dict:
    """Number of orders and net revenue (refunds subtracted) of one contact."""
    rows = (Order.objects.filter(workspace=contact.workspace, contact=contact,
                                 status__in=Order.COUNTED_STATUSES)
            .values("kind").annotate(n=Count("id"), total=Sum("amount")))
    count, revenue, currency = 0, Decimal("0"), contact.workspace.currency
    for r in rows:
        if r["kind"] == Order.Kind.REFUND:
            revenue -= r["total"] or 0
        else:
            count += r["n"]
            revenue += r["total"] or 0
    return {"count": count, "revenue": revenue, "currency": currency}


def last_feedback_by_contact(workspace, contacts) -> dict:
    """{contact id: the latest LeadFeedback by anyone} for the cards (one query)."""
    latest = {}
    for fb in (LeadFeedback.objects.filter(workspace=workspace, contact__in=contacts)
               .select_related("rep").order_by("contact_id", "-at", "-id")):
        latest.setdefault(fb.contact_id, fb)
    return latest


def segment_filter_lines(ws, filters: dict, stage_names: dict) -> list[tuple[str, str]]:
    """The segment's filters as (label, values) lines a person can read."""
    out = []
    if filters.get("stage"):
        out.append((_("Stages"), ", ".join(stage_names.get(s, s) for s in filters["stage"])))
    if filters.get("persona"):
        names = Persona.objects.filter(workspace=ws, code__in=filters["persona"]) \
            .values_list("name", flat=True)
        out.append((_("Personas"), ", ".join(names) or "—"))
    if filters.get("customer_type"):
        labels = dict(CustomerType.choices)
        out.append((_("Customer types"), ", ".join(str(labels.get(c, c))
                                                   for c in filters["customer_type"])))
    if filters.get("country"):
        out.append((_("Countries"), ", ".join(filters["country"])))
    if filters.get("channel"):
        names = Channel.objects.filter(workspace=ws, key__in=filters["channel"]) \
            .values_list("name", flat=True)
        out.append((_("Source channels"), ", ".join(names) or ", ".join(filters["channel"])))
    if filters.get("plan"):
        out.append((_("Account plans"), ", ".join(filters["plan"])))
    if filters.get("owner"):
        out.append((_("Owner"), filters["owner"]))
    for key, value in (filters.get("properties") or {}).items():
        out.append((key, str(value)))
    from crm import extensions

    signs = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    for key, (label, _apply) in extensions.SEGMENT_RANGE_FILTERS.items():
        if isinstance(filters.get(key), dict):
            out.append((str(label), ", ".join(f"{signs.get(op, op)} {v:g}" for op, v in
                                               filters[key].items() if op in signs
                                               and isinstance(v, (int, float)))))
    return out


def segment_rows(workspace: Workspace) -> list[dict]:
    """Every segment with its member count (counted no further than COUNT_CAP)."""
    rows = []
    for seg in workspace.segments.all():
        n, capped = capped_count(segment_contacts(seg))
        rows.append({"segment": seg, "count": n, "capped": capped})
    return rows


def persona_list(workspace: Workspace) -> QuerySet:
    """The workspace's personas with their member count (`members`)."""
    return workspace.personas.annotate(members=Count("contacts")).order_by("name")
