"""Plans (plan14): SOSTAC versions, quarterly bets, template checklists, budget splits,
the cycle and the rhythm — through the services, the pages and the API, with numbers worked
out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.models import Channel
from engines.models import KPI, MetricValue
from planning import services_plans as svc
from planning.cycle import find_leak
from planning.models import BudgetPlan, PlanVersion, QuarterlyBet, SostacPlan
from planning.rhythm import meeting_calendar
from planning.selectors_plans import score_bet

pytestmark = pytest.mark.django_db


def _mv(ws, key, period, value, dimension="", dv=""):
    MetricValue.objects.create(workspace=ws, key=key, grain="month", period=period,
                               dimension=dimension, dimension_value=dv, value=value)


# --- SOSTAC ---------------------------------------------------------------------------------

def test_a_new_plan_starts_from_the_numbers_and_a_published_version_does_not_change(
        workspace, owner_actor, owner_client):
    from planning.selectors_plans import last_closed_month

    month = last_closed_month(workspace)
    _mv(workspace, "revenue", month, 12000)
    _mv(workspace, "new_customers", month, 30)
    plan = svc.plan_create(actor=owner_actor, title="Plan 2027", starts=dt.date(2027, 1, 1),
                           ends=dt.date(2027, 12, 31), positioning="First words")
    assert "30 new customers" in plan.situation
    v1 = svc.plan_publish(actor=owner_actor, plan=plan, note="agreed")
    svc.plan_update(actor=owner_actor, plan=plan, positioning="Second words")
    _mv(workspace, "revenue", dt.date(2001, 1, 1), 1)  # later numbers do not reach v1
    v1.refresh_from_db()
    assert v1.number == 1 and v1.snapshot["positioning"] == "First words"
    page = owner_client.get(reverse("planning_plan_version",
                                    args=[workspace.slug, plan.code, 1])).content.decode()
    assert "First words" in page and "Second words" not in page
    assert "$12,000" in page or "12,000" in page
    live = owner_client.get(reverse("planning_plan", args=[workspace.slug, plan.code]))
    assert "Second words" in live.content.decode()
    v2 = svc.plan_publish(actor=owner_actor, plan=plan)
    assert v2.number == 2 and PlanVersion.objects.filter(plan=plan).count() == 2


def test_plan_form_refuses_an_end_before_the_start(workspace, owner_client):
    resp = owner_client.post(reverse("planning_sostac", args=[workspace.slug]),
                             {"title": "Backwards", "starts": "2027-05-01",
                              "ends": "2027-01-01"})
    assert resp.status_code == 200
    assert "cannot end before it starts" in resp.content.decode()
    assert not SostacPlan.objects.filter(workspace=workspace).exists()


def test_sections_save_the_8p_mix_and_the_diagnostic_answers(workspace, owner_actor,
                                                             owner_client):
    plan = svc.plan_create(actor=owner_actor, title="P", starts=dt.date(2027, 1, 1),
                           ends=dt.date(2027, 3, 31))
    base = reverse("planning_plan", args=[workspace.slug, plan.code])
    owner_client.post(f"{base}sections/strategy/", {"positioning": "Clear",
                                                     "mix_people": "Named manager"})
    owner_client.post(f"{base}sections/situation/", {"situation": "s",
                                                      "diag_budget": "By habit"})
    plan.refresh_from_db()
    assert plan.service_mix == {"people": "Named manager"}
    assert plan.diagnostics == {"budget": "By habit"}
    with pytest.raises(ValidationError):
        svc.plan_update(actor=owner_actor, plan=plan, service_mix={"colour": "red"})


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_plan_prints_to_pdf_in_both_languages(workspace, owner_actor, owner_client, lang):
    plan = svc.plan_create(actor=owner_actor, title="خطة / Plan", starts=dt.date(2027, 1, 1),
                           ends=dt.date(2027, 3, 31))
    svc.plan_publish(actor=owner_actor, plan=plan)
    owner_client.cookies["django_language"] = lang
    resp = owner_client.get(reverse("planning_plan_pdf", args=[workspace.slug, plan.code, 1]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    assert f"-{lang}.pdf" in resp["Content-Disposition"]
    html = owner_client.get(reverse("planning_plan", args=[workspace.slug, plan.code])
                            + "?print=1").content.decode()
    assert (lang == "ar") == ('dir="rtl"' in html)


def test_plan_api_creates_publishes_and_lists_versions(workspace, api):
    r = api.post("/api/v1/plans/", {"title": "API plan", "starts": "2027-01-01",
                                   "ends": "2027-06-30", "service_mix": {"price": "3 plans"}},
                 format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    bad = api.post("/api/v1/plans/", {"title": "x", "starts": "2027-02-01",
                                     "ends": "2027-01-01"}, format="json")
    assert bad.status_code == 400 and "ends" in bad.json()["error"]["fields"]
    r = api.post(f"/api/v1/plans/{code}/publish/", {"note": "v1"}, format="json")
    assert r.status_code == 201 and r.json()["number"] == 1
    assert r.json()["snapshot"]["service_mix"] == {"price": "3 plans"}
    listed = api.get(f"/api/v1/plan-versions/?plan={code}").json()
    assert [v["number"] for v in listed["results"]] == [1]


# --- quarterly bets -------------------------------------------------------------------------

def test_a_sixth_bet_needs_confirmation(workspace, owner_actor, api):
    q = dt.date(2027, 1, 1)
    for i in range(5):
        svc.bet_create(actor=owner_actor, quarter=q, title=f"Bet {i}")
    with pytest.raises(ValidationError) as e:
        svc.bet_create(actor=owner_actor, quarter=q, title="Sixth")
    assert "confirm_extra" in e.value.message_dict
    r = api.post("/api/v1/bets/", {"quarter": "2027-Q1", "title": "Sixth"}, format="json")
    assert r.status_code == 400 and "confirm_extra" in r.json()["error"]["fields"]
    r = api.post("/api/v1/bets/", {"quarter": "2027-Q1", "title": "Sixth",
                                  "confirm_extra": True}, format="json")
    assert r.status_code == 201
    assert QuarterlyBet.objects.filter(workspace=workspace, quarter=q).count() == 6
    assert api.post("/api/v1/bets/", {"quarter": "2027-Q5", "title": "x"},
                    format="json").status_code == 400


def test_score_bet_by_hand():
    assert score_bet(36, 30, 36) == "hit"
    assert score_bet(36, 30, 42) == "partial"  # (36-30)/(42-30) = 0.5
    assert score_bet(33, 30, 42) == "miss"  # 0.25
    assert score_bet(80, 100, 90) == "hit"  # a KPI that should fall: progress (80-100)/(90-100)=2
    assert score_bet(95, None, 90, "down") == "miss"
    assert score_bet(None, 30, 40) == "no_data"


def test_bets_are_scored_at_the_quarters_end_against_the_north_star(workspace, owner_actor,
                                                                     owner_client):
    ns = KPI.objects.create(workspace=workspace, name="New customers",
                            metric_key="new_customers", is_north_star=True, target=10)
    q = dt.date(2025, 1, 1)
    for month, v in ((1, 10), (2, 12), (3, 14)):  # the quarter: 36
        _mv(workspace, "new_customers", dt.date(2025, month, 1), v)
    hit = svc.bet_create(actor=owner_actor, quarter=q, title="Hit", baseline=30, expected=36)
    part = svc.bet_create(actor=owner_actor, quarter=q, title="Part", baseline=30, expected=42)
    assert hit.kpi == ns
    resp = owner_client.post(reverse("planning_bet_score", args=[workspace.slug, hit.code]))
    assert resp.status_code == 302
    hit.refresh_from_db()
    assert (hit.actual, hit.score) == (36, "hit")
    assert svc.bet_score(actor=owner_actor, bet=part).score == "partial"
    future = svc.bet_create(actor=owner_actor, quarter=dt.date(2099, 1, 1), title="Later")
    with pytest.raises(ValidationError):
        svc.bet_score(actor=owner_actor, bet=future)
    page = owner_client.get(reverse("planning_bets", args=[workspace.slug]) + "?quarter=2025-Q1")
    assert "Hit" in page.content.decode() and "Partly" in page.content.decode()
    odd = owner_client.get(reverse("planning_bets", args=[workspace.slug]) + "?quarter=2025-Q9")
    assert odd.status_code == 200 and "Quarter must look like" in odd.content.decode()


# --- checklists -----------------------------------------------------------------------------

def test_30_60_90_items_get_due_dates_from_the_start_and_progress(workspace, owner_actor,
                                                                  owner, api):
    cl = svc.checklist_start(actor=owner_actor, template="30_60_90",
                             starts=dt.date(2026, 1, 1), owner=owner)
    items = {i.item_key: i for i in cl.items.all()}
    assert len(items) == 9
    assert items["nsm"].due == dt.date(2026, 1, 11)
    assert items["document"].due == dt.date(2026, 4, 1)  # 1 January + 90 days
    assert all(i.owner == owner for i in items.values())
    r = api.patch(f"/api/v1/checklist-items/{items['nsm'].code}/", {"done": True},
                  format="json")
    assert r.status_code == 200 and r.json()["done"] is True
    got = api.get(f"/api/v1/checklists/{cl.code}/").json()
    assert got["progress"] == round(1 / 9, 4)
    r = api.post("/api/v1/checklists/", {"template": "mvp14", "starts": "2026-02-01"},
                 format="json")
    assert r.status_code == 201 and len(r.json()["items"]) == 7
    assert api.post("/api/v1/checklists/", {"template": "nope", "starts": "2026-02-01"},
                    format="json").status_code == 400


def test_checklist_phases_are_headed_in_words(workspace, owner_actor, owner, owner_client):
    """A phase range is written "Days 0 to 30" (Arabic: "from 0 to 30"), not "0-30", which
    a right-to-left page would show with its numbers swapped."""
    from django.utils import translation

    from planning.templatetags.planning_tags import phase_heading

    cl = svc.checklist_start(actor=owner_actor, template="30_60_90",
                             starts=dt.date(2026, 1, 1), owner=owner)
    page = owner_client.get(reverse("planning_checklist", args=[workspace.slug, cl.code]))
    text = page.content.decode()
    assert all(f"Days {a} to {b}" in text for a, b in (("0", "30"), ("31", "60"), ("61", "90")))
    with translation.override("ar"):
        assert phase_heading("31-60") == "الأيام من 31 إلى 60"


# --- budget ---------------------------------------------------------------------------------

@pytest.fixture
def two_channels(workspace):
    """October 2026: A spends 1,000 for 10 customers (CAC 100), B 1,000 for 2 (CAC 500);
    LTV 600 → LTV:CAC 6 (A: +20 % wanted, 200) and 1.2 (B: −10 %, frees 100). Raises are
    scaled by 100/200: A 1,100, B 900."""
    workspace.business = "subscription"
    workspace.attribution_model = "first_touch"
    workspace.save()
    for key in ("a", "b"):
        Channel.objects.create(workspace=workspace, key=key, name=key.upper())
    basis = dt.date(2026, 10, 1)
    _mv(workspace, "spend", basis, 1000, "channel", "a")
    _mv(workspace, "spend", basis, 1000, "channel", "b")
    _mv(workspace, "attributed_conversions.first_touch", basis, 10, "channel", "a")
    _mv(workspace, "attributed_conversions.first_touch", basis, 2, "channel", "b")
    _mv(workspace, "ltv_subscription", basis, 600)
    return basis


def test_budget_proposal_from_the_channels_numbers(workspace, owner_actor, two_channels):
    plan = svc.budget_propose(actor=owner_actor, month=dt.date(2026, 11, 1))
    lines = {line["channel"]: line for line in plan.proposal}
    assert lines["a"]["proposed"] == 1100 and lines["a"]["ratio"] == 6
    assert lines["b"]["proposed"] == 900 and lines["b"]["rule"] == "cut"
    assert float(plan.total) == 2000
    with pytest.raises(ValidationError):
        svc.budget_propose(actor=owner_actor, month=dt.date(2026, 11, 1), max_step=0.5)


def test_budget_accept_with_edits_then_compare_what_happened(workspace, two_channels, api,
                                                             owner_client):
    r = api.post("/api/v1/budget-plans/", {"month": "2026-11"}, format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    bad = api.post(f"/api/v1/budget-plans/{code}/accept/", {"amounts": {"zz": 5}},
                   format="json")
    assert bad.status_code == 400 and "zz" in bad.json()["error"]["fields"]
    r = api.post(f"/api/v1/budget-plans/{code}/accept/", {"amounts": {"b": 950},
                                                         "note": "keep B steady"},
                 format="json")
    assert r.status_code == 200 and r.json()["accepted"] == {"a": 1100, "b": 950}
    assert api.post(f"/api/v1/budget-plans/{code}/accept/", {}, format="json").status_code == 400
    nov = dt.date(2026, 11, 1)
    _mv(workspace, "spend", nov, 1080, "channel", "a")
    _mv(workspace, "attributed_conversions.first_touch", nov, 12, "channel", "a")
    got = api.get(f"/api/v1/budget-plans/{code}/").json()
    a = next(o for o in got["outcome"] if o["name"] == "A")
    assert (a["proposed"], a["accepted"], a["spent"], a["cac_before"], a["cac_after"]) == (
        1100, 1100, 1080, 100, 90)
    page = owner_client.get(reverse("planning_budget_plan", args=[workspace.slug, code]))
    assert "LTV:CAC" in page.content.decode()
    assert BudgetPlan.objects.get(code=code).status == "accepted"


def test_budget_without_spend_says_so(workspace, owner_client):
    resp = owner_client.post(reverse("planning_budget", args=[workspace.slug]),
                             {"month": "2026-11", "max_step": "0.2", "floor_share": "5"})
    assert resp.status_code == 200
    assert "nothing to split" in resp.content.decode()
    resp = owner_client.post(reverse("planning_budget", args=[workspace.slug]),
                             {"month": "2026-13", "max_step": "0.2", "floor_share": "5"})
    assert "Month must look like" in resp.content.decode()


# --- cycle and rhythm -----------------------------------------------------------------------

def test_the_leak_is_the_steepest_fall_else_the_weakest_step():
    rates = {"interest": 0.02, "desire": 0.10, "action": 0.05, "after_purchase": 0.8}
    history = {"interest": 0.02, "desire": 0.20, "action": 0.06, "after_purchase": 0.8}
    assert find_leak(rates, history) == ("desire", "drop")  # −50 % against −16.7 %
    assert find_leak(rates, {}) == ("interest", "lowest")
    assert find_leak({}, {}) == (None, "")


def test_cycle_page_and_api_show_the_steps_and_the_leak(workspace, owner_client, api):
    m, before = dt.date(2026, 10, 1), dt.date(2026, 9, 1)
    for period, imp, clicks, leads, cust in ((before, 10000, 200, 40, 8),
                                             (m, 10000, 200, 20, 5)):
        for k, v in (("impressions", imp), ("clicks", clicks), ("leads", leads),
                     ("new_customers", cust)):
            _mv(workspace, k, period, v)
    # CTR 2 % both months; leads per click 20 % → 10 % (−50 %); customers per lead 20 % → 25 %
    r = api.get("/api/v1/planning/cycle/?month=2026-10").json()
    assert r["leak"] == "desire"
    desire = next(s for s in r["steps"] if s["sub"] == "desire")
    assert desire["pass_rate"] == pytest.approx(0.1) and desire["before"] == pytest.approx(0.2)
    nps = next(s for s in r["steps"] if s["step"] == "after_purchase")["metrics"]["nps"]
    assert nps is None
    page = owner_client.get(reverse("planning_cycle", args=[workspace.slug]) + "?month=2026-10")
    assert "The cycle leaks at Desire" in page.content.decode()
    assert api.get("/api/v1/planning/cycle/?month=bad").status_code == 400


def test_meeting_calendar_by_hand():
    cal = meeting_calendar(dt.date(2026, 12, 2), weeks=5)  # a Wednesday
    weekly = [e["date"] for e in cal if e["kind"] == "weekly"]
    assert weekly[:2] == [dt.date(2026, 12, 7), dt.date(2026, 12, 14)]
    assert [e["date"] for e in cal if e["kind"] == "monthly"] == [dt.date(2027, 1, 1)]
    assert [e["date"] for e in cal if e["kind"] == "quarterly"] == [dt.date(2027, 1, 1)]
    # 1 August 2026 is a Saturday: the month's meeting moves to Monday 3 August
    assert [e["date"] for e in meeting_calendar(dt.date(2026, 7, 20), weeks=3)
            if e["kind"] == "monthly"] == [dt.date(2026, 8, 3)]


def test_rhythm_lists_engine_owners(workspace, owner, owner_client, api):
    from engines.models import GrowthEngine

    GrowthEngine.objects.create(workspace=workspace, name="SEO engine", owner=owner)
    page = owner_client.get(reverse("planning_rhythm", args=[workspace.slug])).content.decode()
    assert "SEO engine" in page and owner.name in page
    r = api.get("/api/v1/planning/rhythm/").json()
    assert r["engines"][0]["owner"] == owner.email and r["meetings"]


def test_planning_hub_and_nav(workspace, owner_client):
    page = owner_client.get(reverse("planning", args=[workspace.slug])).content.decode()
    for name in ("planning_sostac", "planning_bets", "planning_checklists", "planning_budget",
                 "planning_rhythm", "planning_cycle"):
        assert reverse(name, args=[workspace.slug]) in page
