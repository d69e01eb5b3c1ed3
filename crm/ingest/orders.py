"""Orders in bulk: upsert on the external id; the contact must already exist."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Order
from mos.actors import Actor
from mos.validation import CURRENCIES

from .common import (
    M,
    BulkResult,
    chunks,
    parse_choice,
    parse_datetime,
    parse_decimal,
    parse_object,
    parse_text,
    workspace_tz,
    rows_with_errors,
    parse_field,
    contacts_of,
    contact_field,
    finish_bulk,
)


def orders_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Create or update orders (upsert on external_id); the contact must exist."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    horizon, tz = now + timedelta(days=1), workspace_tz(ws)
    contacts = contacts_of(ws, rows)

    def clean(row, errs):
        d = {}
        contact_field(errs, d, row, contacts)
        parse_field(errs, d, row, "external_id", parse_text, 100)
        parse_field(errs, d, row, "kind", parse_choice, Order.Kind.values)
        parse_field(errs, d, row, "amount", parse_decimal, required=True)
        if "amount" in d and d["amount"] < 0:  # 0 is a free order; refunds are a kind
            errs.add("amount", "min_value", M.NOT_NEGATIVE)
        parse_field(errs, d, row, "currency", parse_text, 3)
        if d.get("currency") and d["currency"].upper() not in CURRENCIES:
            errs.add("currency", "invalid", M.CURRENCY)
        parse_field(errs, d, row, "margin", parse_decimal)
        if "margin" in d and not 0 <= d["margin"] <= 1:
            errs.add("margin", "invalid", M.FRACTION)
        parse_field(errs, d, row, "occurred_at", parse_datetime, tz, required=True)
        if d.get("occurred_at") and d["occurred_at"] > horizon:
            errs.add("occurred_at", "future_date", M.FUTURE)
        parse_field(errs, d, row, "properties", parse_object)
        return d

    valid = rows_with_errors(rows, result, clean)
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
        finish_bulk(actor, result, "order.bulk_upsert", "crm.order")
    return result
