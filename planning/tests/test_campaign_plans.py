"""Campaign plans: a plan per campaign, its report after the fact from MOS's data (spend vs
budget, leads, customers, revenue, ROI, CAC) and the after-action review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Campaign, Channel, Contact, Order, Segment, Spend
from planning.content.models import CampaignPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(workspace):
    ch = Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads",
                                is_paid=True)
    return Campaign.objects.create(workspace=workspace, channel=ch, name="Summer promo",
                                   budget=Decimal("2000"), goal="50 customers")


def test_plan_report_and_review(owner_client, workspace, campaign):
    seg = Segment.objects.create(workspace=workspace, name="Riyadh SMBs", filters={})
    r = owner_client.post(f"/w/{workspace.slug}/campaign-plans/new/", {
        "campaign": campaign.pk, "market": "Riyadh", "segment": seg.pk,
        "target_leads": "10", "target_customers": "4", "target_revenue": "3000"})
    assert r.status_code == 302
    plan = CampaignPlan.objects.get(campaign=campaign)
    # spend 1500 of 2000 (75 %); 2 customers from it, 1200 + 600 revenue → ROI 0.2, CAC 750
    Spend.objects.create(workspace=workspace, channel=campaign.channel, campaign=campaign,
                         date=dt.date(2026, 6, 1), amount=1500)
    for amount in (1200, 600):
        c = Contact.objects.create(workspace=workspace, source_campaign=campaign,
                                   stage="customer")
        Order.objects.create(workspace=workspace, contact=c, amount=amount, currency="USD",
                             occurred_at=timezone.now())
    page = owner_client.get(f"/w/{workspace.slug}/campaign-plans/{plan.code}/")
    report = page.context["report"]
    assert report["budget_used"] == pytest.approx(0.75)
    assert report["customers"] == 2 and report["revenue"] == Decimal("1800")
    assert report["roi"] == pytest.approx(0.2) and report["cac"] == pytest.approx(750)
    rows = {row["key"]: row for row in report["rows"]}
    assert rows["customers"]["share"] == pytest.approx(0.5)  # 2 of the 4 planned
    assert rows["revenue"]["share"] == pytest.approx(0.6)  # 1800 of 3000
    r = owner_client.post(f"/w/{workspace.slug}/campaign-plans/{plan.code}/", {
        "expected": "4 customers at CAC 500", "happened": "2 customers at CAC 750",
        "why": "Landing page slow on mobile", "next_steps": "Fix the page, rerun in Q3"})
    assert r.status_code == 302
    plan.refresh_from_db()
    assert plan.why == "Landing page slow on mobile" and plan.reviewed_at is not None


def test_one_plan_per_campaign_and_viewer_reads_only(owner_actor, client_for, add_member,
                                                     workspace, campaign):
    from django.core.exceptions import ValidationError

    from planning.content import services

    plan = services.campaign_plan_create(actor=owner_actor, campaign=campaign, market="KSA")
    with pytest.raises(ValidationError):
        services.campaign_plan_create(actor=owner_actor, campaign=campaign, market="UAE")
    viewer = client_for(add_member("viewer"))
    url = f"/w/{workspace.slug}/campaign-plans/{plan.code}/"
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, {"why": "x"}).status_code == 403


def test_api_plan_carries_its_results(api, workspace, campaign):
    r = api.post("/api/v1/campaign-plans/", {"campaign": str(campaign.code), "market": "Jeddah",
                                             "target_leads": 20}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["results"]["spend"] == "0.000" and r.json()["results"]["roi"] is None
    r = api.post("/api/v1/campaign-plans/", {"campaign": str(campaign.code)}, format="json")
    assert r.status_code == 400 and "campaign" in r.json()["error"]["fields"]
