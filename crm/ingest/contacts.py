"""Contacts in bulk: validate, resolve identities (merging when two rows name one person),
upsert set-based and link the anonymous events the new contacts already had."""

from __future__ import annotations

import uuid

from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from crm import erasure
from crm.models import (
    BuyingRole,
    Channel,
    Consent,
    ConsentChannel,
    Contact,
    CustomerType,
    ErasureRecord,
    LawfulBasis,
    Event,
    Persona,
    Stage,
    StageChange,
)
from crm.lifecycle import stage_from_label
from mos.actors import Actor
from mos.audit import audit_many
from mos.models import Membership

from .common import (
    M,
    BulkResult,
    FieldError,
    RowErrors,
    chunks,
    is_null_token,
    parse_choice,
    parse_email,
    parse_object,
    parse_text,
    ref_text,
    rows_with_errors,
    parse_field,
)


CONTACT_TEXT = {"name": 200, "company": 200, "city": 100, "language": 8, "anonymous_id": 100}
CONTACT_UPDATABLE = ["external_id", "email", "phone", "name", "company", "country", "city",
                     "language", "customer_type", "buying_role", "stage", "stage_changed_at",
                     "owner", "persona", "source_channel", "properties", "updated_at"]


def _country(value, _n=None) -> str:
    """A 2-letter code, or a country name MOS knows ("Saudi Arabia", "السعودية", "UK")."""
    from .countries import country_code

    value = parse_text(value, 100)
    code = country_code(value) if value else ""
    if code:
        return code
    value = value.upper()
    if value and (len(value) != 2 or not value.isalpha()):
        raise FieldError("invalid", M.COUNTRY)
    return value


IDENTITY_FIELDS = ("external_id", "email", "phone")


def contacts_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Upsert contacts by external_id, else e-mail, else phone — the phone only when no
    stronger identifier of the row disagrees with the contact it names. Cells such as "null",
    "N/A" or "-" are no value: never stored, never matched. A row whose e-mail is contact A's
    and external_id contact B's merges B into A (reported 'merged') only when A has no other
    external_id and B no other e-mail; otherwise the row is refused for review, never merged
    in silence. A row that changes nothing is reported 'unchanged'."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    channels = dict(Channel.objects.filter(workspace=ws).values_list("key", "id"))
    members = {e.lower(): pk for pk, e in Membership.objects.filter(workspace=ws)
               .values_list("user_id", "user__email")}

    def clean(row, errs):
        d = {}
        if type(row) is dict and any(is_null_token(v) for v in row.values()):
            row = {k: (None if is_null_token(v) else v) for k, v in row.items()}
        if type(row) is dict and isinstance(row.get("stage"), str) and row["stage"]:
            row = {**row, "stage": stage_from_label(row["stage"])}
        parse_field(errs, d, row, "external_id", parse_text, 100)
        parse_field(errs, d, row, "email", parse_email)
        parse_field(errs, d, row, "phone", parse_text, 40)
        for f, n in CONTACT_TEXT.items():
            parse_field(errs, d, row, f, parse_text, n)
        parse_field(errs, d, row, "country", _country)
        parse_field(errs, d, row, "customer_type", parse_choice, ["", *CustomerType.values])
        parse_field(errs, d, row, "buying_role", parse_choice, ["", *BuyingRole.values])
        parse_field(errs, d, row, "stage", parse_choice, Stage.values)
        parse_field(errs, d, row, "properties", parse_object)
        for f in ("owner", "persona", "source_channel"):
            if row.get(f) is not None:
                d[f] = ref_text(row[f])
        if row.get("consent") is not None:
            _consent_field(errs, d, row["consent"])
        if not (d.get("external_id") or d.get("email") or d.get("phone")) and not (
                {"external_id", "email", "phone"} & set(errs)):
            errs.add("non_field_errors", "required", M.NO_IDENTITY)
        if d.get("owner") and d["owner"].lower() not in members:
            errs.add("owner", "unknown_owner", M.NOT_MEMBER)
        if d.get("source_channel") and d["source_channel"] not in channels:
            errs.add("source_channel", "unknown_channel", M.UNKNOWN_CHANNEL)
        return d

    valid = rows_with_errors(rows, result, clean)
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
    valid = _refuse_erased(ws, valid, result)

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
                before = _contact_state(c)
                if d.get("stage") and d["stage"] != c.stage:
                    stage_changes.append(StageChange(workspace=ws, contact=c,
                                                     from_stage=c.stage, to_stage=d["stage"],
                                                     at=now, by=actor.user))
                    c.stage, c.stage_changed_at = d["stage"], now
            _apply_contact_fields(c, d, channels, members, personas, now)
            if status != "created":
                if status == "updated" and _contact_state(c) == before:
                    status = "unchanged"
                elif c.pk is not None:
                    changed[c.pk] = c
            index.remember(c)
            if d.get("anonymous_id"):
                anon_links[d["anonymous_id"]] = c
            result.ok(i, status)

        Contact.objects.bulk_create(new, batch_size=1000)
        if changed:
            Contact.objects.bulk_update(list(changed.values()), CONTACT_UPDATABLE,
                                        batch_size=500)
        StageChange.objects.bulk_create(stage_changes, batch_size=1000)
        _record_row_consent(ws, valid, index, now)
        linked = _link_anonymous_events(ws, {a: c.pk for a, c in anon_links.items()})
        result.finish()
        s = result.summary
        if result.written:
            audit_many(actor, "contact.bulk_upsert", "crm.contact", result.written,
                       created=s["created"], updated=s["updated"], merged=len(merged_rows),
                       stage_changes=len(stage_changes), events_linked=linked,
                       rejected=s["rejected"])
    return result


