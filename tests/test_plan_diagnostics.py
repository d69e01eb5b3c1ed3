""""Do you publish a monthly report?" is answered on the plan from the reports app, through the
mos.diagnostics hook (planning and reports are sibling layers: no import between them)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from planning import services_plans as svc
from reports.models import MonthlyReport, ReportDecision

pytestmark = pytest.mark.django_db


def _sheet(client, workspace, plan) -> str:
    page = client.get(reverse("planning_plan", args=[workspace.slug, plan.code]))
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def test_the_monthly_report_question_says_yes_only_with_a_published_report(
        workspace, other_workspace, owner_actor, owner_client):
    plan = svc.plan_create(actor=owner_actor, title="P", starts=dt.date(2027, 1, 1),
                           ends=dt.date(2027, 3, 31))
    # another workspace's published report and this workspace's draft do not count
    MonthlyReport.objects.create(workspace=other_workspace, month=dt.date(2026, 10, 1),
                                 status=MonthlyReport.Status.PUBLISHED)
    MonthlyReport.objects.create(workspace=workspace, month=dt.date(2026, 11, 1))
    page = _sheet(owner_client, workspace, plan)
    assert "MOS: No: no monthly report has been published yet." in page
    assert "Yes: the" not in page

    report = MonthlyReport.objects.create(workspace=workspace, month=dt.date(2026, 10, 1),
                                          status=MonthlyReport.Status.PUBLISHED)
    for kind, subject in (("stop", "Stop the display ads"), ("start", "A referral offer")):
        ReportDecision.objects.create(workspace=workspace, report=report, kind=kind,
                                      subject=subject)
    page = _sheet(owner_client, workspace, plan)
    assert "MOS: Yes: the 2026-10 report is published, with 2 decisions." in page
    assert "No: no monthly report" not in page

