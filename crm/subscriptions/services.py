"""Writes for subscriptions (bulk upserts are in crm.ingest.subscriptions)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crm.models import Subscription
from mos.actors import Actor
from mos.audit import audit, diff, snapshot
from mos.writes import reject_unknown

SUBSCRIPTION_FIELDS = ["contact", "account", "external_id", "plan", "mrr", "quantity", "status",
                       "started_at", "trial_end", "cancelled_at", "ended_at", "properties"]


@transaction.atomic
def subscription_create(*, actor: Actor, **fields) -> Subscription:
    """A new subscription of a contact and/or an account."""
    reject_unknown(fields, SUBSCRIPTION_FIELDS, "subscription")
    sub = Subscription(workspace=actor.workspace, **fields)
    sub.full_clean()
    sub.save()
    audit(actor, "subscription.create", sub, changes=snapshot(sub, SUBSCRIPTION_FIELDS))
    return sub


@transaction.atomic
def subscription_update(*, actor: Actor, subscription: Subscription, **fields) -> Subscription:
    reject_unknown(fields, SUBSCRIPTION_FIELDS, "subscription")
    before = snapshot(subscription, SUBSCRIPTION_FIELDS)
    for k, v in fields.items():
        setattr(subscription, k, v)
    subscription.updated_at = timezone.now()
    subscription.full_clean()
    subscription.save()
    changes = diff(before, snapshot(subscription, SUBSCRIPTION_FIELDS))
    if changes:
        audit(actor, "subscription.update", subscription, changes=changes)
    return subscription


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    audit(actor, "subscription.delete", subscription,
          changes=snapshot(subscription, SUBSCRIPTION_FIELDS))
    subscription.delete()
