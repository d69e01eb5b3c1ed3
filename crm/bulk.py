"""Bulk ingest: validate up to 10,000 rows at once and write the valid ones set-based.

Used by the API's bulk endpoints (crm/api_bulk.py) and reusable by the CSV import: every
`*_bulk` function takes the actor and a list of row dicts (values may be strings, as a CSV
gives them) and returns a BulkResult with one entry per row, in order — nothing is dropped.

How it stays fast: every reference (contacts, channels, campaigns, personas, owners, known
event ids) is resolved with a handful of `IN` queries per request, rows are validated in one
Python pass over plain dicts, and the writes are `bulk_create` / `bulk_update` / one UPDATE —
events go through PostgreSQL's COPY (crm/bulk_events.py). Valid rows of a request are written
in one transaction; a row reaches a service on its own only on the rare identity-merge path.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from crm.models import Channel, Spend
from mos.actors import Actor
from mos.audit import audit_many
from mos.models import Membership

from .bulk_common import (
    MAX_ROWS,
    M,
    BulkResult,
    FieldError,
    RowErrors,
    campaign_refs_resolve,
    chunks,
    contact_refs_resolve,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_email,
    parse_int,
    parse_object,
    parse_text,
    ref_text,
    workspace_tz,
)
from .bulk_events import events_bulk
from .models import (
    BuyingRole,
    Consent,
    ConsentChannel,
    Contact,
    CustomerType,
    Event,
    Order,
    Persona,
    Stage,
    StageChange,
)

__all__ = ["MAX_ROWS", "BulkResult", "contacts_bulk", "events_bulk", "orders_bulk",
           "spend_bulk", "consent_bulk"]


def _rows_with_errors(rows, result: BulkResult, clean_row) -> list[tuple[int, dict]]:
    """Run `clean_row(row, errs)` on each row; rejected rows go to `result` at once."""
    valid = []
    for i, row in enumerate(rows):
        errs = RowErrors()
        if type(row) is not dict:
            errs.add("non_field_errors", "invalid", M.ROW_OBJECT)
            result.reject(i, errs)
            continue
        data = clean_row(row, errs)
        if errs:
            result.reject(i, errs)
        else:
            valid.append((i, data))
    return valid


def _field(errs: RowErrors, data: dict, row: dict, field: str, parse, *args,
           required: bool = False) -> None:
    """Parse row[field] into data[field] when given (None = not given); errors go to errs."""
    value = row.get(field)
    if value is None or value == "":
        if required:
            errs.add(field, "required", M.REQUIRED)
        elif value == "" and (parse in (parse_text, parse_email) or (
                parse is parse_choice and "" in args[0])):
            data[field] = ""  # an explicit blank clears a text field (CSV: empty cell)
        return
    try:
        data[field] = parse(value, *args)
    except FieldError as e:
        errs.add(field, e.code, e.message)


# --- contacts --------------------------------------------------------------------------------

CONTACT_TEXT = {"name": 200, "company": 200, "city": 100, "language": 8, "anonymous_id": 100}
CONTACT_UPDATABLE = ["external_id", "email", "phone", "name", "company", "country", "city",
                     "language", "customer_type", "buying_role", "stage", "stage_changed_at",
                     "owner", "persona", "source_channel", "properties", "updated_at"]


def _country(value, _n=None) -> str:
    value = parse_text(value, 2).upper()
    if value and (len(value) != 2 or not value.isalpha()):
        raise FieldError("invalid", M.COUNTRY)
    return value


def contacts_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Upsert contacts by external_id, else e-mail, else phone. A row whose e-mail is contact
    A's and external_id contact B's merges B into A (reported 'merged')."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    channels = dict(Channel.objects.filter(workspace=ws).values_list("key", "id"))
    members = {e.lower(): pk for pk, e in Membership.objects.filter(workspace=ws)
               .values_list("user_id", "user__email")}

    def clean(row, errs):
        d = {}
        _field(errs, d, row, "external_id", parse_text, 100)
        _field(errs, d, row, "email", parse_email)
        _field(errs, d, row, "phone", parse_text, 40)
        for f, n in CONTACT_TEXT.items():
            _field(errs, d, row, f, parse_text, n)
        _field(errs, d, row, "country", _country)
        _field(errs, d, row, "customer_type", parse_choice, ["", *CustomerType.values])
        _field(errs, d, row, "buying_role", parse_choice, ["", *BuyingRole.values])
        _field(errs, d, row, "stage", parse_choice, Stage.values)
        _field(errs, d, row, "properties", parse_object)
        for f in ("owner", "persona", "source_channel"):
            if row.get(f) is not None:
                d[f] = ref_text(row[f])
        if not (d.get("external_id") or d.get("email") or d.get("phone")) and not (
                {"external_id", "email", "phone"} & set(errs)):
            errs.add("non_field_errors", "required", M.NO_IDENTITY)
        if d.get("owner") and d["owner"].lower() not in members:
            errs.add("owner", "unknown_owner", M.NOT_MEMBER)
        if d.get("source_channel") and d["source_channel"] not in channels:
            errs.add("source_channel", "unknown_channel", M.UNKNOWN_CHANNEL)
        return d

    valid = _rows_with_errors(rows, result, clean)
    persona_refs = {d["persona"] for _i, d in valid if d.get("persona")}
    personas = {}
    if persona_refs:
        codes = []
        for r in persona_refs:
            try:
                codes.append(uuid.UUID(r))
            except ValueError:
                pass
        personas = {str(c): pk for pk, c in Persona.objects.filter(
            workspace=ws, code__in=codes).values_list("id", "code")}
    still_valid = []
    for i, d in valid:
        if d.get("persona") and d["persona"].lower() not in personas:
            errs = RowErrors()
            errs.add("persona", "unknown_persona", M.UNKNOWN_PERSONA)
            result.reject(i, errs)
        else:
            still_valid.append((i, d))
    valid = still_valid

    with transaction.atomic():
        index = _ContactIndex(ws, valid)
        merged_rows = _merge_identities(actor, index, valid)
        if merged_rows:
            index = _ContactIndex(ws, valid)  # the merges changed who is who: read again
        new, changed, stage_changes, anon_links = [], {}, [], {}
        for i, d in valid:
            c, errs = index.match(d)
            if errs:
                result.reject(i, errs)
                continue
            if c is None:
                c = Contact(workspace=ws, code=uuid.uuid4(), created_at=now, updated_at=now)
                new.append(c)
                status = "created"
                if d.get("stage"):
                    c.stage, c.stage_changed_at = d["stage"], now
                    stage_changes.append(StageChange(workspace=ws, contact=c, from_stage="",
                                                     to_stage=c.stage, at=now, by=actor.user))
            else:
                status = "merged" if i in merged_rows else "updated"
                if c.pk is not None:
                    changed[c.pk] = c
                if d.get("stage") and d["stage"] != c.stage:
                    stage_changes.append(StageChange(workspace=ws, contact=c,
                                                     from_stage=c.stage, to_stage=d["stage"],
                                                     at=now, by=actor.user))
                    c.stage, c.stage_changed_at = d["stage"], now
            _apply_contact_fields(c, d, channels, members, personas, now)
            index.remember(c)
            if d.get("anonymous_id"):
                anon_links[d["anonymous_id"]] = c
            result.ok(i, status)

        Contact.objects.bulk_create(new, batch_size=1000)
        if changed:
            Contact.objects.bulk_update(list(changed.values()), CONTACT_UPDATABLE,
                                        batch_size=500)
        StageChange.objects.bulk_create(stage_changes, batch_size=1000)
        linked = _link_anonymous_events(ws, {a: c.pk for a, c in anon_links.items()})
        result.finish()
        s = result.summary
        if result.written:
            audit_many(actor, "contact.bulk_upsert", "crm.contact", result.written,
                       created=s["created"], updated=s["updated"], merged=len(merged_rows),
                       stage_changes=len(stage_changes), events_linked=linked,
                       rejected=s["rejected"])
    return result


class _ContactIndex:
    """The request's contacts by external id, e-mail and phone (one query), kept up to date
    as rows create and change contacts in memory."""

    def __init__(self, ws, valid):
        exts = list({d["external_id"] for _i, d in valid if d.get("external_id")})
        emails = list({d["email"] for _i, d in valid if d.get("email")})
        phones = list({d["phone"] for _i, d in valid if d.get("phone")})
        self.by_ext, self.by_email, self.by_phone = {}, {}, {}
        for values, field in ((exts, "external_id"), (emails, "email"), (phones, "phone")):
            for part in chunks(values):
                for c in Contact.objects.filter(workspace=ws, **{f"{field}__in": part}).exclude(
                        **{field: ""}):
                    self.remember(c)

    def remember(self, c: Contact) -> None:
        if c.external_id:
            self.by_ext[c.external_id] = c
        if c.email:
            self.by_email[c.email] = c
        if c.phone:
            self.by_phone.setdefault(c.phone, c)

    def match(self, d: dict) -> tuple[Contact | None, RowErrors | None]:
        ext, email, phone = d.get("external_id"), d.get("email"), d.get("phone")
        c = (ext and self.by_ext.get(ext)) or (email and self.by_email.get(email)) or (
            phone and self.by_phone.get(phone)) or None
        errs = RowErrors()
        if c is not None:
            if ext and c.external_id and c.external_id != ext:
                errs.add("external_id", "identity_conflict", M.IDENTITY_CONFLICT)
            other = email and self.by_email.get(email)
            if other and other is not c:
                errs.add("email", "identity_conflict", M.EMAIL_TAKEN)
        return c, (errs or None)


def _merge_identities(actor, index: _ContactIndex, valid) -> set[int]:
    """Rows whose e-mail is stored contact A's and external id stored contact B's: merge B
    into A through the CRM service (rare; one call per pair). Returns those rows' indexes."""
    pairs, rows = {}, set()
    for i, d in valid:
        a = d.get("email") and index.by_email.get(d["email"])
        b = d.get("external_id") and index.by_ext.get(d["external_id"])
        if a and b and a.pk != b.pk and a.pk and b.pk:
            pairs.setdefault((a.pk, b.pk), (a, b))
            rows.add(i)
    if not pairs:
        return set()
    from .services import contacts_merge

    gone = set()
    for (a_pk, b_pk), (a, b) in pairs.items():
        if a_pk in gone or b_pk in gone:
            continue
        a.refresh_from_db()
        contacts_merge(actor=actor, survivor=a, merged=b, matched_on="external_id")
        gone.add(b_pk)
    return rows


