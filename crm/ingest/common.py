"""Shared pieces of bulk ingest: the per-row result, field parsers that raise FieldError with a
machine code and a human message, and the one-query contact reference resolver."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import Contact
from mos.audit import audit_many
from mos.codes import as_code
from mos.periods import workspace_tz  # noqa: F401  (the ingest modules take it from here)
from mos.validation import DATE_TOO_LATE, date_error, has_lone_surrogate, json_problem, occurred_at_error

MAX_ROWS = 10_000


class M:
    """The per-row error messages (exact texts: integrators and tests match on them)."""

    REQUIRED = _("This field is required.")
    NOT_TEXT = _("Must be a string.")
    TOO_LONG = _("Ensure this field has no more than %(n)d characters.")
    EMAIL = _("Enter a valid e-mail address.")
    NUMBER = _("A valid number is required.")
    INTEGER = _("A valid whole number is required.")
    POSITIVE = _("Must be greater than 0.")
    NOT_NEGATIVE = _("Must not be negative.")
    FRACTION = _("Must be between 0 and 1.")
    DATETIME = _("Not an ISO 8601 date-time.")
    DATE = _("Not an ISO 8601 date (YYYY-MM-DD).")
    FUTURE = _("Is more than one day in the future.")
    CHOICE = _("Not one of: %(choices)s.")
    OBJECT = _("Must be a JSON object.")
    ROW_OBJECT = _("Each row must be a JSON object.")
    UNKNOWN_CONTACT = _("Unknown contact.")
    UNKNOWN_CHANNEL = _("Unknown channel.")
    UNKNOWN_CAMPAIGN = _("Unknown campaign.")
    UNKNOWN_PERSONA = _("Unknown persona.")
    NOT_MEMBER = _("Not a member of this workspace.")
    NO_IDENTITY = _("Give external_id, email or phone.")
    CONSENT = _("Give consent as {\"channel\": \"granted\" or \"withdrawn\"} for email, sms, "
                "push or phone.")
    CONTACT_OR_ANON = _("Give contact or anonymous_id.")
    CURRENCY = _("An ISO 4217 currency code is required (e.g. USD, SAR, EUR).")
    COUNTRY = _("Country must be a 2-letter code like SA, or a country name MOS knows.")
    CLICKS = _("Clicks cannot exceed impressions.")
    TOO_BIG = _("Must be at most %(n)s.")
    IDENTITY_CONFLICT = _("This contact already has another external_id.")
    EMAIL_TAKEN = _("This e-mail belongs to another contact.")
    TWO_PEOPLE = _("This row's e-mail and id belong to two different contacts with different "
                   "e-mails; they were not merged. Check both and merge them by hand if they "
                   "are one person.")


# Cells that mean "no value" in exports (HubSpot writes "null", spreadsheets "N/A" or "-"):
# never stored, never used to match one person to another.
NULL_TOKENS = frozenset({"null", "n/a", "na", "-", "--", "none", "nil", "#n/a", "(none)",
                         "(blank)", "undefined"})


def is_null_token(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in NULL_TOKENS


class FieldError(Exception):
    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


class RowErrors(dict):
    """{field: [messages]} for one row; `code` is the first error's machine code."""

    code = ""

    def add(self, field: str, code: str, message) -> None:
        if not self:
            self.code = code
        self.setdefault(field, []).append(str(message))


class BulkResult:
    """One result per row, in order, and the request's summary."""

    def __init__(self, received: int):
        self.results: list[dict | None] = [None] * received
        self.summary = {"received": received, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0,
                        "duplicates": 0}
        # what the accepted rows hold once stored (amounts in the workspace currency): the
        # CSV import shows it beside the file's own totals; not part of the API answer
        self.totals: dict = {}

    _COUNTER = {"created": "created", "updated": "updated", "merged": "updated",
                "unchanged": "unchanged", "duplicate": "duplicates", "rejected": "rejected"}

    def ok(self, index: int, status: str) -> None:
        self.results[index] = {"index": index, "status": status}

    def reject(self, index: int, errors: RowErrors) -> None:
        self.results[index] = {"index": index, "status": "rejected", "code": errors.code,
                               "errors": dict(errors)}

    def finish(self) -> "BulkResult":
        for r in self.results:
            self.summary[self._COUNTER[r["status"]]] += 1
        return self

    @property
    def written(self) -> int:
        s = self.summary
        return s["created"] + s["updated"]

    def as_dict(self) -> dict:
        return {"summary": self.summary, "results": self.results}


