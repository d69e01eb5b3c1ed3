"""Reads for the accounts pages: B2B companies with their contacts (and buying roles),
orders, subscriptions, activities, stage mix and revenue."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Account, Contact, Order, Subscription

LIVE_SUBSCRIPTION = [Subscription.Status.ACTIVE, Subscription.Status.TRIALING,
                     Subscription.Status.PAST_DUE]


def _net_revenue_subquery():
    """Net revenue of an account's contacts' counted orders (refunds subtracted)."""
    counted = Order.objects.filter(contact__account=OuterRef("pk"),
                                   status__in=Order.COUNTED_STATUSES).order_by()
    gross = counted.exclude(kind=Order.Kind.REFUND).values("contact__account").annotate(
        t=Sum("amount")).values("t")
    refunds = counted.filter(kind=Order.Kind.REFUND).values("contact__account").annotate(
        t=Sum("amount")).values("t")
    money = DecimalField(max_digits=18, decimal_places=3)
    return (Coalesce(Subquery(gross, output_field=money), Value(Decimal(0)), output_field=money)
            - Coalesce(Subquery(refunds, output_field=money), Value(Decimal(0)),
                       output_field=money))


def account_list(workspace, *, q: str = "") -> QuerySet:
    """The workspace's accounts with their number of contacts, open leads and net revenue."""
    qs = Account.objects.filter(workspace=workspace)
    if q and q.strip():
        q = q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(domain__istartswith=q)
                       | Q(industry__icontains=q))
    contacts = Contact.objects.filter(account=OuterRef("pk")).order_by().values(
        "account").annotate(n=Count("id")).values("n")
    return qs.annotate(n_contacts=Coalesce(Subquery(contacts), 0),
                       revenue=_net_revenue_subquery()).order_by("name", "id")


def account_summary(account: Account) -> dict:
    """Contacts (with buying role, stage, score), stage mix, orders, revenue and MRR."""
    from .scoring.selectors import with_score

    contacts = list(with_score(Contact.objects.filter(workspace_id=account.workspace_id,
                                                      account=account))
                    .select_related("owner", "persona").order_by("-score", "name", "id"))
    mix: dict[str, int] = {}
    for c in contacts:
        mix[c.stage] = mix.get(c.stage, 0) + 1
    orders = Order.objects.filter(workspace_id=account.workspace_id, contact__account=account)
    counted = orders.filter(status__in=Order.COUNTED_STATUSES)
    gross = counted.exclude(kind=Order.Kind.REFUND).aggregate(t=Sum("amount"), n=Count("id"))
    refunds = counted.filter(kind=Order.Kind.REFUND).aggregate(t=Sum("amount"))["t"] or 0
    subs = list(Subscription.objects.filter(workspace_id=account.workspace_id)
                .filter(Q(account=account) | Q(contact__account=account))
                .select_related("contact").order_by("-started_at", "-id")[:50])
    mrr = sum((s.mrr for s in subs if s.status in LIVE_SUBSCRIPTION), Decimal(0))
    return {
        "contacts": contacts,
        "stage_mix": mix,
        "orders_count": gross["n"] or 0,
        "revenue": (gross["t"] or Decimal(0)) - refunds,
        "recent_orders": list(orders.select_related("contact")
                              .order_by("-occurred_at", "-id")[:10]),
        "subscriptions": subs,
        "mrr": mrr,
    }
