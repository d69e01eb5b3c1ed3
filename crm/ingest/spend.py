"""Ad spend in bulk: one row per day × channel × campaign; re-sending a day replaces it.
A row in another currency is converted to the workspace currency (crm.ingest.currency)."""

from __future__ import annotations

from django.db import transaction

from decimal import Decimal

from crm.models import Channel, Spend
from mos.actors import Actor
from mos.validation import CURRENCIES

from .common import (
    M,
    BulkResult,
    campaign_refs_resolve,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    ref_text,
    rows_with_errors,
    parse_field,
    check_amount_places,
    finish_bulk,
)


def spend_bulk(*, actor: Actor, rows: list, source: str = "api") -> BulkResult:
    """Daily spend per channel (and campaign): re-sending a day replaces it."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    channels = dict(Channel.objects.filter(workspace=ws).values_list("key", "id"))
    campaigns = campaign_refs_resolve(ws, {ref_text(r["campaign"]) for r in rows
                                           if type(r) is dict and r.get("campaign")})

    def clean(row, errs):
        d = {}
        parse_field(errs, d, row, "date", parse_date, required=True)
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
        parse_field(errs, d, row, "amount", parse_decimal, required=True)
        if "amount" in d and d["amount"] < 0:
            errs.add("amount", "min_value", M.NOT_NEGATIVE)
        for f in ("impressions", "clicks"):
            parse_field(errs, d, row, f, parse_int)
            if d.get(f, 0) < 0:
                errs.add(f, "min_value", M.NOT_NEGATIVE)
        if d.get("impressions", 0) > 0 and d.get("clicks", 0) > d["impressions"]:
            errs.add("clicks", "invalid", M.CLICKS)
        parse_field(errs, d, row, "currency", parse_text, 3)
        if d.get("currency") and d["currency"].upper() not in CURRENCIES:
            errs.add("currency", "invalid", M.CURRENCY)
        if not errs.get("currency"):
            check_amount_places(errs, d, "amount", d.get("currency") or ws.currency)
        d["spread"] = row.get("spread") is True  # set by the CSV import only
        return d

    from .orders import convert_rows

    valid = convert_rows(ws, rows_with_errors(rows, result, clean), result, None,
                         day_field="date", currency_field="currency")
    result.totals = {"rows": len(valid),
                     "amount": sum((d["amount"] for _i, d in valid), Decimal(0)),
                     "impressions": sum(d.get("impressions", 0) for _i, d in valid),
                     "clicks": sum(d.get("clicks", 0) for _i, d in valid)}
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
                if (s.pk is not None and s.pk not in changed
                        and _values(s) == _values_of(d, source)):
                    result.ok(i, "unchanged")  # re-sent as it is stored
                    continue
                if s.pk is not None:
                    changed[s.pk] = s
            (s.amount, s.impressions, s.clicks, s.source, s.original_amount,
             s.original_currency, s.spread) = _values_of(d, source)
            result.ok(i, status)
        Spend.objects.bulk_create(new, batch_size=1000)
        if changed:
            Spend.objects.bulk_update(list(changed.values()),
                                      ["amount", "impressions", "clicks", "source",
                                       "original_amount", "original_currency", "spread"],
                                      batch_size=500)
        finish_bulk(actor, result, "spend.bulk_upsert", "crm.spend")
    return result


def _values(s: Spend) -> tuple:
    return (s.amount, s.impressions, s.clicks, s.source, s.original_amount,
            s.original_currency, s.spread)


def _values_of(d: dict, source: str) -> tuple:
    return (d["amount"], d.get("impressions", 0), d.get("clicks", 0), source,
            d["original_amount"], d["original_currency"], d["spread"])
