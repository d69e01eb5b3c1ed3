"""The demo's monthly reports: six published months with decisions carried between them, and
a draft for the last closed month, drafted from the demo's own metrics."""

from __future__ import annotations

import datetime as dt

import pytest

from demo.generator import build_demo_data
from demo.management.commands.seed_demo import Command
from demo.reports import build_demo_reports
from engines.services import metric_run_start
from reports.models import MonthlyReport, ReportDecision

pytestmark = pytest.mark.django_db
END = dt.date(2026, 6, 15)


def test_six_published_months_and_a_draft():
    ws = Command()._team("demo-reports-test")
    build_demo_data(ws, seed=7, contacts=500, months=9, end=END)
    run = metric_run_start(workspace=ws, trigger="seed")
    assert run.status == run.Status.SUCCEEDED
    out = build_demo_reports(ws, today=END)
    reports = list(MonthlyReport.objects.filter(workspace=ws).order_by("month"))
    assert [r.status for r in reports] == ["published"] * 6 + ["draft"]
    assert [f"{r.month:%Y-%m}" for r in reports] == [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert out == {"published": 6, "draft": "2026-05"}
    # every published page is frozen with its numbers, and shows last month's results
    for r in reports[1:6]:
        assert r.snapshot["numbers"]["kpis"] and r.snapshot["previous_decisions"]
    # decisions travel: some carried, some closed with a written result
    carried = ReportDecision.objects.filter(workspace=ws, carried_from__isnull=False)
    assert carried.exists()
    closed = ReportDecision.objects.filter(workspace=ws, status__in=["done", "dropped"])
    assert closed.exclude(result_note="").exists()
    assert reports[-1].decisions.exists()
