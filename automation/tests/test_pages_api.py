"""The flow screens and the automation API: templates, builder (add, reorder, remove steps),
switching on (growth lead, not marketer), bad input answered per field, nothing written."""

from __future__ import annotations

import pytest

from automation.models import Flow, Step

pytestmark = pytest.mark.django_db


def test_template_builder_and_flow_page(owner_client, workspace):
    base = f"/w/{workspace.slug}/flows/"
    assert owner_client.get(base).status_code == 200
    r = owner_client.post(base + "from-template/", {"template": "trial_to_paid"})
    flow = Flow.objects.get(workspace=workspace)
    assert r.status_code == 302 and flow.template == "trial_to_paid" and flow.status == "draft"
    assert flow.holdout_share == pytest.approx(0.10)
    kinds = list(flow.steps.values_list("kind", flat=True))
    assert kinds == ["send_email", "wait", "condition", "send_email", "create_task"]
    edit = f"{base}{flow.code}/edit/"
    assert owner_client.get(edit).status_code == 200
    # add a webhook step, move it up once, remove the wait
    r = owner_client.post(edit, {"part": "step", "kind": "webhook",
                                 "url": "https://hooks.example.test/mos"})
    assert r.status_code == 302
    hook = flow.steps.get(kind="webhook")
    owner_client.post(f"{base}{flow.code}/steps/{hook.code}/move/", {"direction": "up"})
    wait = flow.steps.get(kind="wait")
    owner_client.post(f"{base}{flow.code}/steps/{wait.code}/delete/")
    assert list(flow.steps.order_by("position").values_list("kind", flat=True)) == [
        "send_email", "condition", "send_email", "webhook", "create_task"]
    # a bad step is a form error, not a 500, and nothing is added
    r = owner_client.post(edit, {"part": "step", "kind": "wait", "days": "0"})
    assert r.status_code == 200 and "Wait between 1 hour and 366 days." in r.content.decode()
    assert flow.steps.count() == 5
    r = owner_client.post(f"{base}{flow.code}/status/", {"status": "active"})
    flow.refresh_from_db()
    assert flow.status == "active" and flow.activated_at is not None
    page = owner_client.get(f"{base}{flow.code}/").content.decode()
    assert "Holdout lift" in page and "Pause" in page


def test_marketer_builds_but_cannot_switch_on(workspace, add_member, client_for):
    c = client_for(add_member("marketer", email="m@acme.test"))
    c.post(f"/w/{workspace.slug}/flows/from-template/", {"template": "welcome"})
    flow = Flow.objects.get(workspace=workspace)
    r = c.post(f"/w/{workspace.slug}/flows/{flow.code}/status/", {"status": "active"})
    flow.refresh_from_db()
    assert r.status_code == 403 and flow.status == "draft"


def test_api_create_activate_read_and_errors(api, workspace):
    body = {"name": "Welcome", "trigger": "stage_change", "trigger_config": {"to_stage": "lead"},
            "goal": "stage", "goal_value": "mql",
            "steps": [{"kind": "send_email", "config": {"subject_en": "Hi", "body_en": "Hi"}},
                      {"kind": "wait", "config": {"days": 2}}]}
    r = api.post("/api/v1/flows/", body, format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json()["holdout_share"] == 0.1 and [s["kind"] for s in r.json()["steps"]] == [
        "send_email", "wait"]
    r = api.post(f"/api/v1/flows/{code}/status/", {"status": "active"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert api.get(f"/api/v1/flows/{code}/stats/").json()["lift"] is None
    assert api.get("/api/v1/enrollments/").status_code == 200
    assert api.get("/api/v1/messages/?flow=nope").json()["results"] == []
    bad = api.post("/api/v1/flows/", {**body, "trigger_config": {}, "holdout_share": 0.9},
                   format="json")
    assert bad.status_code == 400 and "holdout_share" in bad.json()["error"]["fields"]
    bad = api.post("/api/v1/flows/", {**body, "trigger_config": {"to_stage": "nowhere"}},
                   format="json")
    assert bad.status_code == 400 and "trigger_config" in bad.json()["error"]["fields"]
    bad = api.post("/api/v1/flows/", {**body, "steps": [{"kind": "wait", "config": {}}]},
                   format="json")
    assert bad.status_code == 400
    assert Flow.objects.filter(workspace=workspace).count() == 1
    assert Step.objects.filter(workspace=workspace).count() == 2
