"""A month of numbers worked out by hand, for the report tests.

Channels (first-touch attribution, the workspace default):
  google_ads: spend 1,000, 4 customers → CAC 250; revenue 800 → ROAS 0.8
  seo:        spend 500, 10 customers → CAC 50; revenue 2,000 → ROAS 4.0
  email:      no spend (skipped by the Stop/Continue rules)
KPIs (month):
  North Star new_customers: 14 vs target 20 → 70 % (a problem)
  leads: 150 vs 100 → 150 % (a win)
  blended CAC (down): 107.14 vs 200 → 200/107.14 = 186.7 % (the best win)
  churn (down): 0.08 vs 0.03, guardrail max 0.05 → breach (the first problem)
The workspace CAC target (200) is each channel's target: google_ads misses it (250 > 200)
and has ROAS < 1 → Stop; seo beats it (50 ≤ 200) with ROAS 4 → Continue."""

from __future__ import annotations

import pytest

from engines.models import KPI, Channel, MetricValue
from reports.selectors import last_closed_month


@pytest.fixture
def month():
    return last_closed_month()


@pytest.fixture
def month_data(workspace, month):
    ws = workspace
    google = Channel.objects.create(workspace=ws, key="google_ads", name="Google Ads",
                                    is_paid=True)
    Channel.objects.create(workspace=ws, key="seo", name="SEO")
    Channel.objects.create(workspace=ws, key="email", name="E-mail")
    rows = {
        ("spend", "channel", "google_ads"): 1000, ("spend", "channel", "seo"): 500,
        ("leads", "channel", "google_ads"): 60, ("leads", "channel", "seo"): 90,
        ("attributed_conversions.first_touch", "channel", "google_ads"): 4,
        ("attributed_conversions.first_touch", "channel", "seo"): 10,
        ("attributed_revenue.first_touch", "channel", "google_ads"): 800,
        ("attributed_revenue.first_touch", "channel", "seo"): 2000,
        ("leads", "channel", "email"): 5,
        ("new_customers", "", ""): 14, ("leads", "", ""): 150, ("spend", "", ""): 1500,
        ("cac", "", ""): 107.14, ("churn", "", ""): 0.08,
        ("funnel_entries", "stage", "lead"): 150, ("funnel_conversion", "stage", "lead"): 0.2,
    }
    MetricValue.objects.bulk_create([
        MetricValue(workspace=ws, key=k, grain="month", period=month, dimension=d,
                    dimension_value=dv, value=v) for (k, d, dv), v in rows.items()])
    KPI.objects.create(workspace=ws, name="New paying customers", metric_key="new_customers",
                       is_north_star=True, target=20, position=0)
    KPI.objects.create(workspace=ws, name="New leads", metric_key="leads", target=100,
                       position=1)
    KPI.objects.create(workspace=ws, name="Blended CAC", metric_key="cac", direction="down",
                       target=200, position=2)
    KPI.objects.create(workspace=ws, name="Monthly churn", metric_key="churn",
                       direction="down", target=0.03, guardrail_max=0.05, position=3)
    return {"google": google}
