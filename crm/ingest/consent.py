"""Consent in bulk: grants and withdrawals appended to the ledger."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Consent, ConsentChannel, LawfulBasis
from mos.actors import Actor

from .common import (
    M,
    BulkResult,
    parse_choice,
    parse_datetime,
    parse_text,
    workspace_tz,
    rows_with_errors,
    parse_field,
    contacts_of,
    contact_field,
    finish_bulk,
)


def consent_bulk(*, actor: Actor, rows: list) -> BulkResult:
    """Append consent rows to the ledger (never updates: the latest row is the state)."""
    ws = actor.workspace
    result = BulkResult(len(rows))
    now = timezone.now()
    horizon, tz = now + timedelta(days=1), workspace_tz(ws)
    contacts = contacts_of(ws, rows)

    def clean(row, errs):
        d = {}
        contact_field(errs, d, row, contacts)
        parse_field(errs, d, row, "channel", parse_choice, ConsentChannel.values, required=True)
        parse_field(errs, d, row, "status", parse_choice, Consent.Status.values, required=True)
        parse_field(errs, d, row, "lawful_basis", parse_choice, LawfulBasis.values)
        parse_field(errs, d, row, "source", parse_text, 100)
        parse_field(errs, d, row, "at", parse_datetime, tz)
        if d.get("at") and d["at"] > horizon:
            errs.add("at", "future_date", M.FUTURE)
        return d

    valid = rows_with_errors(rows, result, clean)
    with transaction.atomic():
        Consent.objects.bulk_create(
            [Consent(workspace=ws, contact_id=d["contact_id"], channel=d["channel"],
                     status=d["status"], source=d.get("source", ""),
                     lawful_basis=d.get("lawful_basis") or LawfulBasis.CONSENT,
                     at=d.get("at") or now,
                     recorded_at=now) for _i, d in valid], batch_size=1000)
        for i, _d in valid:
            result.ok(i, "created")
        finish_bulk(actor, result, "consent.bulk_record", "crm.consent")
    return result