# --- field parsers: return the clean value or raise FieldError -------------------------------

def parse_text(value, max_length: int) -> str:
    """A string (numbers are accepted and stringified: CSV ids); None → ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    else:
        raise FieldError("invalid", M.NOT_TEXT)
    if len(value) > max_length:
        raise FieldError("max_length", M.TOO_LONG % {"n": max_length})
    if "\x00" in value or (not value.isascii() and has_lone_surrogate(value)):
        raise FieldError("invalid", M.NOT_TEXT)
    return value


def parse_email(value) -> str:
    value = parse_text(value, 254).lower()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise FieldError("invalid", M.EMAIL) from None
    return value


def parse_decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise FieldError("invalid", M.NUMBER)
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldError("invalid", M.NUMBER) from None
    if not d.is_finite() or abs(d) >= Decimal("1e12"):
        raise FieldError("invalid", M.NUMBER)
    return d


def check_amount_places(errs, d: dict, field: str, currency: str) -> None:
    """A per-row error when d[field] has more decimals than `currency` allows (never rounded)."""
    from mos.validation import amount_places_error

    if field in d:
        message = amount_places_error(d[field], currency)
        if message:
            errs.add(field, "too_many_decimals", message)
            d.pop(field)


BIGINT_MAX = 2**63 - 1  # the largest value a BigIntegerField column holds


def parse_int(value, max_value: int = BIGINT_MAX) -> int:
    if isinstance(value, bool):
        raise FieldError("invalid", M.INTEGER)
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 40:
        n = int(value.strip())
    else:
        raise FieldError("invalid", M.INTEGER)
    if abs(n) > max_value:
        raise FieldError("max_value", M.TOO_BIG % {"n": max_value})
    return n


def parse_datetime(value, tz) -> datetime:
    """ISO 8601; a naive value is read in the workspace's time zone."""
    if not isinstance(value, str):
        raise FieldError("invalid", M.DATETIME)
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FieldError("invalid", M.DATETIME) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    try:
        message = occurred_at_error(dt)
    except OverflowError:  # year 1 in a zone east of UTC
        message = M.DATETIME
    if message:
        raise FieldError("future_date" if message is DATE_TOO_LATE else "out_of_range", message)
    return dt


def parse_date(value) -> date:
    """An ISO day within mos.validation's bounds."""
    if isinstance(value, str):
        try:
            d = date.fromisoformat(value.strip()[:10] if "T" in value else value.strip())
        except ValueError:
            pass
        else:
            message = date_error(d)
            if message:
                raise FieldError("future_date" if message is DATE_TOO_LATE else "out_of_range",
                                 message)
            return d
    raise FieldError("invalid", M.DATE)


def parse_object(value) -> dict:
    """A JSON object MOS can store: not too deep, no lone surrogates, at most 64 KB."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FieldError("invalid", M.OBJECT)
    message = json_problem(value)
    if message:
        raise FieldError("invalid", message)
    return value


def parse_choice(value, choices) -> str:
    value = parse_text(value, 50).lower()
    if value not in choices:
        raise FieldError("invalid", M.CHOICE % {"choices": ", ".join(choices)})
    return value


# --- references --------------------------------------------------------------------------------

def chunks(values: list, size: int | None = None) -> Iterable[list]:
    """Split long IN lists on SQLite (bound-parameter limit); one chunk on PostgreSQL."""
    if size is None:
        size = max(len(values), 1) if connection.vendor == "postgresql" else 2000
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _as_uuid(value: str):
    return as_code(value) if len(value) in (32, 36) else None  # cheap refusal first


def contact_refs_resolve(workspace, refs: set[str]) -> dict[str, int]:
    """{reference: contact id} for references that are a contact's external id, e-mail, code
    or phone in this workspace (in that order of precedence; the phone as stored, the first
    contact with it). Other workspaces' contacts never match."""
    # a NUL can match nothing stored, and PostgreSQL refuses it in a query (ref_text's marker
    # for a non-text reference has one): such a reference resolves to nothing
    refs = [r for r in refs if r and "\x00" not in r]
    if not refs:
        return {}
    by_ext, by_email, by_code, by_phone = {}, {}, {}, {}
    for part in chunks(refs):
        # "<> ''" repeats the partial unique indexes' predicate, so they can serve the IN lists
        cond = Q(external_id__in=part) & ~Q(external_id="")
        part_emails = [r.lower() for r in part if "@" in r]
        part_codes = [u for u in (_as_uuid(r) for r in part) if u is not None]
        if part_emails:
            cond |= Q(email__in=part_emails) & ~Q(email="")
        if part_codes:
            cond |= Q(code__in=part_codes)
        part_phones = [r for r in part if _PHONE.fullmatch(r)]
        if part_phones:
            cond |= Q(phone__in=part_phones) & ~Q(phone="")
        for pk, ext, email, code, phone in (
                Contact.objects.filter(workspace=workspace).filter(cond).order_by("id")
                .values_list("id", "external_id", "email", "code", "phone")):
            if ext:
                by_ext[ext] = pk
            if email:
                by_email[email] = pk
            if phone:
                by_phone.setdefault(phone, pk)
            by_code[code] = pk
    out = {}
    for r in refs:
        pk = by_ext.get(r)
        if pk is None and "@" in r:
            pk = by_email.get(r.lower())
        if pk is None:
            u = _as_uuid(r)
            if u is not None:
                pk = by_code.get(u)
        if pk is None:
            pk = by_phone.get(r)
        if pk is not None:
            out[r] = pk
    return out


