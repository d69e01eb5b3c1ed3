"""Subscriptions in bulk: upsert on the external id; the contact (or account) must exist.

MRR is either given (`mrr`, monthly, workspace currency) or derived from a billing system's
price: `amount` per unit per `interval` (day, week, month, year; `interval_count` of them) ×
`quantity`, normalised to a month — a year is /12, a week ×52/12, a day ×365/12 — the way
ChartMogul turns a plan into MRR. Stripe's status words are accepted (canceled → cancelled,
unpaid/incomplete → past_due, incomplete_expired → ended)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Account, Subscription
from mos.actors import Actor
from mos.validation import DATE_TOO_EARLY, scheduled_at_error

from .common import (
    M,
    BulkResult,
    FieldError,
    _as_uuid,
    check_amount_places,
    chunks,
    contacts_of,
    finish_bulk,
    parse_choice,
    parse_datetime,
    parse_decimal,
    parse_field,
    parse_int,
    parse_object,
    parse_text,
    ref_text,
    rows_with_errors,
    workspace_tz,
)

PER_MONTH = {"day": Decimal(365) / 12, "week": Decimal(52) / 12, "month": Decimal(1),
             "year": Decimal(1) / 12}
STATUS_ALIASES = {"canceled": "cancelled", "unpaid": "past_due", "incomplete": "past_due",
                  "incomplete_expired": "ended", "paused": "past_due"}
INTERVAL_ALIASES = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year",
                    "annual": "year", "annually": "year", "days": "day", "weeks": "week",
                    "months": "month", "years": "year"}
DATE_FIELDS = ("started_at", "trial_end", "cancelled_at", "ended_at")
# the start and the cancellation happened: [2000-01-01, now + 1 day] like orders
# (mos.validation); the trial end and the end may be scheduled: up to ten years ahead
SCHEDULED_FIELDS = ("trial_end", "ended_at")
UPDATE_FIELDS = ["contact", "account", "plan", "mrr", "quantity", "status", *DATE_FIELDS,
                 "properties", "updated_at"]
CUSTOMER = _("Give a contact or an account.")
UNKNOWN_ACCOUNT = _("Unknown account.")
MRR_OR_AMOUNT = _("Give mrr, or amount and interval.")
BEFORE_START = _("Cannot be before the start.")


def monthly(amount: Decimal, interval: str, count: int, quantity: int) -> Decimal:
    """A price per `count` intervals × quantity as MRR, to the cent."""
    mrr = amount * quantity * PER_MONTH[interval] / max(count, 1)
    return mrr.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_scheduled(value, tz):
    """parse_datetime's ISO 8601, bounded to [2000-01-01, now + 10 years]."""
    try:
        return parse_datetime(value, tz)
    except FieldError as e:
        if e.code != "future_date":
            raise
    dt = datetime.fromisoformat(value.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    message = scheduled_at_error(dt)
    if message:
        raise FieldError("out_of_range" if message is DATE_TOO_EARLY else "future_date",
                         message)
    return dt


def accounts_of(ws, rows: list) -> dict[str, int]:
    """{reference: account id} for references that are an account's external id or code."""
    refs = list({ref_text(r["account"]) for r in rows if type(r) is dict and r.get("account")})
    refs = [r for r in refs if "\x00" not in r]  # matches nothing; PostgreSQL refuses NUL
    found: dict[str, int] = {}
    for part in chunks(refs):
        codes = [u for u in (_as_uuid(r) for r in part) if u is not None]
        cond = Q(external_id__in=part) & ~Q(external_id="")
        if codes:
            cond |= Q(code__in=codes)
        for pk, ext, code in Account.objects.filter(workspace=ws).filter(cond).values_list(
                "id", "external_id", "code"):
            if ext:
                found.setdefault(ext, pk)
            found[str(code)] = pk
    return found


def subscriptions_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Create or update subscriptions (upsert on external_id)."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    horizon, tz = now + timedelta(days=1), workspace_tz(ws)
    contacts = contacts_of(ws, rows)
    accounts = accounts_of(ws, rows)
    statuses = Subscription.Status.values

    def clean(row, errs):
        d = {}
        contact, account = ref_text(row.get("contact")), ref_text(row.get("account"))
        if not contact and not account:
            errs.add("contact", "required", CUSTOMER)
        if contact:
            if contact in contacts:
                d["contact_id"] = contacts[contact]
            else:
                errs.add("contact", "unknown_contact", M.UNKNOWN_CONTACT)
        if account:
            key = str(_as_uuid(account)) if _as_uuid(account) else account
            if key in accounts:
                d["account_id"] = accounts[key]
            else:
                errs.add("account", "unknown_account", UNKNOWN_ACCOUNT)
        parse_field(errs, d, row, "external_id", parse_text, 100)
        parse_field(errs, d, row, "plan", parse_text, 100)
        parse_field(errs, d, row, "quantity", parse_int)
        if "quantity" in d and d["quantity"] < 1:
            errs.add("quantity", "min_value", M.POSITIVE)
        status = row.get("status")
        if isinstance(status, str):
            status = STATUS_ALIASES.get(status.strip().lower(), status)
        parse_field(errs, d, {"status": status}, "status", parse_choice, statuses)
        for f in ("mrr", "amount"):
            parse_field(errs, d, row, f, parse_decimal)
            if f in d and d[f] < 0:
                errs.add(f, "min_value", M.NOT_NEGATIVE)
            check_amount_places(errs, d, f, ws.currency)
        interval = row.get("interval")
        if isinstance(interval, str):
            interval = INTERVAL_ALIASES.get(interval.strip().lower(), interval)
        parse_field(errs, d, {"interval": interval}, "interval", parse_choice, list(PER_MONTH))
        parse_field(errs, d, row, "interval_count", parse_int)
        if "interval_count" in d and d["interval_count"] < 1:
            errs.add("interval_count", "min_value", M.POSITIVE)
        if "mrr" not in d and not errs.get("mrr"):
            if "amount" in d and "interval" in d:
                d["mrr"] = monthly(d["amount"], d["interval"], d.get("interval_count", 1),
                                   d.get("quantity", 1))
            elif not errs.get("amount") and not errs.get("interval"):
                errs.add("mrr", "required", MRR_OR_AMOUNT)
        if "mrr" in d and d["mrr"] >= Decimal("1e12"):
            errs.add("mrr", "invalid", M.NUMBER)
            d.pop("mrr")
        for f in DATE_FIELDS:
            parse_field(errs, d, row, f, parse_scheduled if f in SCHEDULED_FIELDS
                        else parse_datetime, tz, required=f == "started_at")
        if d.get("started_at") and d["started_at"] > horizon:
            errs.add("started_at", "future_date", M.FUTURE)
        if d.get("started_at") and d.get("ended_at") and d["ended_at"] < d["started_at"]:
            errs.add("ended_at", "invalid", BEFORE_START)
        parse_field(errs, d, row, "properties", parse_object)
        return d

    valid = rows_with_errors(rows, result, clean)
    ext_ids = list({d["external_id"] for _i, d in valid if d.get("external_id")})
    with transaction.atomic():
        existing = {}
        for part in chunks(ext_ids):
            existing.update((s.external_id, s) for s in Subscription.objects.filter(
                workspace=ws, external_id__in=part).exclude(external_id=""))
        new, changed = [], {}
        for i, d in valid:
            ext = d.get("external_id", "")
            s = existing.get(ext) if ext else None
            if s is None:
                s = Subscription(workspace=ws, code=uuid.uuid4(), external_id=ext,
                                 created_at=now)
                new.append(s)
                if ext:
                    existing[ext] = s
                status = "created"
            else:
                status = "updated"
                if s.pk is not None:
                    changed[s.pk] = s
            s.contact_id = d.get("contact_id")
            s.account_id = d.get("account_id")
            s.mrr = d["mrr"].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            s.updated_at = now
            for f in ("plan", "quantity", "status", *DATE_FIELDS, "properties"):
                if f in d:
                    setattr(s, f, d[f])
            if "status" not in d and status == "created":
                s.status = _default_status(s, now)
            result.ok(i, status)
        Subscription.objects.bulk_create(new, batch_size=1000)
        if changed:
            Subscription.objects.bulk_update(list(changed.values()), UPDATE_FIELDS,
                                             batch_size=500)
        finish_bulk(actor, result, "subscription.bulk_upsert", "crm.subscription")
    return result


def _default_status(s: Subscription, now) -> str:
    """The status a row without one has: ended, trialing or active from its dates."""
    if s.ended_at and s.ended_at <= now:
        return Subscription.Status.ENDED
    if s.trial_end and s.trial_end > now:
        return Subscription.Status.TRIALING
    return Subscription.Status.ACTIVE
