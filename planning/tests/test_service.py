"""Customer service: complaints with time to resolution, CSAT/NPS surveys sent to a segment,
the public answer page (signed link, one answer per contact, both languages), answers on the
profile and as insights, and NPS/CSAT as metrics on the dashboard."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.core import mail
from django.utils import timezone

from crm.models import Complaint, Consent, Contact, Segment, Survey, SurveyAnswer
from crm.service import services
from crm.service.tokens import answer_token
from engines.metrics import service as service_metrics
from experiments.models import Insight

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment(workspace):
    return Segment.objects.create(workspace=workspace, name="Customers",
                                  filters={"stage": ["customer"]})


def _contact(ws, email, consent=True, stage="customer", language=""):
    c = Contact.objects.create(workspace=ws, email=email, name=email.split("@")[0],
                               stage=stage, language=language)
    if consent is not None:
        Consent.objects.create(workspace=ws, contact=c, channel="email",
                               status="granted" if consent else "withdrawn")
    return c


def test_nps_and_csat_values_by_hand():
    # March: NPS answers 10, 9, 8, 6, 0 → promoters 2, detractors 2, net 0 of 5 → NPS 0;
    # April: 10, 10, 7 → net 2 of 3. CSAT March: 5, 4, 2 → 2 satisfied of 3.
    rows = [(1, "nps", s, f"2026-03-0{i + 1} 10:00") for i, s in enumerate([10, 9, 8, 6, 0])]
    rows += [(2, "nps", s, "2026-04-02 09:00") for s in (10, 10, 7)]
    rows += [(3, "csat", s, "2026-03-15 12:00") for s in (5, 4, 2)]
    answers = service_metrics.make_frame("survey_answers", rows)
    v = service_metrics.survey_values(answers, grain="month", as_of=dt.date(2026, 4, 30))
    got = {(r.key, str(r.period)): r.value for r in v.itertuples()}
    assert got[("nps_responses", "2026-03-01")] == 5 and got[("nps_net", "2026-03-01")] == 0
    assert got[("nps_responses", "2026-04-01")] == 3 and got[("nps_net", "2026-04-01")] == 2
    assert got[("nps", "2026-03-01")] == 0 and got[("nps", "2026-04-01")] == pytest.approx(200 / 3)
    assert got[("csat", "2026-03-01")] == pytest.approx(2 / 3)
    assert got[("csat_responses", "2026-03-01")] == 3
    assert got[("csat_satisfied", "2026-03-01")] == 2
    from engines.metrics.registry import get_metric

    nps = get_metric("nps").ratio
    # both months together: net 2 of 8 answers → NPS 25
    assert nps.of({"nps_net": 2, "nps_responses": 8}) == pytest.approx(25.0)


def test_complaint_values_by_hand():
    # received March: two complaints (handled 10 and 30 min) and a suggestion; one complaint
    # resolved 36 h after it came in, the other 12 h → median 1 day; average handling 20 min
    rows = [("complaint", "2026-03-01 08:00", "2026-03-02 20:00", 10.0),
            ("complaint", "2026-03-05 08:00", "2026-03-05 20:00", 30.0),
            ("suggestion", "2026-03-06 08:00", None, None)]
    df = service_metrics.make_frame("complaints", rows)
    v = service_metrics.complaint_values(df, grain="month", as_of=dt.date(2026, 3, 31))
    got = {r.key: r.value for r in v.itertuples()}
    assert got["complaints"] == 2 and got["suggestions"] == 1
    assert got["complaints_resolved"] == 2 and got["resolution_days_median"] == pytest.approx(1.0)
    assert got["handling_minutes_total"] == 40 and got["handled_contacts"] == 2
    assert got["handling_minutes_avg"] == 20


def test_send_goes_to_consenting_members_with_their_own_links(owner_actor, workspace, segment,
                                                              django_capture_on_commit_callbacks):
    a = _contact(workspace, "amal@example.test", language="ar")
    _contact(workspace, "bob@example.test", consent=False)  # withdrew: not sent
    _contact(workspace, "carl@example.test", consent=None)  # never consented: not sent
    _contact(workspace, "lead@example.test", stage="lead")  # not in the segment
    survey = services.survey_create(actor=owner_actor, name="Q1 NPS", kind="nps",
                                    segment=segment)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_send(actor=owner_actor, survey=survey) == 1
    assert [m.to for m in mail.outbox] == [["amal@example.test"]]
    assert answer_token(survey, a) in mail.outbox[0].body
    survey.refresh_from_db()
    assert survey.sent_count == 1 and survey.sent_at is not None
    with pytest.raises(Exception):
        services.survey_send(actor=owner_actor, survey=survey)  # once


def test_public_answer_page_takes_one_answer_per_contact(client, workspace):
    survey = Survey.objects.create(workspace=workspace, name="CSAT", kind="csat")
    c = _contact(workspace, "dina@example.test", language="ar")
    url = f"/p/survey/{answer_token(survey, c)}/"
    page = client.get(url)
    assert page.status_code == 200 and 'lang="ar"' in page.content.decode()
    assert client.post(url, {"score": "9"}).status_code == 200  # out of 1–5
    assert not SurveyAnswer.objects.exists()
    r = client.post(url + "?lang=en", {"score": "2", "comment": "Slow delivery"})
    assert "Thank you" in r.content.decode()
    r = client.post(url + "?lang=en", {"score": "5"})
    assert "Thank you" in r.content.decode()
    answers = list(SurveyAnswer.objects.all())
    assert len(answers) == 1 and answers[0].score == 2 and answers[0].comment == "Slow delivery"
    assert client.get(url[:-5] + "xxxx/").status_code == 404
    assert client.get("/p/survey/garbage/").status_code == 404


def test_closed_survey_takes_no_answer(client, workspace):
    survey = Survey.objects.create(workspace=workspace, name="Old", kind="nps",
                                   closed_at=timezone.now())
    c = _contact(workspace, "x@example.test")
    r = client.post(f"/p/survey/{answer_token(survey, c)}/", {"score": "9"})
    assert "closed" in r.content.decode() and not SurveyAnswer.objects.exists()


def test_low_answer_becomes_an_insight_once_and_shows_on_profile(owner_client, workspace):
    survey = Survey.objects.create(workspace=workspace, name="Q1 NPS", kind="nps")
    c = _contact(workspace, "eve@example.test")
    low = SurveyAnswer.objects.create(workspace=workspace, survey=survey, contact=c, score=3,
                                      comment="Support never called back")
    profile = owner_client.get(f"/w/{workspace.slug}/contacts/{c.code}/").content.decode()
    assert "Support never called back" in profile and "Create insight" in profile
    url = f"/w/{workspace.slug}/service/answers/{low.code}/insight/"
    owner_client.post(url)
    owner_client.post(url)
    insight = Insight.objects.get(workspace=workspace)
    assert insight.source == "survey" and "Support never called back" in insight.text
    assert list(insight.contacts.all()) == [c]
    profile = owner_client.get(f"/w/{workspace.slug}/contacts/{c.code}/").content.decode()
    assert "In the insights" in profile


def test_high_answer_is_not_an_insight(owner_client, workspace):
    survey = Survey.objects.create(workspace=workspace, name="Q1 NPS", kind="nps")
    c = _contact(workspace, "fay@example.test")
    high = SurveyAnswer.objects.create(workspace=workspace, survey=survey, contact=c, score=10)
    owner_client.post(f"/w/{workspace.slug}/service/answers/{high.code}/insight/")
    assert not Insight.objects.exists()


def test_complaint_resolution_is_stamped_and_cleared(owner_actor, workspace):
    received = timezone.now() - dt.timedelta(hours=5)
    c = services.complaint_create(actor=owner_actor, subject="Late order", via="phone",
                                  received_at=received, handling_minutes=12)
    assert c.status == "open" and c.resolved_at is None
    services.complaint_update(actor=owner_actor, complaint=c, status="resolved")
    c.refresh_from_db()
    assert c.resolved_at is not None and 4.9 < c.hours_to_resolution < 5.1
    services.complaint_update(actor=owner_actor, complaint=c, status="in_progress")
    c.refresh_from_db()
    assert c.resolved_at is None


def test_sales_rep_logs_a_complaint_but_cannot_handle_it(client_for, add_member, workspace):
    rep = client_for(add_member("sales_rep"))
    r = rep.post(f"/w/{workspace.slug}/service/complaints/new/",
                 {"kind": "complaint", "via": "phone", "subject": "Wrong invoice",
                  "status": "open"})
    assert r.status_code in (302, 403)
    # the list is for the marketing team; the rep's log lands there
    c = Complaint.objects.get(workspace=workspace)
    assert rep.get(f"/w/{workspace.slug}/service/complaints/{c.code}/").status_code == 403


def test_complaint_form_names_an_unknown_contact(owner_client, workspace):
    r = owner_client.post(f"/w/{workspace.slug}/service/complaints/new/", {
        "kind": "complaint", "via": "email", "subject": "Broken", "status": "open",
        "contact": "nobody@example.test"})
    assert r.status_code == 200 and "contact" in r.context["form"].errors
    assert not Complaint.objects.exists()


def test_pipeline_computes_nps_and_the_dashboard_shows_it(owner_client, workspace):
    survey = Survey.objects.create(workspace=workspace, name="NPS", kind="nps")
    now = timezone.now()
    for i, score in enumerate([10, 10, 9, 3]):
        c = _contact(workspace, f"n{i}@example.test")
        SurveyAnswer.objects.create(workspace=workspace, survey=survey, contact=c, score=score,
                                    answered_at=now)
    from engines.metrics.pipeline import compute_workspace
    from engines.models import MetricRun, MetricValue

    run = MetricRun.objects.create(workspace=workspace, trigger="api")
    compute_workspace(run)
    month = now.date().replace(day=1)
    v = {m.key: m.value for m in MetricValue.objects.filter(
        workspace=workspace, grain="month", period=month, dimension="")}
    assert v["nps_responses"] == 4 and v["nps_net"] == 2  # 3 promoters − 1 detractor
    assert v["nps"] == 50
    page = owner_client.get(f"/w/{workspace.slug}/?period=month&month={month:%Y-%m}")
    page = page.content.decode()
    assert "Net Promoter Score (NPS)" in page and "50" in page  # 2 / 4 × 100


def test_api_surveys_and_complaints(api, workspace, segment):
    r = api.post("/api/v1/surveys/", {"name": "CSAT Q2", "kind": "csat",
                                      "segment": str(segment.code)}, format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    r = api.post(f"/api/v1/surveys/{code}/send/", {}, format="json")
    assert r.status_code == 400  # nobody with consent in the segment
    _contact(workspace, "gil@example.test")
    assert api.post(f"/api/v1/surveys/{code}/send/", {}, format="json").json() == {
        "recipients": 1}
    r = api.post("/api/v1/complaints/", {"subject": "Rude driver", "contact": "gil@example.test",
                                         "handling_minutes": -1}, format="json")
    assert r.status_code == 400 and "handling_minutes" in r.json()["error"]["fields"]
    r = api.post("/api/v1/complaints/", {"subject": "Rude driver",
                                         "contact": "gil@example.test"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "open"


def test_loader_reads_unresolved_complaints_and_answers(workspace):
    from engines.metrics.loaders import Window

    survey = Survey.objects.create(workspace=workspace, name="NPS", kind="nps")
    c = _contact(workspace, "h@example.test")
    now = timezone.now()
    SurveyAnswer.objects.create(workspace=workspace, survey=survey, contact=c, score=9,
                                answered_at=now)
    Complaint.objects.create(workspace=workspace, subject="Open one", received_at=now)
    Complaint.objects.create(workspace=workspace, subject="Done", received_at=now,
                             resolved_at=now + dt.timedelta(hours=6), status="resolved",
                             handling_minutes=7)
    f = service_metrics.load_service(workspace.pk, Window.trailing(as_of=now.date()))
    assert list(f["survey_answers"]["score"]) == [9]
    comp = f["complaints"].sort_values("resolved_at")
    assert comp["resolved_at"].isna().sum() == 1
    assert str(comp["resolved_at"].dtype) == "datetime64[ns]"
    assert sorted(comp["handling_minutes"].fillna(0)) == [0, 7]


def test_service_page_shows_call_handling_time_of_the_last_30_days(owner_client, workspace):
    """Seed 003's call handling time comes from the calls reps log (crm activities)."""
    from crm.models import Activity

    c = Contact.objects.create(workspace=workspace, name="Caller")
    now = timezone.now()
    for secs, days_ago in ((120, 1), (300, 5), (600, 40)):  # the 40-day-old call is out
        Activity.objects.create(workspace=workspace, contact=c, kind="call",
                                at=now - dt.timedelta(days=days_ago), duration_seconds=secs,
                                call_outcome="connected")
    r = owner_client.get(f"/w/{workspace.slug}/service/")
    summary = r.context["summary"]
    assert summary["calls_30d"] == 2
    assert summary["call_minutes_30d"] == pytest.approx(3.5)  # (120 + 300) / 2 s = 210 s
    body = r.content.decode()
    assert "Call handling time" in body and "2 calls logged in 30 days" in body


