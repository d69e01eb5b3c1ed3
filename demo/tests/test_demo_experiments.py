"""The demo's engines, insights and experiments: every status, wins, losses, inconclusive
results and one sample-ratio mismatch, all from exposure events the analysis reads."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from crm.models import Campaign, Event, Spend
from demo.experiments import build_demo_experiments
from demo.generator import build_demo_data
from demo.management.commands.seed_demo import TEAM, Command
from engines.models import GrowthEngine
from experiments.analysis import experiment_analysis
from experiments.compute import compute_workspace_results
from experiments.models import Experiment, ExperimentResult, Insight
from mos.models import User, Workspace

END = dt.datetime(2026, 6, 15, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ws = Command()._team("demo-exp-test")
        build_demo_data(ws, seed=42, contacts=2000, months=6, end=END.date())
        stats = build_demo_experiments(ws, seed=42, end=END)
        yield ws, stats
        Spend.objects.filter(workspace=ws).delete()
        Campaign.objects.filter(workspace=ws).delete()
        Workspace.objects.filter(pk=ws.pk).delete()
        User.objects.filter(email__in=[t[0] for t in TEAM], memberships__isnull=True).delete()


@pytest.mark.django_db
def test_demo_has_engines_insights_and_experiments_in_every_status(demo):
    ws, stats = demo
    assert GrowthEngine.objects.filter(workspace=ws).count() == 3
    assert 38 <= Insight.objects.filter(workspace=ws).count() <= 45
    statuses = Counter(Experiment.objects.filter(workspace=ws).values_list("status", flat=True))
    assert set(statuses) == set(Experiment.Status.values)
    assert 55 <= sum(statuses.values()) <= 65
    decisions = Counter(Experiment.objects.filter(workspace=ws).exclude(decision="")
                        .values_list("decision", flat=True))
    assert set(decisions) == {"win", "loss", "inconclusive"}
    assert Event.objects.filter(workspace=ws, name="experiment_viewed").count() > 20_000
    assert stats["seconds"] < 20  # a few seconds on a quiet machine (SQLite)


@pytest.mark.django_db
def test_demo_results_say_what_the_decisions_say(demo):
    ws, _ = demo
    won = lost = flat = srm = 0
    for e in Experiment.objects.filter(workspace=ws, status__in=["running", "analysing",
                                                                  "decided", "scaled"]):
        a = experiment_analysis(e, today=END.date())
        row = a["metrics"][0]["rows"][0]
        if a["srm"] and a["srm"]["flagged"]:
            srm += 1
            continue
        if row.get("significant") and row["effect"] > 0:
            won += 1
        elif row.get("significant") and row["effect"] < 0:
            lost += 1
        else:
            flat += 1
    assert won >= 5 and lost >= 3 and flat >= 3 and srm == 1


@pytest.mark.django_db
def test_nightly_recompute_reproduces_the_demo_results(demo):
    ws, _ = demo
    running = Experiment.objects.filter(workspace=ws, status="running")
    before = sorted(ExperimentResult.objects.filter(experiment__in=running).values_list(
        "variant_id", "metric", "date", "n", "sum"))
    compute_workspace_results(workspace=ws, now=END)
    after = sorted(ExperimentResult.objects.filter(experiment__in=running).values_list(
        "variant_id", "metric", "date", "n", "sum"))
    assert after == before and len(before) > 0
