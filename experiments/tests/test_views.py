"""The screens a team uses: they render with real data, forms show errors, decisions are
refused on screen with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from crm.models import Contact, LeadFeedback
from engines import services as engine_services
from experiments import services
from experiments.models import Experiment, Insight

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(owner_actor):
    engine = engine_services.engine_create(actor=owner_actor, name="Trials",
                                           weekly_commitment="One onboarding fix a week")
    exp = services.experiment_create(
        actor=owner_actor, title="Shorter form", engine=engine, hypothesis_if="we cut fields",
        hypothesis_then="more sign-ups", primary_metric={"key": "signup", "kind": "proportion",
                                                         "event": "signup"},
        guardrail_metrics=[{"key": "revenue", "kind": "mean", "event": "order",
                            "direction": "up"}],
        baseline=0.1, mde=0.1, planned_end=dt.date.today() + dt.timedelta(days=20))
    services.experiment_transition(actor=owner_actor, experiment=exp, to="planned")
    services.experiment_transition(actor=owner_actor, experiment=exp, to="running")
    services.results_upsert(actor=owner_actor, experiment=exp, rows=[
        {"variant": "control", "metric": "signup", "date": "2026-03-05", "n": 1000, "sum": 100},
        {"variant": "treatment", "metric": "signup", "date": "2026-03-05", "n": 1000,
         "sum": 130},
        {"variant": "control", "metric": "signup", "date": "2026-03-06", "n": 500, "sum": 50},
        {"variant": "treatment", "metric": "signup", "date": "2026-03-06", "n": 500, "sum": 70},
        {"variant": "control", "metric": "revenue", "date": "2026-03-05", "n": 1000,
         "sum": 5000, "sum_sq": 90000},
        {"variant": "treatment", "metric": "revenue", "date": "2026-03-05", "n": 1000,
         "sum": 4000, "sum_sq": 70000}])
    exp.refresh_from_db()
    return exp


def test_every_screen_renders(owner_client, workspace, running):
    slug = workspace.slug
    urls = [reverse("engines", args=[slug]),
            reverse("engine_detail", args=[slug, running.engine.code]),
            reverse("engine_edit", args=[slug, running.engine.code]),
            reverse("insights", args=[slug]), reverse("experiments", args=[slug]),
            reverse("experiment_create", args=[slug]),
            reverse("experiment_detail", args=[slug, running.code]),
            reverse("experiment_edit", args=[slug, running.code]),
            reverse("learnings", args=[slug]),
            reverse("experiment_sample_size", args=[slug]) + "?baseline=0.1&mde=0.1"]
    for url in urls:
        r = owner_client.get(url)
        assert r.status_code == 200, url
    page = owner_client.get(reverse("experiment_detail", args=[slug, running.code])).content
    assert b"fig-cumulative" in page and b"+33.3 %" in page  # 200/1500 vs 150/1500
    assert b"Too early" in page
    plan = owner_client.get(urls[-1]).content.decode()
    assert "14751" in plan


def test_decision_refused_on_screen_with_the_reason(client_for, add_member, workspace, running):
    analyst = client_for(add_member("analyst"))
    url = reverse("experiment_decide", args=[workspace.slug, running.code])
    r = analyst.post(url, {"decision": "win", "reason": "looks good"})
    assert r.status_code == 400
    assert "Too early" in r.content.decode()
    running.refresh_from_db()
    assert running.decision == ""


def test_experiment_form_prefills_from_insight_and_shows_errors(owner_client, workspace,
                                                                 owner_actor):
    insight = services.insight_create(actor=owner_actor, source="interview",
                                      text="Prospects abandon the form at the phone field")
    url = reverse("experiment_create", args=[workspace.slug])
    r = owner_client.get(url + f"?insight={insight.code}")
    assert "Prospects abandon the form" in r.content.decode()
    r = owner_client.post(url, {"title": "X", "funnel_stage": "activation", "metric_key": "s",
                                "metric_kind": "proportion", "metric_event": "signup",
                                "alpha": 0.05, "power": 0.8, "impact": 5, "confidence": 5,
                                "ease": 5, "baseline": 3, "mde": 0.1,
                                "variants": "control | C | 60\nb | B | 60",
                                "insight": insight.code})
    assert r.status_code == 200
    assert "add up to 100" in r.content.decode() or "between 0 and 1" in r.content.decode()
    assert not Experiment.objects.exists()


def test_fifth_engine_asks_are_you_sure(owner_client, workspace, owner_actor):
    for name in "ABCD":
        engine_services.engine_create(actor=owner_actor, name=name)
    url = reverse("engine_create", args=[workspace.slug])
    r = owner_client.post(url, {"name": "E", "is_active": "on"})
    assert "Are you sure?" in r.content.decode() and "2–4 growth engines" in r.content.decode()
    r = owner_client.post(url, {"name": "E", "is_active": "on", "confirm_over_focus": "on"})
    assert r.status_code == 302


def test_lead_feedback_becomes_an_insight_in_one_click(owner_client, workspace):
    c = Contact.objects.create(workspace=workspace, email="l@x.test", name="Lead")
    fb = LeadFeedback.objects.create(workspace=workspace, contact=c, quality=2,
                                     outcome="rejected", reason="No budget this year")
    page = owner_client.get(reverse("insights", args=[workspace.slug])).content.decode()
    assert "No budget this year" in page
    url = reverse("insight_from_feedback", args=[workspace.slug, fb.code])
    owner_client.post(url)
    owner_client.post(url)  # a second click files nothing more
    insight = Insight.objects.get()
    assert insight.source == "lead_feedback" and "No budget this year" in insight.text
    assert list(insight.contacts.all()) == [c]


def test_engine_checkin_is_kept_as_history(owner_client, workspace, running):
    url = reverse("engine_detail", args=[workspace.slug, running.engine.code])
    for text in ("New pricing page", "Shorter trial e-mail"):
        owner_client.post(url, {"week": "2026-03-04", "what_changed": text,
                                "what_we_learned": "", "next_step": ""})
    page = owner_client.get(url).content.decode()
    assert page.index("Shorter trial e-mail") < page.index("New pricing page")
    assert "Week of" in page and "2 Mar 2026" in page  # stored as the week's Monday (day-first)


def test_experiment_page_is_cached_per_state_of_its_results(owner_client, workspace,
                                                            owner_actor, running,
                                                            ):
    url = reverse("experiment_detail", args=[workspace.slug, running.code])
    first = owner_client.get(url).content.decode()
    assert "+33.3 %" in first
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as cold:
        from django.core.cache import cache
        cache.clear()
        owner_client.get(url)
    with CaptureQueriesContext(connection) as warm:
        again = owner_client.get(url).content.decode()
    assert "+33.3 %" in again and "fig-cumulative" in again
    assert len(warm) < len(cold)  # the analysis and the chart come from the cache
    # a new day of results (a nightly run or a typed-in day) is a new state: recomputed
    services.results_upsert(actor=owner_actor, experiment=running, rows=[
        {"variant": "treatment", "metric": "signup", "date": "2026-03-07", "n": 500,
         "sum": 100}])
    page = owner_client.get(url).content.decode()
    assert "+33.3 %" not in page and "2000" in page.replace(",", "").replace("\u202f", "")


def test_dashboard_tile_shows_velocity_win_rate_and_time_to_decision(owner_client, workspace,
                                                                     owner_actor, member_client):
    from django.utils import timezone

    now = timezone.now()
    plan = [(12, 2, "win"), (30, 10, "loss"), (5, None, "")]  # started / decided days ago
    for i, (started, decided, decision) in enumerate(plan):
        exp = services.experiment_create(actor=owner_actor, title=f"Test {i}",
                                         primary_metric={"key": "signup", "kind": "proportion",
                                                         "event": "signup"})
        Experiment.objects.filter(pk=exp.pk).update(
            started_at=now - dt.timedelta(days=started),
            decided_at=now - dt.timedelta(days=decided) if decided is not None else None,
            decision=decision, status="decided" if decision else "running")
    page = owner_client.get(f"/w/{workspace.slug}/").content.decode()
    assert "x-velocity-tile" in page
    tile = page[page.index("x-velocity-tile"):]
    # 3 launched and 2 decided in the last 12 weeks; 1 win of 2 decisions; median of 10 and
    # 20 days from launch to decision is 15
    assert "<strong>3</strong>" in tile and "<strong>2</strong>" in tile
    assert "50 %" in tile and "win rate of 2 decisions" in tile
    assert "<strong>15</strong>" in tile


def test_learnings_search_by_engine_stage_metric_result_and_text(owner_client, owner_actor,
                                                                 workspace):
    """The learnings library finds decided experiments by engine, stage, metric, result and
    the words of their after-action review; undecided ones are never in it."""
    eng = engine_services.engine_create(actor=owner_actor, name="Referrals")

    def decided(title, key, metric, stage, decision, why, engine=None):
        e = services.experiment_create(actor=owner_actor, title=title, key=key,
                                       primary_metric={"key": metric, "kind": "proportion",
                                                       "event": metric})
        Experiment.objects.filter(pk=e.pk).update(
            status="decided", decision=decision, funnel_stage=stage, aar_why=why,
            engine=engine, decided_at=dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc))
        return e

    decided("Shorter signup form", "form", "signup", "acquisition", "win",
            "fewer fields, less friction", engine=eng)
    decided("Price anchor", "anchor", "purchase", "revenue", "loss", "anchoring scared buyers")
    running = services.experiment_create(actor=owner_actor, title="Still running friction",
                                         key="run", primary_metric={
                                             "key": "signup", "kind": "proportion",
                                             "event": "signup"})
    url = reverse("learnings", args=[workspace.slug])

    def titles(**q):
        html = owner_client.get(url, q).content.decode()
        assert "Still running friction" not in html  # never a learning before a decision
        return [t for t in ("Shorter signup form", "Price anchor") if t in html]

    assert titles() == ["Shorter signup form", "Price anchor"]
    assert titles(q="friction") == ["Shorter signup form"]
    assert titles(decision="loss") == ["Price anchor"]
    assert titles(metric="purchase") == ["Price anchor"]
    assert titles(stage="acquisition") == ["Shorter signup form"]
    assert titles(engine=str(eng.code)) == ["Shorter signup form"]
    assert running.status != "decided"