def _apply_contact_fields(c: Contact, d: dict, channels, members, personas, now) -> None:
    for f in ("external_id", "email", "phone", "name", "company", "country", "city",
              "language", "customer_type", "buying_role"):
        if f in d:
            setattr(c, f, d[f])
    if "owner" in d:
        c.owner_id = members.get(d["owner"].lower()) if d["owner"] else None
    if "persona" in d:
        c.persona_id = personas.get(d["persona"].lower()) if d["persona"] else None
    if "source_channel" in d:
        c.source_channel_id = channels.get(d["source_channel"]) if d["source_channel"] else None
    if d.get("properties"):
        c.properties = {**(c.properties or {}), **d["properties"]}
    c.updated_at = now


def _link_anonymous_events(ws, links: dict[str, int]) -> int:
    """Give the anonymous events of these ids their contact: one UPDATE."""
    if not links:
        return 0
    events = Event.objects.filter(workspace=ws, contact__isnull=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Event._meta.db_table} e SET contact_id = v.contact_id "
                "FROM unnest(%s::text[], %s::bigint[]) AS v(anonymous_id, contact_id) "
                "WHERE e.workspace_id = %s AND e.contact_id IS NULL "
                "AND e.anonymous_id = v.anonymous_id",
                [list(links), list(links.values()), ws.pk])
            return cursor.rowcount
    linked = 0
    items = list(links.items())
    for part in chunks(items, 500):
        linked += events.filter(anonymous_id__in=[a for a, _c in part]).update(
            contact_id=Case(*[When(anonymous_id=a, then=Value(c)) for a, c in part]))
    return linked


