"""The report pages as people use them: the list, the page, htmx autosave, decisions,
publish/supersede by role, the PDF (its text, in English and Arabic), the weekly review."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from reports import services
from reports.models import MonthlyReport, ReportDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace, owner_actor, month, month_data):
    return services.report_draft(workspace=workspace, month=month, actor=owner_actor)


def _url(name, ws, report=None, **kw):
    if report is not None:
        kw["month"] = report.slug
    return reverse(name, kwargs={"slug": ws.slug, **kw})


def test_list_shows_each_month_with_its_status(owner_client, workspace, draft):
    r = owner_client.get(_url("reports", workspace))
    assert r.status_code == 200
    body = r.content.decode()
    assert draft.month.strftime("%B %Y") in body and "Draft" in body


def test_draft_now_button_creates_the_draft(owner_client, workspace, month, month_data):
    r = owner_client.post(_url("report_draft_now", workspace), {"month": f"{month:%Y-%m}"})
    assert r.status_code == 302
    assert MonthlyReport.objects.filter(workspace=workspace, month=month).count() == 1
    r = owner_client.post(_url("report_draft_now", workspace), {"month": "2026-13"})
    assert r.status_code == 302  # back to the list with a message, nothing written
    assert MonthlyReport.objects.filter(workspace=workspace).count() == 1


def test_page_shows_the_seven_sections_and_the_proposals(owner_client, workspace, draft):
    body = owner_client.get(_url("report_detail", workspace, draft)).content.decode()
    for title in ("Executive summary", "Goal vs actual", "Top 3 wins and problems", "Channels",
                  "Funnel conversion", "Decisions: Stop / Start / Continue",
                  "three experiments"):
        assert title in body, title
    # the Stop proposal says which numbers it came from
    assert "CAC USD\xa0250 missed its target of USD\xa0200." in body
    assert "ROAS 0.8×" in body


def test_autosave_records_who_changed_what(client_for, add_member, workspace, draft):
    marketer = client_for(add_member("marketer"))
    r = marketer.post(_url("report_edit", workspace, draft),
                      {"field": "summary", "value": "SEO carried the month."},
                      HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Saved by Marketer" in r.content.decode()
    draft.refresh_from_db()
    assert draft.summary == "SEO carried the month."
    assert draft.edits.get().user.email == "marketer@acme.test"
    r = marketer.post(_url("report_edit", workspace, draft),
                      {"field": "summary", "value": "\n".join("abcdef")})
    assert "at most 5 lines" in r.content.decode()
    draft.refresh_from_db()
    assert draft.summary == "SEO carried the month."
    viewer = client_for(add_member("viewer"))
    assert viewer.post(_url("report_edit", workspace, draft),
                       {"field": "summary", "value": "x"}).status_code == 403


def test_decisions_added_and_edited_inline(owner_client, workspace, draft, owner):
    r = owner_client.post(_url("report_decision_add", workspace, draft),
                          {"kind": "start", "subject": "Webinar series", "owner": owner.pk,
                           "due_date": "2030-01-15"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Webinar series" in r.content.decode()
    d = ReportDecision.objects.get(subject="Webinar series")
    assert d.owner == owner and str(d.due_date) == "2030-01-15"
    r = owner_client.post(_url("decision_edit", workspace, decision_code=d.code),
                          {"status": "dropped"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    d.refresh_from_db()
    assert d.status == "dropped" and d.subject == "Webinar series"
    # bad input: a field error, nothing written
    r = owner_client.post(_url("report_decision_add", workspace, draft),
                          {"kind": "pause", "subject": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "field-error" in r.content.decode()
    assert ReportDecision.objects.filter(report=draft, kind="pause").count() == 0


def test_publish_and_supersede_by_role(client_for, add_member, owner_client, workspace, draft):
    marketer = client_for(add_member("marketer"))
    assert marketer.post(_url("report_publish", workspace, draft)).status_code == 403
    assert owner_client.post(_url("report_publish", workspace, draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    body = owner_client.get(_url("report_detail", workspace, draft)).content.decode()
    assert "Supersede with a new version" in body and "inline-edit" not in body
    assert marketer.post(_url("report_supersede", workspace, draft)).status_code == 403
    r = owner_client.post(_url("report_supersede", workspace, draft))
    assert r.status_code == 302 and r["Location"].endswith("?v=2")
    assert MonthlyReport.objects.get(workspace=workspace, month=draft.month,
                                     version=2).status == "draft"


def _pdf_text(content: bytes, name: str = "") -> str:
    from pathlib import Path

    from pypdf import PdfReader

    if name:  # kept for a look (pdftoppm -png var/screens/report-en.pdf …)
        out = Path(__file__).resolve().parents[2] / "var" / "screens"
        out.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1  # one A4 page for a typical month
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    return reader.pages[0].extract_text()


def test_pdf_in_english(owner_client, workspace, draft):
    r = owner_client.get(_url("report_pdf", workspace, draft))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = _pdf_text(r.content, "report-en.pdf")
    assert "Google Ads" in text and "Goal vs actual" in text


def test_pdf_in_arabic_keeps_arabic_words_in_logical_order(owner_client, owner_actor,
                                                           workspace, draft):
    services.report_update_text(report=draft, actor=owner_actor, field="summary",
                                value="شهر جيد: نمو العملاء من البحث")
    owner_client.cookies["django_language"] = "ar"
    r = owner_client.get(_url("report_pdf", workspace, draft), HTTP_ACCEPT_LANGUAGE="ar")
    assert r.status_code == 200
    text = _pdf_text(r.content, "report-ar.pdf")
    assert "شهر جيد" in text and "نمو العملاء من البحث" in text
    assert "Google Ads" in text


def test_weekly_review_has_engine_north_star_and_decision_screens(owner_client, workspace,
                                                                 draft):
    from engines.models import KPI, GrowthEngine

    GrowthEngine.objects.create(workspace=workspace, name="Self-serve",
                                main_kpi=KPI.objects.get(workspace=workspace, metric_key="leads"))
    r = owner_client.get(_url("weekly_review", workspace))
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count("data-screen ") == 3  # one engine, the North Star, decisions
    assert 'class="sidenav"' not in body  # no app chrome
    r = owner_client.post(_url("review_decision", workspace),
                          {"kind": "stop", "subject": "Print ads"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Print ads" in r.content.decode()
    assert ReportDecision.objects.get(subject="Print ads").report is None


def test_review_checkin_is_kept_on_the_engine(owner_client, workspace):
    from engines.models import GrowthEngine

    e = GrowthEngine.objects.create(workspace=workspace, name="Self-serve")
    url = _url("review_checkin", workspace, engine_code=e.code)
    r = owner_client.post(url, {"what_changed": ""})
    assert "Say what changed" in r.content.decode() and not e.checkins.exists()
    r = owner_client.post(url, {"what_changed": "Signup form shortened",
                                "next_step": "Test pricing page"})
    assert r.status_code == 200
    assert e.checkins.get().next_step == "Test pricing page"


def test_engine_decisions_include_for_the_engine_page(workspace, owner_actor, rf, owner):
    from django.template import Context, Template

    from engines.models import GrowthEngine

    e = GrowthEngine.objects.create(workspace=workspace, name="Self-serve")
    services.decision_create(actor=owner_actor, kind="stop", subject="Print ads", engine=e)
    services.decision_create(actor=owner_actor, kind="start", subject="Elsewhere")
    request = rf.get("/")
    request.workspace = workspace
    html = Template("{% load report_tags %}{% engine_decisions engine %}").render(
        Context({"engine": e, "request": request}))
    assert "Print ads" in html and "Elsewhere" not in html
