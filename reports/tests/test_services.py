"""Draft → edit → publish (frozen) → supersede (difference shown); decisions carried into the
next month; members told by e-mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from engines.models import GrowthEngine, MetricValue
from experiments.models import Experiment
from reports import selectors, services
from reports.models import MonthlyReport, ReportDecision, ReportEdit

pytestmark = pytest.mark.django_db


def _backlog(ws, engine=None):
    made = []
    for i, (title, ice) in enumerate([("Shorter signup", (9, 8, 7)), ("Pricing page FAQ",
                                      (5, 5, 5)), ("Referral credit", (8, 8, 8)),
                                     ("Exit survey", (2, 2, 2))]):
        made.append(Experiment.objects.create(
            workspace=ws, key=f"e{i}", title=title, engine=engine, impact=ice[0],
            confidence=ice[1], ease=ice[2]))
    return made


def test_draft_proposes_from_the_numbers_and_the_ice_backlog(workspace, owner_actor, month,
                                                             month_data):
    engine = GrowthEngine.objects.create(workspace=workspace, name="Self-serve")
    _backlog(workspace, engine)
    report = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    assert report.status == "draft" and report.version == 1
    kinds = [(d.kind, d.subject) for d in report.decisions.all()]
    # ICE: Shorter signup 504, Referral credit 512, Pricing page FAQ 125, Exit survey 8
    assert kinds == [("stop", "Google Ads"), ("continue", "SEO"), ("start", "Referral credit"),
                     ("start", "Shorter signup"), ("start", "Pricing page FAQ")]
    assert all(d.proposed for d in report.decisions.all())
    start = report.decisions.get(subject="Referral credit")
    assert start.engine == engine and start.source["ice"] == 512
    assert [e["name"] for e in selectors.next_experiments(report)] == [
        "Referral credit", "Shorter signup", "Pricing page FAQ"]
    # drafting again returns the same draft
    assert services.report_draft(workspace=workspace, month=month,
                                 actor=owner_actor).pk == report.pk


def test_a_month_that_has_not_closed_cannot_be_drafted(workspace, owner_actor):
    from django.utils import timezone

    with pytest.raises(ValidationError):
        services.report_draft(workspace=workspace, month=timezone.localdate().replace(day=1),
                              actor=owner_actor)


def test_summary_is_five_lines_at_most_and_edits_are_recorded(workspace, owner_actor, month,
                                                              month_data):
    report = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    with pytest.raises(ValidationError):
        services.report_update_text(report=report, actor=owner_actor, field="summary",
                                    value="1\n2\n3\n4\n5\n6")
    report.refresh_from_db()
    assert report.summary == ""
    services.report_update_text(report=report, actor=owner_actor, field="summary",
                                value="A good month.\nSEO carried it.")
    services.report_update_text(report=report, actor=owner_actor, field="wins", index=2,
                                value="Leads up half again")
    report.refresh_from_db()
    assert report.wins[1]["text"] == "Leads up half again"
    assert report.wins[1]["numbers"]["label"] == "New leads"  # the numbers stay with it
    edits = list(ReportEdit.objects.filter(report=report).order_by("id"))
    assert [(e.field, e.user_id) for e in edits] == [("summary", owner_actor.user.pk),
                                                     ("wins.2", owner_actor.user.pk)]
    # re-drafting keeps what people wrote
    services.report_draft(workspace=workspace, month=month, actor=owner_actor, refresh=True)
    report.refresh_from_db()
    assert report.wins[1]["text"] == "Leads up half again"


def test_publish_freezes_the_numbers_and_notifies_members(workspace, owner_actor, month,
                                                          month_data, add_member,
                                                          django_capture_on_commit_callbacks):
    add_member("viewer", email="viewer@acme.test")
    add_member("sales_rep", email="rep@acme.test")  # cannot read reports: not told
    report = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_publish(report=report, actor=owner_actor)
    report.refresh_from_db()
    assert report.status == "published" and report.published_by == owner_actor.user
    assert sorted(m.to[0] for m in mail.outbox) == ["owner@acme.test", "viewer@acme.test"]
    assert month.strftime("%Y-%m") in mail.outbox[0].subject
    # a later recompute changes the stored numbers, not the published page
    MetricValue.objects.filter(workspace=workspace, key="new_customers",
                               dimension="").update(value=99)
    content = selectors.report_content(report)
    nsm = next(k for k in content["numbers"]["kpis"] if k["north_star"])
    assert nsm["actual"] == 14
    with pytest.raises(ValidationError):
        services.report_update_text(report=report, actor=owner_actor, field="summary",
                                    value="changed")
    # a decision's tracking still moves on a published report; its wording does not
    d = report.decisions.get(subject="Google Ads")
    services.decision_update(actor=owner_actor, decision=d, status="done",
                             result_note="Paused on the 3rd")
    with pytest.raises(ValidationError):
        services.decision_update(actor=owner_actor, decision=d, subject="Other")


def test_supersede_makes_a_new_version_with_the_difference(workspace, owner_actor, month,
                                                           month_data):
    v1 = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    services.report_update_text(report=v1, actor=owner_actor, field="summary", value="First.")
    services.report_publish(report=v1, actor=owner_actor)
    MetricValue.objects.filter(workspace=workspace, key="new_customers",
                               dimension="").update(value=18)  # a backfill
    v2 = services.report_supersede(report=v1, actor=owner_actor)
    assert (v2.version, v2.status, v2.supersedes_id) == (2, "draft", v1.pk)
    assert v2.decisions.count() == v1.decisions.count()
    services.report_update_text(report=v2, actor=owner_actor, field="summary",
                                value="Corrected.")
    services.report_publish(report=v2, actor=owner_actor)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == "superseded" and v2.status == "published"
    changes = {c["what"]: (c["before"], c["after"]) for c in v2.snapshot["changes"]}
    assert changes["summary"] == ("First.", "Corrected.")
    assert changes["kpi:New paying customers"] == (14, 18)
    assert selectors.get_report(workspace, month).pk == v2.pk
    with pytest.raises(ValidationError):
        services.report_supersede(report=v1, actor=owner_actor)


def test_open_decisions_are_carried_into_next_month(workspace, owner_actor, month, month_data):
    prev_month = selectors.previous_month(month)
    prev = services.report_draft(workspace=workspace, month=prev_month, actor=owner_actor)
    kept = services.decision_create(actor=owner_actor, report=prev, kind="start",
                                    subject="Webinar series")
    done = services.decision_create(actor=owner_actor, report=prev, kind="stop",
                                    subject="Print ads")
    services.report_publish(report=prev, actor=owner_actor)
    services.decision_update(actor=owner_actor, decision=done, status="done",
                             result_note="Saved 2,000")
    # a decision taken in this month's weekly review, before the report exists
    review = services.decision_create(actor=owner_actor, report=None, kind="continue",
                                      subject="Partner newsletter")
    report = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    carried = report.decisions.get(subject="Webinar series")
    assert carried.carried_from == kept
    assert not report.decisions.filter(subject="Print ads").exists()
    review.refresh_from_db()
    assert review.report == report
    content = selectors.report_content(report)
    prev_rows = {d["subject"]: d for d in content["previous_decisions"]}
    assert prev_rows["Print ads"]["status"] == "done"
    assert prev_rows["Print ads"]["result_note"] == "Saved 2,000"
    # the open list shows the chain once: the carried copy, not last month's row
    subjects = [d.subject for d in selectors.open_decisions(workspace)]
    assert subjects.count("Webinar series") == 1


def test_decision_owner_must_be_a_member(workspace, owner_actor, month, month_data, outsider):
    report = services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    n = ReportDecision.objects.count()
    with pytest.raises(ValidationError):
        services.decision_create(actor=owner_actor, report=report, kind="stop",
                                 subject="X", owner=outsider)
    assert ReportDecision.objects.count() == n


def test_beat_task_drafts_each_workspace_once(workspace, month, month_data):
    from reports.tasks import draft_closed_month_all

    draft_closed_month_all()
    draft_closed_month_all()
    assert MonthlyReport.objects.filter(workspace=workspace, month=month).count() == 1
