"""The dashboard's revenue, orders and new-customer numbers drill down to the rows behind them
(and their CSV, formula cells escaped); the rows add up to the stored metrics."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone as dt_tz
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Contact, Order, StageChange
from engines.metrics import pipeline
from engines.models import MetricRun, MetricValue

pytestmark = pytest.mark.django_db

# March 2026 in Riyadh (UTC+3): from 2026-02-28 21:00 UTC to 2026-03-31 21:00 UTC


@pytest.fixture
def shop(workspace):
    workspace.timezone = "Asia/Riyadh"
    workspace.save(update_fields=["timezone"])
    utc = dt_tz.utc
    a = Contact.objects.create(workspace=workspace, name="=SUM(A1)", email="a@x.test")
    b = Contact.objects.create(workspace=workspace, name="Basma", email="b@x.test")
    c = Contact.objects.create(workspace=workspace, name="Chen", email="c@x.test")
    d = Contact.objects.create(workspace=workspace, name="Dina", email="d@x.test")

    def order(who, at, amount, kind="new", status="paid"):
        Order.objects.create(workspace=workspace, contact=who, occurred_at=at, kind=kind,
                             amount=Decimal(amount), currency="USD", status=status,
                             external_id=f"o-{who.pk}-{at:%m%d%H}-{kind}")

    order(a, datetime(2026, 2, 28, 22, tzinfo=utc), "100")  # 1 March 01:00 in Riyadh: March
    order(a, datetime(2026, 3, 10, tzinfo=utc), "40", kind="refund")
    order(b, datetime(2026, 1, 5, tzinfo=utc), "20")  # a customer since January
    order(b, datetime(2026, 3, 12, tzinfo=utc), "60", kind="repeat")
    order(b, datetime(2026, 3, 13, tzinfo=utc), "987.65", status="pending")  # not counted
    order(c, datetime(2026, 3, 31, 22, tzinfo=utc), "70")  # 1 April in Riyadh: not March
    # Dina became a customer by stage in March, before any purchase
    StageChange.objects.create(workspace=workspace, contact=d, to_stage="customer",
                               at=datetime(2026, 3, 20, tzinfo=utc))
    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    from datetime import date

    assert pipeline.compute_workspace(run, as_of=date(2026, 4, 15)).status == "succeeded"
    return workspace


def _metric(ws, key):
    from datetime import date

    return MetricValue.objects.get(workspace=ws, key=key, grain="month", dimension="",
                                   period=date(2026, 3, 1)).value


def test_revenue_and_orders_drill_down_add_up_to_the_metrics(owner_client, shop):
    ws = shop
    # by hand: March = 100 − 40 + 60 = 120 over 2 orders (the refund is no order)
    assert _metric(ws, "revenue") == pytest.approx(120)
    assert _metric(ws, "orders") == 2
    url = reverse("drill_orders", kwargs={"slug": ws.slug})
    q = {"period": "month", "month": "2026-03"}
    html = owner_client.get(url, q).content.decode()
    assert "3 paid orders, USD\u00a0120 net of refunds." in html
    assert "Chen" not in html and "987.65" not in html  # no random id holds a "."
    html = owner_client.get(url, {**q, "only": "sales"}).content.decode()
    assert "2 paid orders (refunds not counted), USD\u00a0160." in html
    r = owner_client.get(url, {**q, "format": "csv"})
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 4
    assert sum(float(row[6]) for row in rows[1:]) == pytest.approx(120)
    assert ["'=SUM(A1)", "a@x.test"] == rows[-1][:2]  # the formula cell is escaped
    assert rows[-1][3] == "2026-03-01 01:00"  # the workspace's local time


def test_new_customers_drill_down_lists_the_contacts(owner_client, shop):
    ws = shop
    # by hand: a (first purchase 1 March local) and d (customer stage 20 March); b bought
    # first in January, c in April
    assert _metric(ws, "new_customers") == 2
    url = reverse("drill_new_customers", kwargs={"slug": ws.slug})
    q = {"period": "month", "month": "2026-03"}
    html = owner_client.get(url, q).content.decode()
    assert "2 contacts became customers" in html
    assert "Dina" in html and "Basma" not in html and "Chen" not in html
    rows = list(csv.reader(io.StringIO(owner_client.get(url, {**q, "format": "csv"})
                                       .content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["a@x.test", "d@x.test"]
    assert [r[4] for r in rows[1:]] == ["First purchase", "Customer stage"]
    # the quarter adds b (January); February has none
    html = owner_client.get(url, {"period": "quarter", "quarter": "2026-Q1"}).content.decode()
    assert "3 contacts became customers" in html and "Basma" in html
    html = owner_client.get(url, {"period": "month", "month": "2026-02"}).content.decode()
    assert "No new customer in this period." in html


def test_dashboard_links_its_numbers_and_bad_periods_are_404(owner_client, shop):
    ws = shop
    home = reverse("workspace_home", kwargs={"slug": ws.slug})
    html = owner_client.get(home, {"period": "month", "month": "2026-03"}).content.decode()
    assert reverse("drill_orders", kwargs={"slug": ws.slug}) + "?period=month" in html
    assert reverse("drill_new_customers", kwargs={"slug": ws.slug}) + "?period=month" in html
    assert "only=sales" in html
    url = reverse("drill_orders", kwargs={"slug": ws.slug})
    assert owner_client.get(url, {"period": "month", "month": "2026-13"}).status_code == 404
    assert owner_client.get(url, {"period": "nonsense"}).status_code == 404