def test_dashboard_says_stale_after_a_complaint_or_a_survey_answer(owner_client, owner_actor,
                                                                   client, workspace):
    """NPS, CSAT and complaint handling are metrics: a complaint logged or a survey answered
    after the last good run makes the dashboard say the numbers are stale."""
    from django.urls import reverse

    from engines.models import MetricRun

    said = "complaints or survey answers arrived after this run"
    home = reverse("workspace_home", args=[workspace.slug])
    now = timezone.now()
    survey = Survey.objects.create(workspace=workspace, name="NPS", kind="nps")
    c = _contact(workspace, "rana@example.test")

    def new_run():
        MetricRun.objects.create(workspace=workspace, trigger="manual", status="succeeded",
                                 started_at=timezone.now(),
                                 finished_at=timezone.now())

    MetricRun.objects.create(workspace=workspace, trigger="manual", status="succeeded",
                             started_at=now - dt.timedelta(minutes=5),
                             finished_at=now - dt.timedelta(minutes=4))
    assert said not in owner_client.get(home).content.decode()
    client.post(f"/p/survey/{answer_token(survey, c)}/", {"score": "3"})
    assert SurveyAnswer.objects.count() == 1
    assert said in owner_client.get(home).content.decode()
    new_run()
    assert said not in owner_client.get(home).content.decode()
    services.complaint_create(actor=owner_actor, subject="Late order", via="phone")
    assert said in owner_client.get(home).content.decode()
