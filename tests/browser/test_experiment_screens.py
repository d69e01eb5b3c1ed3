"""Growth engines and experiments in a real browser, English and Arabic (RTL), desk and phone:
the engines list, an engine page, the insights inventory, the ICE backlog, an experiment page
(its cumulative chart drawn) and the learnings library — no horizontal overflow. Screenshots
land in var/screens/ for a person to look at."""

from __future__ import annotations

import datetime as dt

import pytest

from engines import services as engine_services
from experiments import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running(workspace, owner_actor):
    engine = engine_services.engine_create(actor=owner_actor, name="Trials",
                                           weekly_commitment="One onboarding fix a week")
    services.insight_create(actor=owner_actor, source="interview", engine=engine,
                            text="Three prospects said the sign-up form asks too much.")
    exp = services.experiment_create(
        actor=owner_actor, title="Shorter sign-up form", engine=engine,
        hypothesis_if="we cut the form to three fields", hypothesis_then="more sign-ups",
        primary_metric={"key": "signup", "kind": "proportion", "event": "signup"},
        guardrail_metrics=[{"key": "revenue", "kind": "mean", "event": "order",
                            "direction": "up"}],
        baseline=0.1, mde=0.1, planned_end=dt.date.today() + dt.timedelta(days=20))
    services.experiment_transition(actor=owner_actor, experiment=exp, to="planned")
    services.experiment_transition(actor=owner_actor, experiment=exp, to="running")
    rows = []
    for d in range(6):
        day = (dt.date.today() - dt.timedelta(days=6 - d)).isoformat()
        rows += [{"variant": "control", "metric": "signup", "date": day, "n": 400, "sum": 40},
                 {"variant": "treatment", "metric": "signup", "date": day, "n": 400,
                  "sum": 50 + d},
                 {"variant": "control", "metric": "revenue", "date": day, "n": 400,
                  "sum": 2000, "sum_sq": 36000},
                 {"variant": "treatment", "metric": "revenue", "date": day, "n": 400,
                  "sum": 1900, "sum_sq": 34000}]
    services.results_upsert(actor=owner_actor, experiment=exp, rows=rows)
    services.experiment_create(actor=owner_actor, title="Pricing page FAQ", engine=engine,
                               impact=7, confidence=5, ease=8,
                               primary_metric={"key": "signup", "kind": "proportion",
                                               "event": "signup"})
    exp.refresh_from_db()
    return exp


@pytest.mark.parametrize("locale,width", [("en", 1280), ("ar", 1280), ("en", 390),
                                          ("ar", 390)])
def test_experiment_screens(new_page, login, live_server, owner, workspace, running,
                            screens_dir, locale, width):
    base = f"{live_server.url}/w/{workspace.slug}"
    page = new_page(width, 900, locale=locale)
    login(page, owner)
    screens = [("engines", "/engines/"), ("engine", f"/engines/{running.engine.code}/"),
               ("insights", "/insights/"), ("backlog", "/experiments/"),
               ("learnings", "/learnings/")]
    for name, path in screens:
        page.goto(base + path)
        page.wait_for_load_state()
        assert page.locator("h1").count() == 1, name
        page.screenshot(path=str(screens_dir / f"exp-{name}-{locale}-{width}.png"),
                        full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    page.goto(f"{base}/experiments/{running.code}/")
    page.locator(".chart[data-fig=fig-cumulative] svg.main-svg").first.wait_for()
    assert page.locator("text=Shorter sign-up form").count() >= 1
    page.screenshot(path=str(screens_dir / f"exp-experiment-{locale}-{width}.png"),
                    full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
