"""The reports API: list, read (frozen JSON once published), publish, decisions CRUD."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engines.models import MetricValue
from reports import services
from reports.models import ReportDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace, owner_actor, month, month_data):
    return services.report_draft(workspace=workspace, month=month, actor=owner_actor)


def test_list_and_read(api, draft, month):
    r = api.get("/api/v1/reports/")
    assert r.status_code == 200
    (row,) = r.json()["results"]
    assert row["month"] == f"{month:%Y-%m}" and row["status"] == "draft"
    r = api.get(f"/api/v1/reports/{draft.code}/")
    content = r.json()["content"]
    assert [d["subject"] for d in content["decisions"]][:2] == ["Google Ads", "SEO"]


def test_list_query_count_does_not_grow_with_reports(api, workspace, owner_actor, month,
                                                     month_data):
    from reports.selectors import previous_month

    services.report_draft(workspace=workspace, month=month, actor=owner_actor)
    api.get("/api/v1/reports/")  # the key is cached after its first use
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/reports/")
    services.report_draft(workspace=workspace, month=previous_month(month), actor=owner_actor)
    with CaptureQueriesContext(connection) as two:
        api.get("/api/v1/reports/")
    assert len(two) == len(one)


def test_publish_answers_the_frozen_snapshot(api, draft, workspace):
    r = api.post(f"/api/v1/reports/{draft.code}/publish/")
    assert r.status_code == 200 and r.json()["status"] == "published"
    MetricValue.objects.filter(workspace=workspace, key="new_customers",
                               dimension="").update(value=99)
    content = api.get(f"/api/v1/reports/{draft.code}/").json()["content"]
    nsm = next(k for k in content["numbers"]["kpis"] if k["north_star"])
    assert nsm["actual"] == 14
    r = api.post(f"/api/v1/reports/{draft.code}/publish/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"


def test_read_key_cannot_publish(api_key_for, workspace, draft):
    read = api_key_for(workspace, "read")
    assert read.post(f"/api/v1/reports/{draft.code}/publish/").status_code == 403


def test_decisions_crud(api, draft, owner):
    r = api.post("/api/v1/decisions/", {"report": str(draft.code), "kind": "start",
                                       "subject": "Webinar series", "owner": owner.email,
                                       "due_date": "2030-01-31"}, format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    r = api.patch(f"/api/v1/decisions/{code}/", {"status": "done",
                                                "result_note": "120 sign-ups"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert api.get("/api/v1/decisions/?status=done").json()["results"][0]["code"] == code
    r = api.post("/api/v1/decisions/", {"kind": "pause", "subject": ""}, format="json")
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"kind", "subject"}
    r = api.post("/api/v1/decisions/", {"kind": "stop", "subject": "X",
                                       "owner": "nobody@else.test"}, format="json")
    assert r.status_code == 400 and "owner" in r.json()["error"]["fields"]
    assert api.delete(f"/api/v1/decisions/{code}/").status_code == 204
    assert not ReportDecision.objects.filter(code=code).exists()


def test_draft_through_the_api(api, workspace, month, month_data):
    r = api.post("/api/v1/reports/draft/", {"month": f"{month:%Y-%m}"}, format="json")
    assert r.status_code == 201 and r.json()["version"] == 1
    r = api.post("/api/v1/reports/draft/", {"month": "May"}, format="json")
    assert r.status_code == 400 and "month" in r.json()["error"]["fields"]


def test_decision_list_query_count_does_not_grow(api, workspace, owner_actor, draft, owner):
    api.get("/api/v1/decisions/")
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/decisions/")
    for i in range(5):
        services.decision_create(actor=owner_actor, report=draft, kind="start",
                                 subject=f"Idea {i}", owner=owner)
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/decisions/")
    assert len(many) == len(one)
