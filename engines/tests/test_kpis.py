"""KPIs: the CRUD API and services (one North Star, scope checks, targets per period) and
kpi_status, the dashboard's KPI reader."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.models import Segment
from engines import selectors, services
from engines.models import KPI, KPITarget, MetricValue
from crm.models import Channel
from mos.models import AuditEntry
from mos.roles import Role

URL = "/api/v1/kpis/"


@pytest.fixture
def channel(workspace):
    return Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")


def test_create_a_channel_kpi_with_targets(api, workspace, channel):
    r = api.post(URL, {"name": "Paid CAC", "metric_key": "cac.first_touch", "scope": "channel",
                       "channel": "google_ads", "direction": "down", "target": "150",
                       "guardrail_max": "250",
                       "targets": [{"period": "2026-04-15", "target": "140"},
                                   {"period": "2026-05-01", "target": "130"}]}, format="json")
    assert r.status_code == 201, r.content
    kpi = KPI.objects.get(code=r.json()["code"])
    assert kpi.workspace == workspace and kpi.channel == channel
    assert [(t.period, t.target) for t in kpi.targets.all()] == [
        (date(2026, 4, 1), Decimal("140")), (date(2026, 5, 1), Decimal("130"))]
    assert r.json()["targets"][0] == {"period": "2026-04-01", "target": "140.0000"}
    assert r.json()["channel"] == "google_ads"
    assert AuditEntry.objects.filter(workspace=workspace, action="kpi.create").exists()


@pytest.mark.parametrize("body, field", [
    ({"metric_key": "no_such_metric"}, "metric_key"),
    ({"scope": "channel"}, "channel"),
    ({"scope": "segment"}, "segment"),
    ({"channel": "google_ads"}, "channel"),  # a workspace KPI has no channel
    ({"scope": "channel", "channel": "not_a_channel"}, "channel"),
    ({"scope": "segment", "segment": "not-a-code"}, "segment"),
    ({"guardrail_min": "10", "guardrail_max": "5"}, "guardrail_max"),
    ({"targets": [{"period": "2026-04-01", "target": "1"},
                  {"period": "2026-04-20", "target": "2"}]}, "targets"),
    ({"targets": [{"period": "someday", "target": "1"}]}, "targets"),
    ({"grain": "year"}, "grain"),
])
def test_bad_kpis_answer_400_and_write_nothing(api, channel, body, field):
    payload = {"name": "Revenue", "metric_key": "revenue", **body}
    r = api.post(URL, payload, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not KPI.objects.exists() and not KPITarget.objects.exists()


def test_a_segment_of_another_workspace_is_not_found(api, other_workspace):
    seg = Segment.objects.create(workspace=other_workspace, name="Theirs")
    r = api.post(URL, {"name": "x", "metric_key": "revenue", "scope": "segment",
                       "segment": str(seg.code)}, format="json")
    assert r.status_code == 400 and "segment" in r.json()["error"]["fields"]


def test_a_new_north_star_replaces_the_old(api, workspace):
    first = api.post(URL, {"name": "Revenue", "metric_key": "revenue",
                           "is_north_star": True}, format="json").json()
    second = api.post(URL, {"name": "Customers", "metric_key": "new_customers",
                            "is_north_star": True}, format="json")
    assert second.status_code == 201
    stars = list(KPI.objects.filter(workspace=workspace, is_north_star=True)
                 .values_list("name", flat=True))
    assert stars == ["Customers"]
    r = api.patch(f"{URL}{first['code']}/", {"is_north_star": True}, format="json")
    assert r.status_code == 200
    assert list(KPI.objects.filter(is_north_star=True).values_list("name", flat=True)) == [
        "Revenue"]


def test_update_replaces_targets_only_when_given(api, workspace):
    code = api.post(URL, {"name": "Revenue", "metric_key": "revenue",
                          "targets": [{"period": "2026-01-01", "target": "10"}]},
                    format="json").json()["code"]
    api.patch(f"{URL}{code}/", {"name": "Net revenue"}, format="json")
    kpi = KPI.objects.get(code=code)
    assert kpi.name == "Net revenue" and kpi.targets.count() == 1
    api.patch(f"{URL}{code}/", {"targets": []}, format="json")
    assert kpi.targets.count() == 0


def test_delete(api, workspace):
    code = api.post(URL, {"name": "Revenue", "metric_key": "revenue"}, format="json").json()["code"]
    assert api.delete(f"{URL}{code}/").status_code == 204
    assert not KPI.objects.exists()
    assert AuditEntry.objects.filter(workspace=workspace, action="kpi.delete").exists()


def test_roles(workspace, add_member, client_for):
    kpi = KPI.objects.create(workspace=workspace, name="Revenue", metric_key="revenue")
    marketer = client_for(add_member(Role.MARKETER))
    h = {"HTTP_X_WORKSPACE": workspace.slug}
    assert marketer.get(URL, **h).status_code == 200  # metrics.view
    r = marketer.post(URL, {"name": "x", "metric_key": "revenue"}, content_type="application/json",
                      **h)
    assert r.status_code == 403  # metrics.configure
    assert marketer.delete(f"{URL}{kpi.code}/", **h).status_code == 403
    rep = client_for(add_member(Role.SALES_REP))
    assert rep.get(URL, **h).status_code == 403
    analyst = client_for(add_member(Role.ANALYST))
    r = analyst.post(URL, {"name": "x", "metric_key": "revenue"},
                     content_type="application/json", **h)
    assert r.status_code == 201
    assert KPI.objects.count() == 2


def test_outsider_sees_no_kpi(outsider_api, workspace):
    kpi = KPI.objects.create(workspace=workspace, name="Revenue", metric_key="revenue")
    assert outsider_api.get(f"{URL}{kpi.code}/").status_code == 404
    assert outsider_api.get(URL).json()["results"] == []


def test_kpi_list_query_count_is_flat(api, workspace, channel, django_assert_max_num_queries):
    for i in range(6):
        kpi = KPI.objects.create(workspace=workspace, name=f"k{i}", metric_key="cac.linear",
                                 scope="channel", channel=channel)
        KPITarget.objects.create(kpi=kpi, period=date(2026, 1, 1), target=1)
    with django_assert_max_num_queries(9):
        r = api.get(URL)
    assert len(r.json()["results"]) == 6


# --- kpi_status --------------------------------------------------------------------------------

def mv(ws, key, period, value, grain="month", dimension="", dimension_value=""):
    MetricValue.objects.create(workspace=ws, key=key, grain=grain, period=period, value=value,
                               dimension=dimension, dimension_value=dimension_value)


def test_kpi_status_actual_target_attainment_and_trend(workspace, channel, owner_actor):
    for m in range(1, 11):
        mv(workspace, "revenue", date(2026, m, 1), 100.0 * m)
    revenue = services.kpi_create(actor=owner_actor, name="Revenue", metric_key="revenue",
                                  target=Decimal("800"), is_north_star=True,
                                  targets=[{"period": date(2026, 10, 1), "target": 1250}])
    mv(workspace, "cac.first_touch", date(2026, 10, 1), 120.0, dimension="channel",
       dimension_value="google_ads")
    services.kpi_create(actor=owner_actor, name="CAC", metric_key="cac.first_touch",
                        scope="channel", channel=channel, direction="down",
                        target=Decimal("150"), guardrail_max=Decimal("110"))
    out = {k["kpi"].name: k for k in selectors.kpi_status(workspace, date(2026, 10, 31))}
    r = out["Revenue"]
    assert r["kpi"].pk == revenue.pk
    assert r["actual"] == 1000.0 and r["target"] == 1250.0  # October's own target wins
    assert r["attainment"] == pytest.approx(0.8) and r["good"] is False
    assert r["guardrail_breach"] is False and r["unit"] == "currency"
    assert [p for p, _ in r["trend"]] == [date(2026, m, 1) for m in range(3, 11)]
    assert [v for _, v in r["trend"]] == [100.0 * m for m in range(3, 11)]
    c = out["CAC"]
    assert c["actual"] == 120.0 and c["good"] is True  # lower is better: 120 ≤ 150
    assert c["attainment"] == pytest.approx(150 / 120)
    assert c["guardrail_breach"] is True  # above the 110 ceiling
    assert c["trend"][-2] == (date(2026, 9, 1), None)


def test_kpi_status_quarter_sums_additive_months(workspace, owner_actor):
    for m, v in ((7, 10.0), (8, 20.0), (9, 30.0)):
        mv(workspace, "new_customers", date(2026, m, 1), v)
    services.kpi_create(actor=owner_actor, name="Customers", metric_key="new_customers",
                        grain="quarter", target=Decimal("50"))
    (k,) = selectors.kpi_status(workspace, date(2026, 9, 30))
    assert k["period"] == date(2026, 7, 1)
    assert k["actual"] == 60.0 and k["good"] is True
    assert k["trend"][-2] == (date(2026, 4, 1), None)


def test_kpi_status_week_uses_the_last_full_week(workspace, owner_actor):
    mv(workspace, "leads", date(2026, 10, 19), 7.0, grain="week")  # Mon 19 – Sun 25 Oct
    mv(workspace, "leads", date(2026, 10, 26), 3.0, grain="week")  # Mon 26 Oct – Sun 1 Nov
    services.kpi_create(actor=owner_actor, name="Leads", metric_key="leads", grain="week")
    (k,) = selectors.kpi_status(workspace, date(2026, 10, 31))
    assert k["period"] == date(2026, 10, 19) and k["actual"] == 7.0
    assert k["target"] is None and k["good"] is None


def test_kpi_status_reads_in_constant_queries(workspace, channel, owner_actor,
                                              django_assert_max_num_queries):
    for i in range(8):
        services.kpi_create(actor=owner_actor, name=f"k{i}", metric_key="revenue")
    with django_assert_max_num_queries(4):
        assert len(selectors.kpi_status(workspace, date(2026, 10, 31))) == 8


def test_kpi_service_rejects_a_channel_of_another_workspace(owner_actor, other_workspace):
    from django.core.exceptions import ValidationError

    theirs = Channel.objects.create(workspace=other_workspace, key="x", name="X")
    with pytest.raises(ValidationError) as e:
        services.kpi_create(actor=owner_actor, name="x", metric_key="revenue", scope="channel",
                            channel=theirs)
    assert "channel" in e.value.message_dict
    assert not KPI.objects.exists()


# --- KPIs scoped to a growth engine -----------------------------------------------------------

def test_kpi_scoped_to_an_engine_through_the_api(api, workspace, other_workspace):
    from engines.models import GrowthEngine

    engine = GrowthEngine.objects.create(workspace=workspace, name="Content")
    foreign = GrowthEngine.objects.create(workspace=other_workspace, name="Theirs")
    r = api.post(URL, {"name": "Signups", "metric_key": "revenue", "engine": str(engine.code)},
                 format="json")
    assert r.status_code == 201, r.content
    assert r.json()["engine"] == str(engine.code)
    kpi = KPI.objects.get(code=r.json()["code"])
    assert kpi.engine == engine
    assert AuditEntry.objects.get(action="kpi.create").changes["engine"] == str(engine.code)
    # another workspace's engine is not a choice
    r = api.post(URL, {"name": "x", "metric_key": "revenue", "engine": str(foreign.code)},
                 format="json")
    assert r.status_code == 400 and "engine" in r.json()["error"]["fields"]
    r = api.patch(f"{URL}{kpi.code}/", {"engine": None}, format="json")
    assert r.status_code == 200 and r.json()["engine"] is None
    kpi.refresh_from_db()
    assert kpi.engine is None


def test_kpi_form_offers_the_workspace_engines(owner_client, workspace, other_workspace):
    from engines.models import GrowthEngine

    engine = GrowthEngine.objects.create(workspace=workspace, name="Content engine")
    GrowthEngine.objects.create(workspace=other_workspace, name="Foreign engine")
    url = f"/w/{workspace.slug}/kpis/new/"
    page = owner_client.get(url).content.decode()
    assert "Content engine" in page and "Foreign engine" not in page
    r = owner_client.post(url, {"name": "Signups", "metric_key": "revenue",
                                "scope": "workspace", "grain": "month", "direction": "up",
                                "engine": str(engine.code), "targets-TOTAL_FORMS": "0",
                                "targets-INITIAL_FORMS": "0"})
    assert r.status_code == 302, r.content.decode()[:2000]
    kpi = KPI.objects.get(name="Signups")
    assert kpi.engine == engine
    edit = owner_client.get(f"/w/{workspace.slug}/kpis/{kpi.code}/").content.decode()
    assert f'value="{engine.code}" selected' in edit
