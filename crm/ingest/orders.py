"""Orders in bulk: upsert on the external id; the contact must already exist."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.models import Order
from mos.actors import Actor
from mos.validation import CURRENCIES

from .common import (
    M,
    BulkResult,
    RowErrors,
    chunks,
    parse_choice,
    parse_datetime,
    parse_decimal,
    parse_object,
    parse_text,
    workspace_tz,
    rows_with_errors,
    parse_field,
    check_amount_places,
    contacts_of,
    contact_field,
    finish_bulk,
)


def orders_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Create or update orders (upsert on external_id); the contact must exist. `status` is
    the payment state (default paid): only Order.COUNTED_STATUSES count as revenue."""
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
        parse_field(errs, d, row, "status", parse_choice, Order.Status.values)
        parse_field(errs, d, row, "amount", parse_decimal, required=True)
        if "amount" in d and d["amount"] < 0:  # 0 is a free order; refunds are a kind
            errs.add("amount", "min_value", M.NOT_NEGATIVE)
        parse_field(errs, d, row, "currency", parse_text, 3)
        if d.get("currency") and d["currency"].upper() not in CURRENCIES:
            errs.add("currency", "invalid", M.CURRENCY)
        if not errs.get("currency"):
            check_amount_places(errs, d, "amount", d.get("currency") or ws.currency)
        parse_field(errs, d, row, "margin", parse_decimal)
        if "margin" in d and not 0 <= d["margin"] <= 1:
            errs.add("margin", "invalid", M.FRACTION)
        parse_field(errs, d, row, "occurred_at", parse_datetime, tz, required=True)
        if d.get("occurred_at") and d["occurred_at"] > horizon:
            errs.add("occurred_at", "future_date", M.FUTURE)
        parse_field(errs, d, row, "properties", parse_object)
        return d

    valid = convert_rows(ws, rows_with_errors(rows, result, clean), result, tz,
                         day_field="occurred_at", currency_field="currency")
    result.totals = {"rows": len(valid), "amount": sum((d["amount"] for _i, d in valid),
                                                       Decimal(0))}
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
            before = _order_state(o)
            o.contact_id = d["contact_id"]
            o.amount = d["amount"]
            o.original_amount, o.original_currency = d["original_amount"], d["original_currency"]
            o.currency = ws.currency
            o.occurred_at = d["occurred_at"]
            for f in ("kind", "status", "margin", "properties"):
                if f in d:
                    setattr(o, f, d[f])
            if status == "updated":
                if _order_state(o) == before:
                    status = "unchanged"  # the same row again: nothing to write
                elif o.pk is not None:
                    changed[o.pk] = o
            result.ok(i, status)
        Order.objects.bulk_create(new, batch_size=1000)
        if changed:
            Order.objects.bulk_update(list(changed.values()),
                                      ["contact", "kind", "status", "amount", "currency", "margin",
                                       "occurred_at", "properties", "original_amount",
                                       "original_currency"], batch_size=500)
        finish_bulk(actor, result, "order.bulk_upsert", "crm.order")
    return result


def _order_state(o: Order) -> tuple:
    return (o.contact_id, o.kind, o.status, o.amount, o.currency, o.original_amount,
            o.original_currency, o.margin, o.occurred_at, o.properties)


def convert_rows(ws, valid: list, result: BulkResult, tz, *, day_field: str,
                 currency_field: str) -> list:
    """Each valid row's amount converted to the workspace currency (crm.ingest.currency), the
    original kept in original_amount / original_currency; a row without a rate is rejected
    with a message naming the rate to add."""
    from datetime import datetime

    from .currency import Converter, RateMissing

    def day(d):
        v = d[day_field]
        return v.astimezone(tz).date() if isinstance(v, datetime) else v

    conv = Converter(ws).load({((d.get(currency_field) or ws.currency).upper(), day(d))
                               for _i, d in valid})
    out = []
    for i, d in valid:
        currency = (d.get(currency_field) or ws.currency).upper()
        d["original_amount"] = d["amount"]
        d["original_currency"] = currency
        try:
            d["amount"] = conv.convert(d["amount"], currency, day(d))
        except RateMissing as e:
            errs = RowErrors()
            errs.add(currency_field, "missing_rate", e.message)
            result.reject(i, errs)
            continue
        out.append((i, d))
    return out


# --- one order: correct or delete (API detail routes and the contact's profile) ---------------

ORDER_FIELDS = ["kind", "status", "amount", "currency", "margin", "occurred_at", "external_id"]


def get_order(workspace, code):
    """The workspace's order, or 404 (also for other workspaces' codes)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Order.objects.select_related("contact"), workspace=workspace,
                             code=code)


@transaction.atomic
def order_update(*, actor: Actor, order: Order, **fields) -> Order:
    """Correct an order (e.g. a date MOS cannot compute with); validated like a bulk row."""
    from django.core.exceptions import ValidationError

    from mos.audit import audit, diff, snapshot
    from mos.validation import occurred_at_error
    from mos.writes import reject_unknown

    reject_unknown(fields, ORDER_FIELDS, "order")
    errors = {}
    if "amount" in fields and fields["amount"] < 0:
        errors["amount"] = [str(M.NOT_NEGATIVE)]
    if "margin" in fields and fields["margin"] is not None and not 0 <= fields["margin"] <= 1:
        errors["margin"] = [str(M.FRACTION)]
    if "currency" in fields:
        fields["currency"] = fields["currency"].upper()
        if fields["currency"] not in CURRENCIES:
            errors["currency"] = [str(M.CURRENCY)]
    if "occurred_at" in fields:
        message = occurred_at_error(fields["occurred_at"])
        if message:
            errors["occurred_at"] = [str(message)]
    if "amount" in fields and "amount" not in errors and "currency" not in errors:
        from mos.validation import amount_places_error

        message = amount_places_error(fields["amount"], fields.get("currency") or order.currency)
        if message:
            errors["amount"] = [str(message)]
    if "status" in fields and fields["status"] not in Order.Status.values:
        errors["status"] = [str(M.CHOICE % {"choices": ", ".join(Order.Status.values)})]
    if "kind" in fields and fields["kind"] not in Order.Kind.values:
        errors["kind"] = [str(M.CHOICE % {"choices": ", ".join(Order.Kind.values)})]
    if errors:
        raise ValidationError(errors)
    before = snapshot(order, ORDER_FIELDS)
    for k, v in fields.items():
        setattr(order, k, v)
    update = list(fields)
    if "amount" in fields or "currency" in fields:  # a correction is taken as it is given
        order.original_amount, order.original_currency = order.amount, order.currency
        update += ["original_amount", "original_currency"]
    order.save(update_fields=update or None)
    changes = diff(before, snapshot(order, ORDER_FIELDS))
    if changes:
        audit(actor, "order.update", order, changes=changes,
              object_repr=f"order {order.external_id or order.code}")
    return order


@transaction.atomic
def order_delete(*, actor: Actor, order: Order) -> None:
    from mos.audit import audit, snapshot

    audit(actor, "order.delete", order, changes=snapshot(order, ORDER_FIELDS),
          object_repr=f"order {order.external_id or order.code}")
    order.delete()