_PHONE = re.compile(r"\+?[\d ().-]{6,40}")


def ref_text(value) -> str:
    """A reference value as text ('' when absent); non-text references are not references."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "\x00invalid"


def campaign_refs_resolve(workspace, refs: set[str]) -> dict[str, tuple[int, int]]:
    """{reference: (campaign id, its channel id)} for references that are a campaign's UTM
    campaign, ad-platform id or code in this workspace (in that order of precedence)."""
    from crm.models import Campaign

    refs = [r for r in refs if r and "\x00" not in r]  # see contact_refs_resolve
    if not refs:
        return {}
    by_utm, by_ext, by_code = {}, {}, {}
    for part in chunks(refs):
        cond = (Q(utm_campaign__in=part) & ~Q(utm_campaign="")) | (
            Q(external_id__in=part) & ~Q(external_id=""))
        part_codes = [u for u in (_as_uuid(r) for r in part) if u is not None]
        if part_codes:
            cond |= Q(code__in=part_codes)
        for pk, channel_id, utm, ext, code in (
                Campaign.objects.filter(workspace=workspace).filter(cond).order_by("id")
                .values_list("id", "channel_id", "utm_campaign", "external_id", "code")):
            if utm:
                by_utm.setdefault(utm, (pk, channel_id))
            if ext:
                by_ext.setdefault(ext, (pk, channel_id))
            by_code[code] = (pk, channel_id)
    out = {}
    for r in refs:
        hit = by_utm.get(r) or by_ext.get(r)
        if hit is None:
            u = _as_uuid(r)
            hit = by_code.get(u) if u is not None else None
        if hit is not None:
            out[r] = hit
    return out


# --- row loop, references and the audit line shared by every *_bulk ---------------------------

def rows_with_errors(rows, result: BulkResult, clean_row) -> list[tuple[int, dict]]:
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


def parse_field(errs: RowErrors, data: dict, row: dict, field: str, parse, *args,
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


def contacts_of(ws, rows: list) -> dict[str, int]:
    """The contacts the rows name (by code, external id or e-mail), resolved in one query."""
    return contact_refs_resolve(ws, {ref_text(r["contact"]) for r in rows
                                     if type(r) is dict and r.get("contact")})


def contact_field(errs, d: dict, row: dict, contacts: dict[str, int]) -> None:
    """d["contact_id"] from the row's contact reference, or the row's error."""
    ref = ref_text(row.get("contact"))
    if not ref:
        errs.add("contact", "required", M.REQUIRED)
    elif ref not in contacts:
        errs.add("contact", "unknown_contact", M.UNKNOWN_CONTACT)
    else:
        d["contact_id"] = contacts[ref]


def finish_bulk(actor, result: BulkResult, action: str, object_type: str) -> None:
    result.finish()
    if result.written:
        s = result.summary
        audit_many(actor, action, object_type, result.written, created=s["created"],
                   updated=s["updated"], rejected=s["rejected"])
