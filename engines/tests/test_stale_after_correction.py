"""Issue 8 §2: after an order, event or spend row is corrected or deleted, the dashboard says the
metrics are stale until the next run."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Channel, Spend

NOW = timezone.now()


@pytest.fixture
def spend(workspace):
    ch = Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")
    return Spend.objects.create(workspace=workspace, channel=ch, date=date(2026, 1, 5),
                                amount=Decimal("100.00"))


@pytest.mark.django_db
def test_dashboard_says_metrics_are_stale_after_a_correction(owner_client, workspace, api,
                                                             spend):
    from engines.models import MetricRun

    MetricRun.objects.create(workspace=workspace, trigger="manual", status="succeeded",
                             started_at=NOW - timedelta(minutes=5), finished_at=NOW - timedelta(
                                 minutes=4))
    home = reverse("workspace_home", args=[workspace.slug])
    assert "corrected since" not in owner_client.get(home).content.decode()
    api.patch(f"/api/v1/spend/{spend.code}/", {"amount": "1"}, format="json")
    assert "corrected since" in owner_client.get(home).content.decode()


YESTERDAY = (timezone.now() - timedelta(days=1)).date()


@pytest.mark.parametrize("thing, rows", [
    ("contacts", [{"external_id": "u-9", "name": "Nadia", "stage": "lead"}]),
    ("events", [{"contact": "u-1", "name": "page_view",
                 "occurred_at": f"{YESTERDAY}T10:00:00Z"}]),
    ("orders", [{"contact": "u-1", "amount": "5.00", "external_id": "o-1",
                 "occurred_at": f"{YESTERDAY}T10:00:00Z"}]),
    ("spend", [{"date": str(YESTERDAY), "channel": "google_ads", "amount": "3.00"}]),
    # a logged call feeds call handling time
    ("activities", [{"kind": "call", "contact": "u-1", "call_outcome": "connected",
                     "duration_seconds": 240, "at": f"{YESTERDAY}T10:00:00Z"}]),
])
@pytest.mark.django_db
def test_dashboard_says_metrics_are_stale_after_a_bulk_api_write(owner_client, workspace, api,
                                                                 spend, thing, rows):
    """Issue 12: rows sent to a bulk endpoint after the last run make the numbers stale,
    as imports and corrections do; a refused batch (no row stored) does not."""
    from crm.models import Contact
    from engines.models import MetricRun

    Contact.objects.create(workspace=workspace, external_id="u-1", name="Known")
    MetricRun.objects.create(workspace=workspace, trigger="manual", status="succeeded",
                             started_at=NOW - timedelta(minutes=5),
                             finished_at=NOW - timedelta(minutes=4))
    home = reverse("workspace_home", args=[workspace.slug])
    said = "new data arrived through the API"
    assert said not in owner_client.get(home).content.decode()
    bad = api.post(f"/api/v1/{thing}/bulk", {"rows": [{"nonsense": 1}]}, format="json")
    assert bad.status_code == 200 and bad.json()["results"][0]["status"] == "rejected"
    assert said not in owner_client.get(home).content.decode()
    r = api.post(f"/api/v1/{thing}/bulk", {"rows": rows}, format="json")
    assert r.json()["results"][0]["status"] in ("created", "updated"), r.json()
    page = owner_client.get(home).content.decode()
    assert said in page and "Recompute now" in page
