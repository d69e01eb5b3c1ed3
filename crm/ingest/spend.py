"""Ad spend in bulk: one row per day × channel × campaign; re-sending a day replaces it."""

from __future__ import annotations

from django.db import transaction

from crm.models import Channel, Spend
from mos.actors import Actor

from .common import (
    M,
    BulkResult,
    campaign_refs_resolve,
    parse_date,
    parse_decimal,
    parse_int,
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
        check_amount_places(errs, d, "amount", ws.currency)
        for f in ("impressions", "clicks"):
            parse_field(errs, d, row, f, parse_int)
            if d.get(f, 0) < 0:
                errs.add(f, "min_value", M.NOT_NEGATIVE)
        if d.get("impressions", 0) > 0 and d.get("clicks", 0) > d["impressions"]:
            errs.add("clicks", "invalid", M.CLICKS)
        return d

    valid = rows_with_errors(rows, result, clean)
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
            s.amount = d["amount"]
            s.impressions = d.get("impressions", 0)
            s.clicks = d.get("clicks", 0)
            s.source = source
            result.ok(i, status)
        Spend.objects.bulk_create(new, batch_size=1000)
        if changed:
            Spend.objects.bulk_update(list(changed.values()),
                                      ["amount", "impressions", "clicks", "source"],
                                      batch_size=500)
        finish_bulk(actor, result, "spend.bulk_upsert", "crm.spend")
    return result
