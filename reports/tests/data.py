"""A month of numbers worked out by hand (see conftest.py), shared with the browser tests."""

from __future__ import annotations

from datetime import timedelta

from crm.models import Channel
from engines.models import KPI, MetricValue


def month_of_numbers(ws, month):
    """The month described in conftest.py's docstring, stored as MetricValues, with KPIs."""
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


def weeks_of_numbers(ws, today, weeks: int = 8):
    """Weekly new customers and leads for the trend on the weekly review (3, 4, … and 30, 32,
    …), ending with the last complete week."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)
    MetricValue.objects.bulk_create(
        [MetricValue(workspace=ws, key="new_customers", grain="week",
                     period=start + timedelta(weeks=i), value=3 + i) for i in range(weeks)]
        + [MetricValue(workspace=ws, key="leads", grain="week",
                       period=start + timedelta(weeks=i), value=30 + 2 * i)
           for i in range(weeks)])
