"""The rows behind the dashboard's order numbers: the orders of a period (revenue net of
refunds; orders = the non-refund ones) and the contacts who became customers in it (first
customer stage or first purchase, whichever came first — the `new_customers` metric's rule).
Periods are the dashboard's (month, quarter, custom months) in the workspace's time zone."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min, Q

from crm.models import Contact, Order, StageChange
from mos.periods import workspace_tz


def period_bounds(workspace, start: dt.date, last_day: dt.date) -> tuple[dt.datetime,
                                                                        dt.datetime]:
    """[first day 00:00, day after the last 00:00) in the workspace's time zone."""
    tz = workspace_tz(workspace)
    return (dt.datetime.combine(start, dt.time(), tz),
            dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tz))


def period_orders(workspace, lo: dt.datetime, hi: dt.datetime, *, sales_only: bool = False):
    """The counted (paid) orders of [lo, hi), newest first; refunds too unless `sales_only`."""
    qs = (Order.objects.filter(workspace=workspace, status__in=Order.COUNTED_STATUSES,
                               occurred_at__gte=lo, occurred_at__lt=hi)
          .select_related("contact").order_by("-occurred_at", "-id"))
    if sales_only:
        qs = qs.exclude(kind=Order.Kind.REFUND)
    return qs


def signed(order) -> float:
    return -float(order.amount) if order.kind == Order.Kind.REFUND else float(order.amount)


def new_customers(workspace, lo: dt.datetime, hi: dt.datetime) -> list[dict]:
    """Contacts whose first customer stage or first purchase (the earlier) is in [lo, hi):
    contact, when, and how (stage or purchase), oldest first."""
    sales = Order.objects.filter(workspace=workspace, status__in=Order.COUNTED_STATUSES
                                 ).exclude(kind=Order.Kind.REFUND)
    stages = StageChange.objects.filter(workspace=workspace, to_stage="customer")
    # only contacts who bought or became customers in the period can be new in it
    candidates = (Q(contact_id__in=sales.filter(occurred_at__gte=lo, occurred_at__lt=hi)
                    .values("contact_id"))
                  | Q(contact_id__in=stages.filter(at__gte=lo, at__lt=hi).values("contact_id")))
    first_buy = dict(sales.filter(candidates).values("contact_id")
                     .annotate(t=Min("occurred_at")).values_list("contact_id", "t"))
    first_stage = dict(stages.filter(candidates).values("contact_id")
                       .annotate(t=Min("at")).values_list("contact_id", "t"))
    became = {}
    for cid in set(first_buy) | set(first_stage):
        options = [(t, how) for t, how in ((first_buy.get(cid), "purchase"),
                                            (first_stage.get(cid), "stage")) if t]
        at, how = min(options)
        if lo <= at < hi:
            became[cid] = (at, how)
    contacts = Contact.objects.filter(workspace=workspace).in_bulk(list(became))
    rows = [{"contact": contacts[cid], "at": at, "how": how}
            for cid, (at, how) in became.items() if cid in contacts]
    return sorted(rows, key=lambda r: (r["at"], r["contact"].pk))