def _contacts_of(ws, rows: list) -> dict[str, int]:
    """The contacts the rows name (by code, external id or e-mail), resolved in one query."""
    return contact_refs_resolve(ws, {ref_text(r["contact"]) for r in rows
                                     if type(r) is dict and r.get("contact")})


def _contact_field(errs, d: dict, row: dict, contacts: dict[str, int]) -> None:
    """d["contact_id"] from the row's contact reference, or the row's error."""
    ref = ref_text(row.get("contact"))
    if not ref:
        errs.add("contact", "required", M.REQUIRED)
    elif ref not in contacts:
        errs.add("contact", "unknown_contact", M.UNKNOWN_CONTACT)
    else:
        d["contact_id"] = contacts[ref]


# --- orders ----------------------------------------------------------------------------------

def orders_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Create or update orders (upsert on external_id); the contact must exist."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    horizon, tz = now + timedelta(days=1), workspace_tz(ws)
    contacts = _contacts_of(ws, rows)

    def clean(row, errs):
        d = {}
        _contact_field(errs, d, row, contacts)
        _field(errs, d, row, "external_id", parse_text, 100)
        _field(errs, d, row, "kind", parse_choice, Order.Kind.values)
        _field(errs, d, row, "amount", parse_decimal, required=True)
        if "amount" in d:
            if d["amount"] < 0:
                errs.add("amount", "min_value", M.NOT_NEGATIVE)
            elif d["amount"] == 0:
                errs.add("amount", "min_value", M.POSITIVE)
        _field(errs, d, row, "currency", parse_text, 3)
        if d.get("currency") and (len(d["currency"]) != 3 or not d["currency"].isalpha()):
            errs.add("currency", "invalid", M.CURRENCY)
        _field(errs, d, row, "margin", parse_decimal)
        if "margin" in d and not 0 <= d["margin"] <= 1:
            errs.add("margin", "invalid", M.FRACTION)
        _field(errs, d, row, "occurred_at", parse_datetime, tz, required=True)
        if d.get("occurred_at") and d["occurred_at"] > horizon:
            errs.add("occurred_at", "future_date", M.FUTURE)
        _field(errs, d, row, "properties", parse_object)
        return d

    valid = _rows_with_errors(rows, result, clean)
    ext_ids = list({d["external_id"] for _i, d in valid if d.get("external_id")})
    with transaction.atomic():
        existing = {}
        for part in chunks(ext_ids):
            existing.update((o.external_id, o) for o in Order.objects.filter(
                workspace=ws, external_id__in=part).exclude(external_id=""))
        new, changed = [], {}
        for i, d in valid:
            ext = d.get("external_id", "")
            o = existing.get(ext) if ext else None
            if o is None:
                o = Order(workspace=ws, code=uuid.uuid4(), external_id=ext, created_at=now,
                          currency=ws.currency, kind=Order.Kind.NEW)
                new.append(o)
                if ext:
                    existing[ext] = o
                status = "created"
            else:
                status = "updated"
                if o.pk is not None:
                    changed[o.pk] = o
            o.contact_id = d["contact_id"]
            o.amount = round(d["amount"], 2)
            o.occurred_at = d["occurred_at"]
            for f in ("kind", "margin", "properties"):
                if f in d:
                    setattr(o, f, d[f])
            if d.get("currency"):
                o.currency = d["currency"].upper()
            result.ok(i, status)
        Order.objects.bulk_create(new, batch_size=1000)
        if changed:
            Order.objects.bulk_update(list(changed.values()),
                                      ["contact", "kind", "amount", "currency", "margin",
                                       "occurred_at", "properties"], batch_size=500)
        _finish(actor, result, "order.bulk_upsert", "crm.order")
    return result


