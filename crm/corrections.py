"""Correcting or deleting one stored event or spend row (orders: crm.ingest.orders), through the
API (by code) and the contact's profile. Each write is validated like a bulk row and audited;
the audit entry is also what marks the workspace's metrics stale until the next run
(`corrected_since`)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from mos.actors import Actor
from mos.audit import audit, diff, snapshot
from mos.models import AuditEntry
from mos.validation import (
    BAD_TEXT,
    amount_places_error,
    date_error,
    has_lone_surrogate,
    json_problem,
    occurred_at_error,
)
from mos.writes import reject_unknown

from .ingest.common import M
from .models import Event, Spend

# the audit actions that change the rows the metrics are computed from, one at a time
CORRECTION_ACTIONS = ("order.update", "order.delete", "event.update", "event.delete",
                      "spend.update", "spend.delete")


def _audited_since(workspace, actions, at):
    """The workspace's audit entries of `actions` after `at` (None: ever)."""
    qs = AuditEntry.objects.filter(workspace=workspace, action__in=actions)
    return qs if at is None else qs.filter(at__gt=at)


def corrected_since(workspace, at) -> bool:
    """True if an order, event or spend row was corrected or deleted after `at` (None: ever):
    the metrics computed before then no longer match the data."""
    return _audited_since(workspace, CORRECTION_ACTIONS, at).exists()


# the audit actions of the bulk API (and the CSV imports that reuse it) that write rows the
# metrics are computed from: orders, events, spend, contacts (stages), subscriptions, rates,
# activities (calls: call handling time)
BULK_WRITE_ACTIONS = ("order.bulk_upsert", "event.bulk_ingest", "spend.bulk_upsert",
                      "contact.bulk_upsert", "subscription.bulk_upsert",
                      "exchange_rate.bulk_upsert", "activity.bulk")


def bulk_written_since(workspace, at) -> bool:
    """True if a bulk write (API or import) stored rows after `at` (None: ever)."""
    return _audited_since(workspace, BULK_WRITE_ACTIONS, at).exists()


# the customer-service family (NPS, CSAT, complaint handling) reads complaints and answers
SERVICE_WRITE_ACTIONS = ("complaint.create", "complaint.update")


def service_written_since(workspace, at) -> bool:
    """True if a complaint was logged or changed, or a survey answered, after `at` (None:
    ever): the service metrics (NPS, CSAT, resolution time) do not include it yet. Answers
    come from the public page and are not audited, so they are looked up themselves."""
    from crm.models import SurveyAnswer

    answers = SurveyAnswer.objects.filter(workspace=workspace)
    if at is not None:
        answers = answers.filter(answered_at__gt=at)
    return _audited_since(workspace, SERVICE_WRITE_ACTIONS, at).exists() or answers.exists()


# --- events -------------------------------------------------------------------------------------

EVENT_FIELDS = ["name", "occurred_at", "properties"]


def get_event(workspace, code) -> Event:
    """The workspace's event, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(Event.objects.select_related("contact"), workspace=workspace,
                             code=code)


def _text_error(value: str, max_length: int):
    if not value or not value.strip():
        return M.REQUIRED
    if len(value) > max_length:
        return M.TOO_LONG % {"n": max_length}
    if has_lone_surrogate(value):
        return BAD_TEXT
    return None


@transaction.atomic
def event_update(*, actor: Actor, event: Event, **fields) -> Event:
    """Correct an event's name, time or properties (e.g. a date MOS cannot compute with)."""
    reject_unknown(fields, EVENT_FIELDS, "event")
    errors = {}
    if "name" in fields:
        message = _text_error(fields["name"], 100)
        if message:
            errors["name"] = [str(message)]
    if "occurred_at" in fields:
        message = occurred_at_error(fields["occurred_at"])
        if message:
            errors["occurred_at"] = [str(message)]
    if "properties" in fields:
        if not isinstance(fields["properties"], dict):
            errors["properties"] = [str(M.OBJECT)]
        else:
            message = json_problem(fields["properties"])
            if message:
                errors["properties"] = [str(message)]
    if errors:
        raise ValidationError(errors)
    before = snapshot(event, EVENT_FIELDS)
    for k, v in fields.items():
        setattr(event, k, v)
    if fields:
        event.save(update_fields=list(fields))
    changes = diff(before, snapshot(event, EVENT_FIELDS))
    if changes:
        audit(actor, "event.update", event, changes=changes, object_repr=f"event {event.name}")
    return event


@transaction.atomic
def event_delete(*, actor: Actor, event: Event) -> None:
    audit(actor, "event.delete", event, changes=snapshot(event, EVENT_FIELDS + ["anonymous_id"]),
          object_repr=f"event {event.name}")
    event.delete()


# --- spend --------------------------------------------------------------------------------------

SPEND_FIELDS = ["date", "amount", "impressions", "clicks"]
SPEND_DAY_TAKEN = _("This channel and campaign already have a spend row on that day.")


def get_spend(workspace, code) -> Spend:
    """The workspace's spend row, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(Spend.objects.select_related("channel", "campaign"),
                             workspace=workspace, code=code)


@transaction.atomic
def spend_update(*, actor: Actor, spend: Spend, **fields) -> Spend:
    """Correct one day's spend (amount, impressions, clicks, or the day itself)."""
    reject_unknown(fields, SPEND_FIELDS, "spend")
    errors = {}
    if "date" in fields:
        message = date_error(fields["date"])
        if message:
            errors["date"] = [str(message)]
        elif (fields["date"] != spend.date and Spend.objects.filter(
                workspace=spend.workspace, date=fields["date"], channel_id=spend.channel_id,
                campaign_id=spend.campaign_id).exclude(pk=spend.pk).exists()):
            errors["date"] = [str(SPEND_DAY_TAKEN)]
    if "amount" in fields:
        amount = Decimal(fields["amount"])
        if amount < 0:
            errors["amount"] = [str(M.NOT_NEGATIVE)]
        else:
            message = amount_places_error(amount, spend.workspace.currency)
            if message:
                errors["amount"] = [str(message)]
    for f in ("impressions", "clicks"):
        if f in fields and fields[f] < 0:
            errors[f] = [str(M.NOT_NEGATIVE)]
    impressions = fields.get("impressions", spend.impressions)
    clicks = fields.get("clicks", spend.clicks)
    if "clicks" not in errors and impressions > 0 and clicks > impressions:
        errors["clicks"] = [str(M.CLICKS)]
    if errors:
        raise ValidationError(errors)
    before = snapshot(spend, SPEND_FIELDS)
    for k, v in fields.items():
        setattr(spend, k, v)
    if fields:
        spend.save(update_fields=list(fields))
    changes = diff(before, snapshot(spend, SPEND_FIELDS))
    if changes:
        audit(actor, "spend.update", spend, changes=changes, object_repr=_spend_repr(spend))
    return spend


@transaction.atomic
def spend_delete(*, actor: Actor, spend: Spend) -> None:
    audit(actor, "spend.delete", spend, changes=snapshot(spend, SPEND_FIELDS),
          object_repr=_spend_repr(spend))
    spend.delete()


def _spend_repr(spend: Spend) -> str:
    return f"spend {spend.date} {spend.channel.key}"
