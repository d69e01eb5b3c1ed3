"""The MRR section of the dashboard, the movement drill-down and the Models page in a real
browser, English and Arabic (RTL), desk and phone: charts drawn, no horizontal overflow.
Screenshots land in var/screens/ for a person to look at."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Contact, Segment, Subscription
from engines.metrics import pipeline
from engines.models import MetricRun, ModelFit
from mos.periods import workspace_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def subscribed(workspace):
    now = timezone.now()
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    plans = [("starter", 19), ("pro", 49), ("team", 99)]
    Segment.objects.create(workspace=workspace, name="عملاء السعودية",
                           filters={"country": ["SA"]})
    for i in range(24):
        c = Contact.objects.create(workspace=workspace, name=f"Customer {i}",
                                   email=f"c{i}@example.test", country="SA" if i % 2 else "AE")
        plan, price = plans[i % 3]
        start = month - timedelta(days=30 * (6 - i % 6) + i)
        end = month + timedelta(days=2 + i % 5) if i % 7 == 0 else None
        if end and end > now:
            end = now - timedelta(hours=1)
        Subscription.objects.create(workspace=workspace, contact=c, plan=plan,
                                    mrr=Decimal(price * (1 + i % 2)), started_at=start,
                                    ended_at=end, external_id=f"sub_{i}")
        if i % 5 == 0:  # an upgrade this month
            Subscription.objects.create(workspace=workspace, contact=c, plan="addon",
                                        mrr=Decimal(10), started_at=month + timedelta(hours=5))
    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    run = pipeline.compute_workspace(run, as_of=workspace_today(workspace))
    assert run.status == "succeeded", run.error
    ModelFit.objects.create(workspace=workspace, run=run, kind="bgnbd",
                            params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
                            loglik=-9582.4, n=2357, history_to=workspace_today(workspace),
                            holdout_days=90, holdout_predicted=1190.2, holdout_actual=1104,
                            details={"calibration_end": "1997-07-02"})
    ModelFit.objects.create(workspace=workspace, run=run, kind="gamma_gamma",
                            params={"p": 6.25, "q": 3.74, "v": 15.45}, loglik=-4000.1, n=946)
    ModelFit.objects.create(workspace=workspace, run=run, kind="markov", n=120,
                            params={"removal_effects": {"email": 0.61, "paid_search": 0.42,
                                                        "seo": 0.18}},
                            details={"states": ["(start)", "email", "paid_search", "seo",
                                                "(conversion)", "(null)"], "conversions": 40,
                                     "matrix": [[0, .5, .3, .2, 0, 0], [0, .1, .2, 0, .4, .3],
                                                [0, .2, 0, .1, .3, .4], [0, .1, .1, 0, .2, .6],
                                                [0] * 6, [0] * 6]})
    return workspace


@pytest.mark.parametrize("locale,width", [("en", 1280), ("en", 390), ("ar", 1280),
                                          ("ar", 390)])
def test_revenue_screens(new_page, login, live_server, owner, subscribed, screens_dir, locale,
                         width):
    ws = subscribed
    today = workspace_today(ws)
    page = new_page(width, 900, locale=locale)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{ws.slug}/?period=month&month={today:%Y-%m}")
    page.locator("#mrr .chart[data-fig=fig-mrr] svg.main-svg").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("#mrr").screenshot(path=str(screens_dir / f"revenue-mrr-{locale}-{width}.png"))
    # the breakdown per plan and segment and the cohort table are there, inside the page
    assert page.locator("#mrr-breakdown tbody tr").count() >= 4
    assert page.locator("#mrr-cohorts tbody tr").count() >= 1
    # the segment form offers the prediction ranges
    page.goto(f"{live_server.url}/w/{ws.slug}/segments/new/")
    assert page.locator("input[name=p_alive__lt]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / f"segment-form-{locale}-{width}.png"),
                    full_page=True)
    page.goto(f"{live_server.url}/w/{ws.slug}/?period=month&month={today:%Y-%m}")
    page.locator("#mrr .chart[data-fig=fig-mrr] svg.main-svg").first.wait_for()
    # drill down from the table: the first movement link
    page.locator("#mrr table a").first.click()
    page.wait_for_load_state()
    assert "/revenue/movements/" in page.url
    assert page.locator("table tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / f"revenue-drill-{locale}-{width}.png"),
                    full_page=True)
    page.goto(f"{live_server.url}/w/{ws.slug}/models/")
    assert "0.2430" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / f"models-{locale}-{width}.png"), full_page=True)
