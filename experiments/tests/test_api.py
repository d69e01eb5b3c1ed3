"""The experiments API: 400 field errors with nothing written, tenancy 404, roles 403,
idempotent bulk results, the analysis and the decision gate, pinned list query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from experiments.models import Experiment, ExperimentResult, Insight
from mos.models import AuditEntry

pytestmark = pytest.mark.django_db

EXP = {"title": "Shorter sign-up form", "key": "short-form", "funnel_stage": "activation",
       "hypothesis_if": "we drop the phone field", "hypothesis_then": "more trials",
       "primary_metric": {"key": "signup", "kind": "proportion", "event": "trial_started"},
       "baseline": 0.1, "mde": 0.1, "planned_end": "2030-01-01",
       "impact": 8, "confidence": 6, "ease": 9}


def _engine(api, name="Trials"):
    r = api.post("/api/v1/engines/", {"name": name, "funnel_stages": ["activation"]},
                 format="json")
    assert r.status_code == 201, r.json()
    return r.json()["code"]


def _experiment(api, engine_name="Trials", **kw):
    r = api.post("/api/v1/experiments/", {**EXP, "engine": _engine(api, engine_name), **kw},
                 format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_create_experiment_computes_ice_and_sample(api):
    body = _experiment(api)
    assert body["ice_score"] == 432 and body["required_sample"] == 14751
    assert [v["key"] for v in body["variants"]] == ["control", "treatment"]


def test_bad_input_answers_400_with_field_errors_and_writes_nothing(api):
    r = api.post("/api/v1/experiments/", {**EXP, "impact": 11, "variants": [
        {"key": "a", "share": 0.7, "is_control": True}, {"key": "b", "share": 0.7}]},
        format="json")
    assert r.status_code == 400 and "impact" in r.json()["error"]["fields"]
    r = api.post("/api/v1/experiments/", {**EXP, "variants": [
        {"key": "a", "share": 0.7, "is_control": True}, {"key": "b", "share": 0.7}]},
        format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["variants"] == ["Traffic shares must add up to 100 %."]
    r = api.post("/api/v1/insights/", {"source": "gossip", "text": ""}, format="json")
    assert r.status_code == 400 and {"source", "text"} <= set(r.json()["error"]["fields"])
    assert not Experiment.objects.exists() and not Insight.objects.exists()


def test_results_bulk_idempotent_analysis_and_gate(api):
    exp = _experiment(api)
    code = exp["code"]
    for to in ("planned", "running"):
        assert api.post(f"/api/v1/experiments/{code}/status/", {"to": to},
                        format="json").status_code == 200
    rows = {"rows": [
        {"variant": "control", "metric": "signup", "date": "2026-03-05", "n": 1000, "sum": 100},
        {"variant": "treatment", "metric": "signup", "date": "2026-03-05", "n": 1000,
         "sum": 130}]}
    for _ in range(2):
        r = api.post(f"/api/v1/experiments/{code}/results/", rows, format="json",
                     HTTP_IDEMPOTENCY_KEY="day-5")
        assert r.status_code == 200 and r.json() == {"rows": 2}
    assert r["Idempotent-Replayed"] == "true"
    assert ExperimentResult.objects.count() == 2
    assert AuditEntry.objects.filter(action="experiment.results").count() == 1
    bad = {"rows": [{**rows["rows"][0], "date": "2026-03-06"},
                    {"variant": "nope", "metric": "signup", "date": "2026-03-06", "n": 5,
                     "sum": 9}]}
    r = api.post(f"/api/v1/experiments/{code}/results/", bad, format="json")
    assert r.status_code == 400
    errs = r.json()["error"]["fields"]["rows"]
    assert errs[0]["index"] == 1 and set(errs[0]["errors"]) == {"variant"}
    assert ExperimentResult.objects.count() == 2

    a = api.get(f"/api/v1/experiments/{code}/analysis/").json()
    row = a["metrics"][0]["variants"][0]
    assert row["effect"] == pytest.approx(0.3) and row["p_value"] == pytest.approx(0.0654,
                                                                                  abs=1e-4)
    assert a["gate"]["allowed"] is False and a["gate"]["reason"] == "too_early"
    # the owner is an admin, but calling it early still needs a written reason
    r = api.post(f"/api/v1/experiments/{code}/decision/", {"decision": "win", "reason": "lift"},
                 format="json")
    assert r.status_code == 400 and "Too early" in r.json()["error"]["fields"]["decision"][0]


def test_outsider_gets_404_and_viewer_403(api, outsider_api, workspace, client_for,
                                          add_member):
    code = _experiment(api)["code"]
    for url in (f"/api/v1/experiments/{code}/", f"/api/v1/experiments/{code}/analysis/"):
        assert outsider_api.get(url).status_code == 404
    r = outsider_api.post(f"/api/v1/experiments/{code}/decision/",
                          {"decision": "win", "reason": "x"}, format="json")
    assert r.status_code == 404
    viewer = client_for(add_member("viewer"))
    assert viewer.get(f"/api/v1/experiments/{code}/",
                      HTTP_X_WORKSPACE=workspace.slug).status_code == 200
    r = viewer.post(f"/api/v1/experiments/{code}/decision/", {"decision": "win", "reason": "x"},
                    content_type="application/json", HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 403
    marketer = client_for(add_member("marketer"))
    r = marketer.post(f"/api/v1/experiments/{code}/decision/",
                      {"decision": "win", "reason": "x"}, content_type="application/json",
                      HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 403  # marketers run experiments; they do not decide them


def test_list_query_counts_are_pinned(api):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    _experiment(api)
    api.post("/api/v1/insights/", {"source": "survey", "text": "first"}, format="json")
    few = {u: count(u) for u in ("/api/v1/experiments/", "/api/v1/insights/", "/api/v1/engines/",
                                 "/api/v1/variants/")}
    for i in range(3):  # four engines in all: a fifth would ask "are you sure?"
        _experiment(api, engine_name=f"E{i}", key=f"k{i}", title=f"T{i}")
        api.post("/api/v1/insights/", {"source": "survey", "text": f"i{i}"}, format="json")
    many = {u: count(u) for u in few}
    assert many == few
