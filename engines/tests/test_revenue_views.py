"""The MRR section of the dashboard, the drill-down to the subscriptions behind a movement (and
its CSV, formula cells escaped), and the Models page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Contact, Subscription
from engines.metrics import pipeline
from engines.models import MetricRun, ModelFit
from mos.periods import workspace_today


@pytest.fixture
def subscribed(workspace):
    today = workspace_today(workspace)
    this_month = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    earlier = this_month - timedelta(days=45)
    a = Contact.objects.create(workspace=workspace, name="=HYPERLINK(\"x\")", email="a@x.test")
    b = Contact.objects.create(workspace=workspace, name="Basma", email="b@x.test")
    Subscription.objects.create(workspace=workspace, contact=a, plan="pro", mrr=Decimal("90"),
                                started_at=earlier, ended_at=this_month + timedelta(hours=1),
                                status="ended", external_id="sub_a")
    Subscription.objects.create(workspace=workspace, contact=b, plan="basic", mrr=Decimal("30"),
                                started_at=earlier, external_id="sub_b")
    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    assert pipeline.compute_workspace(run, as_of=today).status == "succeeded"
    return workspace, today


def test_dashboard_shows_mrr_movements_with_drill_down_links(owner_client, subscribed):
    ws, today = subscribed
    html = owner_client.get(reverse("workspace_home", kwargs={"slug": ws.slug}),
                            {"period": "month", "month": f"{today:%Y-%m}"}).content.decode()
    assert "Recurring revenue (MRR)" in html and 'data-fig="fig-mrr"' in html
    assert f"?month={today:%Y-%m}&amp;kind=churn" in html


def test_dashboard_has_no_mrr_section_without_subscriptions(owner_client, workspace):
    html = owner_client.get(reverse("workspace_home", kwargs={"slug": workspace.slug})
                            ).content.decode()
    assert "Recurring revenue (MRR)" not in html


def test_drill_down_lists_the_churned_customer_and_exports_csv(owner_client, subscribed):
    ws, today = subscribed
    url = reverse("mrr_movements", kwargs={"slug": ws.slug})
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "a@x.test" not in html and "HYPERLINK" in html and "Basma" not in html
    assert "1 customer, USD\u00a090.00 of MRR." in html  # the workspace currency
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn", "format": "csv"})
    assert r["Content-Type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith('"\'=HYPERLINK')  # a formula cell is escaped
    assert ",a@x.test," in lines[1] and ",sub_a,pro,90.0," in lines[1]
    assert owner_client.get(url, {"month": "2026-13", "kind": "churn"}).status_code == 404
    assert owner_client.get(url, {"month": "2026-01", "kind": "boom"}).status_code == 404


def test_models_page_shows_the_fitted_parameters(owner_client, workspace):
    run = MetricRun.objects.create(workspace=workspace, trigger="manual", status="succeeded",
                                   window_end=timezone.now().date())
    ModelFit.objects.create(workspace=workspace, run=run, kind="bgnbd",
                            params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
                            loglik=-9582.43, n=2357, holdout_days=90, holdout_predicted=120.0,
                            holdout_actual=100.0, details={"calibration_end": "1997-07-02"})
    ModelFit.objects.create(workspace=workspace, run=run, kind="markov", n=10,
                            params={"removal_effects": {"email": 0.6, "seo": 0.2}},
                            details={"states": ["(start)", "email", "seo", "(conversion)",
                                                "(null)"], "conversions": 8,
                                     "matrix": [[0, 0.5, 0.5, 0, 0]] + [[0] * 5] * 4})
    html = owner_client.get(reverse("models", kwargs={"slug": workspace.slug})).content.decode()
    for text in ("0.2430", "4.4140", "-9582.4", "2,357", "+20.0 %", "60.0 %", "6.0"):
        assert text in html, text


def test_dashboard_breaks_mrr_down_by_plan_segment_and_cohort(owner_client, subscribed):
    from crm.models import Segment

    ws, today = subscribed
    Contact.objects.filter(workspace=ws, email="b@x.test").update(country="SA")
    Segment.objects.create(workspace=ws, name="Saudi customers", filters={"country": ["SA"]})
    run = MetricRun.objects.create(workspace=ws, trigger="manual")
    assert pipeline.compute_workspace(run, as_of=today).status == "succeeded"
    r = owner_client.get(reverse("workspace_home", kwargs={"slug": ws.slug}),
                         {"period": "month", "month": f"{today:%Y-%m}"})
    rows = {row["name"]: row["values"] for row in r.context["mrr"]["breakdown"]}
    # MRR, new, expansion, reactivation, contraction, churn, GRR, NRR of this month:
    # pro (90) churned; basic (30) and the segment (Basma, 30) kept everything
    assert rows["pro"][5] == 90 and rows["pro"][6] == 0 and rows["pro"][7] == 0
    assert rows["basic"][0] == 30 and rows["basic"][7] == 1
    assert rows["Saudi customers"][0] == 30 and rows["Saudi customers"][6] == 1
    html = r.content.decode()
    assert "Segment: <bdi>Saudi customers</bdi>" in html and 'id="mrr-cohorts"' in html
    # one cohort (both first paid 45 days ago): 120 at its first month's end
    (cohort, cells), = r.context["mrr"]["cohorts"]["rows"]
    assert cells[0] == (1.0, 1.0)
    # this month (month 1 or 2 since): Basma's 30 of 120 left
    assert any(c == (0.25, 0.25) for c in cells[1:3])


def test_api_gives_movements_per_plan_and_cohort_retention(api, subscribed):
    ws, today = subscribed
    month = f"{today:%Y-%m}-01"
    r = api.get("/api/v1/metrics/", {"key": "mrr_churn", "dimension": "plan", "from": month})
    assert r.status_code == 200, r.content
    got = {v["dimension_value"]: v["value"] for v in r.json()["results"]}
    assert got == {"pro": 90.0, "basic": 0.0}
    r = api.get("/api/v1/metrics/", {"key": "nrr_cohort", "dimension": "age",
                                     "dimension_value": "0"})
    assert [v["value"] for v in r.json()["results"]] == [1.0]


def test_breakdown_drills_down_per_plan_and_segment(owner_client, subscribed):
    from crm.models import Segment

    ws, today = subscribed
    seg = Segment.objects.create(workspace=ws, name="Basma only", filters={"country": ["SA"]})
    Contact.objects.filter(workspace=ws, email="b@x.test").update(country="SA")
    run = MetricRun.objects.create(workspace=ws, trigger="manual")
    assert pipeline.compute_workspace(run, as_of=today).status == "succeeded"
    html = owner_client.get(reverse("workspace_home", kwargs={"slug": ws.slug}),
                            {"period": "month", "month": f"{today:%Y-%m}"}).content.decode()
    assert f"?month={today:%Y-%m}&amp;kind=churn&amp;plan=pro" in html
    url = reverse("mrr_movements", kwargs={"slug": ws.slug})
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn", "plan": "pro"})
    assert "1 customer, USD\u00a090.00 of MRR." in r.content.decode()
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn", "plan": "basic"})
    assert "0 customers" in r.content.decode()
    # the segment holds Basma, who did not churn; an unknown segment is a 404
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn",
                               "segment": str(seg.code)})
    assert "0 customers" in r.content.decode() and "Basma only" in r.content.decode()
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn",
                               "segment": "not-a-code"})
    assert r.status_code == 404
    r = owner_client.get(url, {"month": f"{today:%Y-%m}", "kind": "churn", "plan": "pro",
                               "format": "csv"})
    assert len(r.content.decode("utf-8-sig").splitlines()) == 2  # header + the churned row