def _finish(actor, result: BulkResult, action: str, object_type: str) -> None:
    result.finish()
    if result.written:
        s = result.summary
        audit_many(actor, action, object_type, result.written, created=s["created"],
                   updated=s["updated"], rejected=s["rejected"])


# --- spend -----------------------------------------------------------------------------------

def spend_bulk(*, actor: Actor, rows: list, source: str = "api") -> BulkResult:
    """Daily spend per channel (and campaign): re-sending a day replaces it."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    channels = dict(Channel.objects.filter(workspace=ws).values_list("key", "id"))
    campaigns = campaign_refs_resolve(ws, {ref_text(r["campaign"]) for r in rows
                                           if type(r) is dict and r.get("campaign")})

    def clean(row, errs):
        d = {}
        _field(errs, d, row, "date", parse_date, required=True)
        ref = ref_text(row.get("channel"))
        if not ref:
            errs.add("channel", "required", M.REQUIRED)
        elif ref not in channels:
            errs.add("channel", "unknown_channel", M.UNKNOWN_CHANNEL)
        else:
            d["channel_id"] = channels[ref]
        ref = ref_text(row.get("campaign"))
        d["campaign_id"] = None
        if ref:
            if ref not in campaigns:
                errs.add("campaign", "unknown_campaign", M.UNKNOWN_CAMPAIGN)
            else:
                d["campaign_id"] = campaigns[ref][0]
        _field(errs, d, row, "amount", parse_decimal, required=True)
        if "amount" in d and d["amount"] < 0:
            errs.add("amount", "min_value", M.NOT_NEGATIVE)
        for f in ("impressions", "clicks"):
            _field(errs, d, row, f, parse_int)
            if d.get(f, 0) < 0:
                errs.add(f, "min_value", M.NOT_NEGATIVE)
        if d.get("impressions", 0) > 0 and d.get("clicks", 0) > d["impressions"]:
            errs.add("clicks", "invalid", M.CLICKS)
        return d

    valid = _rows_with_errors(rows, result, clean)
    dates = sorted({d["date"] for _i, d in valid})
    with transaction.atomic():
        existing = {}
        if dates:
            for s in (Spend.objects.select_for_update()
                      .filter(workspace=ws, date__gte=dates[0], date__lte=dates[-1],
                              channel_id__in={d["channel_id"] for _i, d in valid})):
                existing[(s.date, s.channel_id, s.campaign_id)] = s
        new, changed = [], {}
        for i, d in valid:
            key = (d["date"], d["channel_id"], d["campaign_id"])
            s = existing.get(key)
            if s is None:
                s = existing[key] = Spend(workspace=ws, date=key[0], channel_id=key[1],
                                          campaign_id=key[2])
                new.append(s)
                status = "created"
            else:
                status = "updated"
                if s.pk is not None:
                    changed[s.pk] = s
            s.amount = round(d["amount"], 2)
            s.impressions = d.get("impressions", 0)
            s.clicks = d.get("clicks", 0)
            s.source = source
            result.ok(i, status)
        Spend.objects.bulk_create(new, batch_size=1000)
        if changed:
            Spend.objects.bulk_update(list(changed.values()),
                                      ["amount", "impressions", "clicks", "source"],
                                      batch_size=500)
        _finish(actor, result, "spend.bulk_upsert", "crm.spend")
    return result


# --- consent ---------------------------------------------------------------------------------

def consent_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Append consent rows to the ledger (never updates: the latest row is the state)."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    horizon, tz = now + timedelta(days=1), workspace_tz(ws)
    contacts = _contacts_of(ws, rows)

    def clean(row, errs):
        d = {}
        _contact_field(errs, d, row, contacts)
        _field(errs, d, row, "channel", parse_choice, ConsentChannel.values, required=True)
        _field(errs, d, row, "status", parse_choice, Consent.Status.values, required=True)
        _field(errs, d, row, "source", parse_text, 100)
        _field(errs, d, row, "at", parse_datetime, tz)
        if d.get("at") and d["at"] > horizon:
            errs.add("at", "future_date", M.FUTURE)
        return d

    valid = _rows_with_errors(rows, result, clean)
    with transaction.atomic():
        Consent.objects.bulk_create(
            [Consent(workspace=ws, contact_id=d["contact_id"], channel=d["channel"],
                     status=d["status"], source=d.get("source", ""), at=d.get("at") or now,
                     recorded_at=now) for _i, d in valid], batch_size=1000)
        for i, _d in valid:
            result.ok(i, "created")
        _finish(actor, result, "consent.bulk_record", "crm.consent")
    return result
