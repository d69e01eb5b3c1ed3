"""The metrics API: values, the registry, metric runs."""

from __future__ import annotations

from datetime import date

import pytest

from engines.models import MetricRun, MetricValue
from mos.models import AuditEntry
from mos.roles import Role

URL = "/api/v1/metrics/"


@pytest.fixture
def values(workspace, other_workspace):
    rows = [MetricValue(workspace=workspace, key="spend", grain="month", period=date(2026, m, 1),
                        value=100.0 * m) for m in (1, 2, 3)]
    rows += [MetricValue(workspace=workspace, key="spend", grain="month",
                         period=date(2026, 2, 1), dimension="channel",
                         dimension_value=ch, value=v) for ch, v in (("google_ads", 150.0),
                                                                   ("newsletter", 50.0))]
    rows += [MetricValue(workspace=workspace, key="spend", grain="week", period=date(2026, 2, 2),
                         value=7.0),
             MetricValue(workspace=workspace, key="cac", grain="month", period=date(2026, 2, 1),
                         value=90.0),
             MetricValue(workspace=other_workspace, key="spend", grain="month",
                         period=date(2026, 2, 1), value=999.0)]
    MetricValue.objects.bulk_create(rows)


def results(resp):
    assert resp.status_code == 200, resp.content
    return [(r["period"], r["dimension_value"], r["value"]) for r in resp.json()["results"]]


def test_values_filtered_by_key_grain_range_and_dimension(api, values):
    assert results(api.get(URL, {"key": "spend", "grain": "month", "dimension": ""})) == [
        ("2026-01-01", "", 100.0), ("2026-02-01", "", 200.0), ("2026-03-01", "", 300.0)]
    assert results(api.get(URL, {"key": "spend", "grain": "month", "from": "2026-02-01",
                                 "to": "2026-02-28", "dimension": "channel"})) == [
        ("2026-02-01", "google_ads", 150.0), ("2026-02-01", "newsletter", 50.0)]
    assert results(api.get(URL, {"key": "spend", "dimension": "channel",
                                 "dimension_value": "newsletter"})) == [
        ("2026-02-01", "newsletter", 50.0)]
    assert results(api.get(URL, {"key": "spend", "grain": "week"})) == [("2026-02-02", "", 7.0)]


def test_values_never_show_another_workspace(outsider_api, values):
    assert results(outsider_api.get(URL, {"key": "spend"})) == [("2026-02-01", "", 999.0)]


def test_values_paginate_with_a_cursor(api, values):
    first = api.get(URL, {"key": "spend", "grain": "month", "dimension": "",
                          "page_size": 2}).json()
    assert [r["period"] for r in first["results"]] == ["2026-01-01", "2026-02-01"]
    second = api.get(first["next"]).json()
    assert [r["period"] for r in second["results"]] == ["2026-03-01"]
    assert second["next"] is None


@pytest.mark.parametrize("params, field", [
    ({}, "key"),
    ({"key": "no_such_metric"}, "key"),
    ({"key": "spend", "grain": "year"}, "grain"),
    ({"key": "spend", "from": "2026-13-01"}, "from"),
    ({"key": "spend", "to": "yesterday"}, "to"),
    ({"key": "spend", "from": "2026-03-01", "to": "2026-02-01"}, "to"),
    ({"key": "spend", "dimension": "planet"}, "dimension"),
])
def test_bad_filters_answer_400_with_the_field(api, values, params, field):
    r = api.get(URL, params)
    assert r.status_code == 400
    assert field in r.json()["error"]["fields"]


def test_a_role_without_metrics_view_gets_403(workspace, add_member, client_for, values):
    rep = client_for(add_member(Role.SALES_REP))
    r = rep.get(URL, {"key": "spend"}, HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 403


def test_metric_keys_list_the_registry(api):
    rows = api.get("/api/v1/metric-keys/").json()
    by_key = {r["key"]: r for r in rows}
    assert by_key["cac"]["direction"] == "down" and by_key["cac"]["unit"] == "currency"
    assert by_key["cac"]["family"] == "economics"
    assert by_key["cac.markov"]["model"] == "markov"
    assert "Markov" in by_key["cac.markov"]["label"]
    assert by_key["leads"]["direction"] == "up"


def test_post_metric_run_starts_a_run_and_answers_202(api, workspace):
    r = api.post("/api/v1/metric-runs/", {}, format="json")
    assert r.status_code == 202, r.content
    body = r.json()
    run = MetricRun.objects.get(code=body["code"])
    assert run.workspace == workspace and run.trigger == "api"
    assert body["status"] == "succeeded"  # eager in tests: computed before the answer
    assert AuditEntry.objects.filter(workspace=workspace, action="metrics.recompute").exists()
    listed = api.get("/api/v1/metric-runs/").json()["results"]
    assert [x["code"] for x in listed] == [body["code"]]
    detail = api.get(f"/api/v1/metric-runs/{body['code']}/").json()
    assert detail["window_end"] is not None and detail["progress"] == 100


def test_post_while_a_run_is_active_returns_that_run(api, workspace):
    pending = MetricRun.objects.create(workspace=workspace, trigger="nightly")
    r = api.post("/api/v1/metric-runs/", {}, format="json")
    assert r.status_code == 202 and r.json()["code"] == str(pending.code)
    assert MetricRun.objects.filter(workspace=workspace).count() == 1


def test_recompute_needs_metrics_recompute(workspace, add_member, client_for, api_key_for):
    marketer = client_for(add_member(Role.MARKETER))
    r = marketer.post("/api/v1/metric-runs/", {}, HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 403
    assert api_key_for(workspace, "read").post("/api/v1/metric-runs/").status_code == 403
    assert not MetricRun.objects.exists()


def test_outsider_cannot_read_a_run(outsider_api, workspace):
    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    assert outsider_api.get(f"/api/v1/metric-runs/{run.code}/").status_code == 404


def test_value_list_query_count_is_flat(api, workspace, django_assert_max_num_queries):
    MetricValue.objects.bulk_create([
        MetricValue(workspace=workspace, key="spend", grain="day", period=date(2026, 1, d),
                    value=d) for d in range(1, 29)])
    with django_assert_max_num_queries(8):
        r = api.get(URL, {"key": "spend", "grain": "day"})
    assert len(r.json()["results"]) == 28
