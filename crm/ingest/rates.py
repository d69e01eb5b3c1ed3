"""Exchange rates in bulk: one rate per day × currency (what one unit of the currency is worth
in the workspace currency); re-sending a day replaces it, identical rows are unchanged."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crm.models import ExchangeRate
from mos.actors import Actor
from mos.validation import CURRENCIES

from .common import M, BulkResult, finish_bulk, parse_date, parse_decimal, parse_field, \
    parse_text, rows_with_errors

RATE_PLACES = Decimal("1e-10")
SAME_CURRENCY = _("This is the workspace currency; it needs no rate.")


def exchange_rates_bulk(*, actor: Actor, rows: list, source: str = "api") -> BulkResult:
    """Upsert rates on (date, currency)."""
    ws = actor.workspace
    result = BulkResult(len(rows))

    def clean(row, errs):
        d = {}
        parse_field(errs, d, row, "date", parse_date, required=True)
        parse_field(errs, d, row, "currency", parse_text, 3, required=True)
        if d.get("currency"):
            d["currency"] = d["currency"].upper()
            if d["currency"] not in CURRENCIES:
                errs.add("currency", "invalid", M.CURRENCY)
            elif d["currency"] == ws.currency.upper():
                errs.add("currency", "invalid", SAME_CURRENCY)
        parse_field(errs, d, row, "rate", parse_decimal, required=True)
        if "rate" in d:
            if d["rate"] <= 0:
                errs.add("rate", "min_value", M.POSITIVE)
            else:
                d["rate"] = d["rate"].quantize(RATE_PLACES)
        return d

    valid = rows_with_errors(rows, result, clean)
    result.totals = {"rows": len(valid)}
    with transaction.atomic():
        existing = {}
        if valid:
            days = sorted({d["date"] for _i, d in valid})
            for r in ExchangeRate.objects.select_for_update().filter(
                    workspace=ws, date__gte=days[0], date__lte=days[-1],
                    currency__in={d["currency"] for _i, d in valid}):
                existing[(r.date, r.currency)] = r
        new, changed = [], {}
        for i, d in valid:
            key = (d["date"], d["currency"])
            r = existing.get(key)
            if r is None:
                r = existing[key] = ExchangeRate(workspace=ws, date=key[0], currency=key[1],
                                                 rate=d["rate"], source=source)
                new.append(r)
                result.ok(i, "created")
            elif r.rate == d["rate"]:
                result.ok(i, "unchanged")  # re-sent as it is stored
            else:
                r.rate, r.source = d["rate"], source
                if r.pk is not None:
                    changed[r.pk] = r
                result.ok(i, "updated")
        ExchangeRate.objects.bulk_create(new, batch_size=1000)
        if changed:
            ExchangeRate.objects.bulk_update(list(changed.values()), ["rate", "source"],
                                             batch_size=500)
        finish_bulk(actor, result, "exchange_rate.bulk_upsert", "crm.exchangerate")
    return result
