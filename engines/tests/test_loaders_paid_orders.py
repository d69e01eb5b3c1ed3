"""The metrics loaders read only orders that were paid (issue 17): pending, voided and
cancelled orders stay on the contact but are never revenue; a $0 paid order is an order."""

from __future__ import annotations

from datetime import date, datetime, timezone as tz

import pytest

from crm.models import Contact, Order
from engines.metrics.loaders import Window, load_order_history, load_orders

pytestmark = pytest.mark.django_db


def test_only_paid_orders_are_loaded(workspace):
    c = Contact.objects.create(workspace=workspace, email="x@example.com")
    at = datetime(2026, 1, 10, tzinfo=tz.utc)
    for ext, status, kind, amount in (
            ("a", "paid", "new", 10), ("b", "pending", "new", 20), ("c", "cancelled", "new", 30),
            ("d", "paid", "new", 0), ("e", "voided", "new", 5), ("f", "refunded", "new", 40),
            ("f-refund", "paid", "refund", 40), ("g", "failed", "new", 7)):
        Order.objects.create(workspace=workspace, contact=c, external_id=ext, status=status,
                             kind=kind, amount=amount, currency="USD", occurred_at=at)
    window = Window.trailing(as_of=date(2026, 2, 1))
    orders = load_orders(workspace.pk, window)
    assert sorted(orders["amount"].astype(float).tolist()) == [0.0, 10.0, 40.0, 40.0]
    history = load_order_history(workspace.pk, window)
    assert sorted(history["amount"].astype(float).tolist()) == [0.0, 10.0, 40.0]
