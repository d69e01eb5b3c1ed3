"""Reads of subscriptions, always from the workspace."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from crm.models import Contact, Subscription


def subscriptions(workspace):
    return Subscription.objects.filter(workspace=workspace).select_related("contact", "account")


def get_subscription(workspace, code) -> Subscription:
    """The workspace's subscription, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(subscriptions(workspace), code=code)


def contact_subscriptions(contact: Contact, limit: int = 20) -> list[Subscription]:
    """A contact's subscriptions, newest first (the profile's timeline)."""
    return list(Subscription.objects.filter(workspace_id=contact.workspace_id, contact=contact)
                .order_by("-started_at", "-id")[:limit])


def subscriptions_of_customers(workspace, customer_ids: list[int]):
    """Subscriptions of the customers the metrics name (a contact id, or minus an account id),
    for drill-downs."""
    contacts = [c for c in customer_ids if c > 0]
    accounts = [-c for c in customer_ids if c < 0]
    from django.db.models import Q

    cond = Q(contact_id__in=contacts) | Q(contact__isnull=True, account_id__in=accounts)
    return subscriptions(workspace).filter(cond).order_by("contact_id", "account_id",
                                                          "started_at", "id")
