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
