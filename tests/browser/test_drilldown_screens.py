"""The dashboard's revenue and new-customer numbers drill down to their orders and contacts, in
a real browser, English and Arabic (RTL), desk and phone: no horizontal overflow. Screenshots
land in var/screens/ (and /tmp/shots/fin911/) for a person to look at."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from crm.models import Contact, Order
from engines.metrics import pipeline
from engines.models import MetricRun
from mos.periods import workspace_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(workspace):
    month = timezone.now().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    names = ["Huda Al-Rashid", "نورة القحطاني", "Omar Farouk", "فهد العتيبي", "=SUM(A1)"]
    for i, name in enumerate(names):
        c = Contact.objects.create(workspace=workspace, name=name, email=f"c{i}@example.test")
        Order.objects.create(workspace=workspace, contact=c, occurred_at=month + timedelta(
            hours=i), amount=Decimal(120 + 35 * i), currency="USD", external_id=f"ord-{i}")
        if i == 1:
            Order.objects.create(workspace=workspace, contact=c, kind="refund",
                                 occurred_at=month + timedelta(hours=8), amount=Decimal(40),
                                 currency="USD", external_id="ref-1")
    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    assert pipeline.compute_workspace(run, as_of=workspace_today(workspace)).status == \
        "succeeded"
    return workspace


@pytest.mark.parametrize("locale,width", [("en", 1280), ("en", 390), ("ar", 1280),
                                          ("ar", 390)])
def test_drilldown_screens(new_page, login, live_server, owner, shop, screens_dir, locale,
                           width):
    ws = shop
    today = workspace_today(ws)
    shots = Path("/tmp/shots/fin911")
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(width, 900, locale=locale)
    login(page, owner)
    q = f"period=month&month={today:%Y-%m}"
    page.goto(f"{live_server.url}/w/{ws.slug}/?{q}")
    page.locator("a.kpi-drill").first.click()
    page.wait_for_url("**/revenue/orders/**")
    assert page.locator("tbody tr").count() == 6
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for d in (screens_dir, shots):
        page.screenshot(path=str(d / f"drill-orders-{locale}-{width}.png"), full_page=True)
    page.goto(f"{live_server.url}/w/{ws.slug}/revenue/new-customers/?{q}")
    assert page.locator("tbody tr").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for d in (screens_dir, shots):
        page.screenshot(path=str(d / f"drill-new-{locale}-{width}.png"), full_page=True)
