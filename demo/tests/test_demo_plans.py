"""The demo's plans (plan14): an English SOSTAC plan with a published version and an Arabic
draft, last quarter's bets scored from the demo's own metrics, two launch checklists, last
month's budget split accepted and this month's proposed."""

from __future__ import annotations

import datetime as dt

import pytest

from demo.generator import build_demo_data
from demo.management.commands.seed_demo import Command
from demo.planning_plans import build_demo_plans
from engines.services import metric_run_start
from planning.models import BudgetPlan, Checklist, PlanVersion, QuarterlyBet, SostacPlan

pytestmark = pytest.mark.django_db
END = dt.date(2026, 6, 15)


def test_demo_plans_from_the_demo_numbers():
    ws = Command()._team("demo-plans-test")
    build_demo_data(ws, seed=7, contacts=500, months=9, end=END)
    from demo.experiments import build_demo_experiments

    build_demo_experiments(ws, seed=7, end=END)
    assert metric_run_start(workspace=ws, trigger="seed").status == "succeeded"
    out = build_demo_plans(ws, today=END)
    assert out["plans"] == 2 and out["bets"] == 7 and out["checklists"] == 2
    titles = set(SostacPlan.objects.filter(workspace=ws).values_list("title", flat=True))
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in t) for t in titles)  # one in Arabic
    v1 = PlanVersion.objects.get(plan__workspace=ws)
    assert v1.snapshot["numbers"]["headline"] and v1.snapshot["service_mix"]
    scored = QuarterlyBet.objects.filter(workspace=ws, quarter=dt.date(2026, 1, 1))
    assert scored.count() == 4 and all(b.score and b.actual is not None for b in scored)
    assert {b.score for b in scored} - {"no_data"}
    assert Checklist.objects.filter(workspace=ws).count() == 2
    assert BudgetPlan.objects.filter(workspace=ws, status="accepted").exists()
