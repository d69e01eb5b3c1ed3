"""Difference in differences (issue 13): hand-computed estimate and interval, through the
maths, the API and the page; bad input answers field errors."""

from __future__ import annotations

import math
from datetime import datetime, timezone as dt_tz
from decimal import Decimal

import pytest
from django.urls import reverse
from scipy import stats

from automation.did import did_estimate
from crm.models import Contact, Order

# treated (SA) revenue per day: before 10, 12, 14; after 20, 22, 30
# control (AE):                 before  5,  6,  7; after  8,  9, 10
# d before = 5, 6, 7 (mean 6, variance 1); d after = 12, 13, 20 (mean 15, variance 19)
# effect = 15 − 6 = 9; SE = √(19/3 + 1/3) = √(20/3); Welch df = (20/3)² / ((19/3)²/2 +
# (1/3)²/2) = 800/362; counterfactual = 24 − 9 = 15 → relative 9/15 = 0.6
SE = math.sqrt(20 / 3)
DF = 800 / 362
T = float(stats.t.ppf(0.975, DF))


def test_estimate_by_hand():
    e = did_estimate([10, 12, 14], [5, 6, 7], [20, 22, 30], [8, 9, 10])
    assert e["effect"] == pytest.approx(9)
    assert e["se"] == pytest.approx(SE) and e["df"] == pytest.approx(DF)
    assert (e["low"], e["high"]) == (pytest.approx(9 - T * SE), pytest.approx(9 + T * SE))
    assert e["relative"] == pytest.approx(0.6)
    assert e["treated_after"] == pytest.approx(24) and e["control_before"] == pytest.approx(6)
    assert e["significant"] is False  # 9 − 4.0 × 2.58 < 0: three days each are too few
    assert did_estimate([1], [1], [2, 3], [1, 1]) is None


@pytest.fixture
def geo(workspace):
    people = {cc: Contact.objects.create(workspace=workspace, country=cc, email=f"{cc}@x.test")
              for cc in ("SA", "AE", "EG")}
    per_day = {"SA": [10, 12, 14, 20, 22, 30], "AE": [5, 6, 7, 8, 9, 10],
               "EG": [100] * 6}
    for cc, amounts in per_day.items():
        for i, amount in enumerate(amounts):
            Order.objects.create(workspace=workspace, contact=people[cc],
                                 amount=Decimal(amount), currency="USD",
                                 occurred_at=datetime(2026, 1, 1 + i, 12, tzinfo=dt_tz.utc))
    # a refund is not revenue
    Order.objects.create(workspace=workspace, contact=people["SA"], amount=Decimal(50),
                         kind="refund", currency="USD",
                         occurred_at=datetime(2026, 1, 5, 12, tzinfo=dt_tz.utc))
    return people


QUERY = {"metric": "revenue", "group_by": "country", "treated": "sa", "control": "AE",
         "before_start": "2026-01-01", "before_end": "2026-01-03",
         "after_start": "2026-01-04", "after_end": "2026-01-06"}


@pytest.mark.django_db
def test_api_answers_the_hand_computed_effect(api, outsider_api, geo):
    r = api.get("/api/v1/difference-in-differences/", QUERY)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["estimate"]["effect"] == pytest.approx(9)
    assert body["estimate"]["low"] == pytest.approx(9 - T * SE)
    assert body["series"]["treated_after"] == [20.0, 22.0, 30.0]
    # the outsider's workspace has no such orders: an empty (zero) analysis, nothing leaked
    other = outsider_api.get("/api/v1/difference-in-differences/", QUERY).json()
    assert other["series"]["treated_before"] == [0.0, 0.0, 0.0]
    bad = api.get("/api/v1/difference-in-differences/", {
        **QUERY, "control": "SA", "after_start": "2026-01-02", "metric": "x"})
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert {"metric", "control", "after_start"} <= set(fields)


@pytest.mark.django_db
def test_page_shows_the_effect_and_interval(owner_client, workspace, geo):
    url = reverse("did_analysis", args=[workspace.slug])
    assert owner_client.get(url).status_code == 200
    html = owner_client.get(url, QUERY).content.decode()
    assert "9.00" in html and f"{9 - T * SE:.2f}" in html and f"{9 + T * SE:.2f}" in html
    assert "Not distinguishable from zero" in html
    html = owner_client.get(url, {**QUERY, "before_end": "2026-01-01"}).content.decode()
    assert "A period needs at least two days." in html