def _consent_field(errs, d, value) -> None:
    """"consent": {"email": "granted", "sms": "withdrawn"} — appended to the ledger (lawful
    basis: consent, source: import) once the row is stored."""
    if not isinstance(value, dict) or not value or any(
            k not in ConsentChannel.values or v not in Consent.Status.values
            for k, v in value.items()):
        errs.add("consent", "invalid", M.CONSENT)
        return
    d["consent"] = dict(value)


def _refuse_erased(ws, valid, result) -> list:
    """Rows naming a person erased at their request are refused (code 'erased') unless they
    grant consent again; then the erasure stops blocking them (crm.erasure)."""
    found = erasure.blocked_identities(ws.id, emails=[d.get("email") for _i, d in valid],
                                       phones=[d.get("phone") for _i, d in valid])
    if not found:
        return valid
    kept = []
    for i, d in valid:
        recs = [found.get(f"{k}:{d.get(k)}") for k in ("email", "phone") if d.get(k)]
        recs = [r for r in recs if r is not None]
        if recs and Consent.Status.GRANTED not in (d.get("consent") or {}).values():
            errs = RowErrors()
            errs.add("email" if d.get("email") and f"email:{d['email']}" in found else "phone",
                     "erased", erasure.erased_message(recs[0]))
            result.reject(i, errs)
            continue
        if recs:
            d["lift_erasure"] = [r.pk for r in recs]
        kept.append((i, d))
    return kept


def _record_row_consent(ws, valid, index, now) -> None:
    """Append the rows' consent answers to the ledger, where they differ from the contact's
    current state (a re-sent file or batch adds nothing: the ledger is a history of changes)."""
    from crm.selectors import consent_state_for

    wanted, lifted = {}, []
    for _i, d in valid:
        if not d.get("consent"):
            continue
        c, errs = index.match(d)
        if c is None or errs or c.pk is None:
            continue
        for channel, status in d["consent"].items():
            wanted[(c.pk, channel)] = status  # a later row of the batch wins
        lifted += d.get("lift_erasure") or []
    state = {}
    ids = list({cid for cid, _ch in wanted})
    for part in chunks(ids):
        state.update(consent_state_for(ws, part))
    rows = []
    for (cid, channel), status in wanted.items():
        current = (state.get(cid) or {}).get(channel)
        if current is not None and current.status == status:
            continue
        rows.append(Consent(workspace=ws, contact_id=cid, channel=channel, status=status,
                            lawful_basis=LawfulBasis.CONSENT, source="import", at=now,
                            recorded_at=now))
    Consent.objects.bulk_create(rows, batch_size=1000)
    if lifted:
        ErasureRecord.objects.filter(pk__in=lifted).update(lifted_at=now)


def _contact_state(c: Contact) -> tuple:
    return tuple(getattr(c, f if f not in ("owner", "persona", "source_channel") else f + "_id")
                 for f in CONTACT_UPDATABLE if f not in ("updated_at", "stage_changed_at"))


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
        """The contact this row is: by external id, else e-mail, else phone when the phone's
        contact has no other external id or e-mail than the row's (two people sharing an
        office phone stay two contacts)."""
        ext, email, phone = d.get("external_id"), d.get("email"), d.get("phone")
        c = (ext and self.by_ext.get(ext)) or (email and self.by_email.get(email)) or None
        if c is None and phone:
            p = self.by_phone.get(phone)
            if p is not None and not (ext and p.external_id and p.external_id != ext) and not (
                    email and p.email and p.email != email):
                c = p
        errs = RowErrors()
        if c is not None:
            if ext and c.external_id and c.external_id != ext:
                errs.add("external_id", "identity_conflict", M.IDENTITY_CONFLICT)
            other = email and self.by_email.get(email)
            if other and other is not c:
                if ext and c.external_id == ext:  # two people: never merged in silence
                    errs.add("email", "needs_review", M.TWO_PEOPLE)
                else:
                    errs.add("email", "identity_conflict", M.EMAIL_TAKEN)
        return c, (errs or None)


def _merge_identities(actor, index: _ContactIndex, valid) -> set[int]:
    """Rows whose e-mail is stored contact A's and external id stored contact B's, where B
    has no e-mail and A no external id (one person known twice): merge B into A through the
    CRM service (rare; one call per pair). Returns those rows' indexes. When A and B carry
    different e-mails or ids they are two people: the row is refused (match() says why)."""
    pairs, rows = {}, set()
    for i, d in valid:
        a = d.get("email") and index.by_email.get(d["email"])
        b = d.get("external_id") and index.by_ext.get(d["external_id"])
        if (a and b and a.pk != b.pk and a.pk and b.pk and not b.email
                and not a.external_id):
            pairs.setdefault((a.pk, b.pk), (a, b))
            rows.add(i)
    if not pairs:
        return set()
    from crm.services import contacts_merge

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
