"""Issue 12: the KPI form lists the metrics grouped by family with each one's definition,
snaps a target's period to the grain's start, and KPIs are reordered with plain buttons."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from engines import services
from engines.models import KPI, KPITarget
from engines.metrics.registry import REGISTRY

pytestmark = pytest.mark.django_db


def test_metric_list_is_grouped_by_family_with_definitions(owner_client, workspace):
    body = owner_client.get(reverse("kpi_create", args=[workspace.slug])).content.decode()
    select = body[body.index('name="metric_key"'):]
    select = select[:select.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[:3] == ["Acquisition", "Funnel", "Unit economics"]
    assert len(re.findall(r"<option ", select)) == len(REGISTRY)  # every metric, once
    # CAC sits under unit economics or acquisition, not at a random place in one long list
    # each metric says what it is, in words a marketer reads (a ratio's parts only as a fallback)
    text = body.replace("&#x27;", "'").replace("&quot;", '"')
    for d in REGISTRY.values():
        assert str(d.description) in text, d.key
    assert "What each metric means" in body
    # the channel and segment fields carry the class the scope's CSS shows or hides
    assert 'class="field f-channel' in body and 'class="field f-segment' in body


@pytest.mark.parametrize("grain, given, stored", [
    ("week", dt.date(2026, 3, 12), dt.date(2026, 3, 9)),       # a Thursday → its Monday
    ("month", dt.date(2026, 3, 17), dt.date(2026, 3, 1)),
    ("quarter", dt.date(2026, 8, 20), dt.date(2026, 7, 1)),    # Q3 starts on 1 July
])
def test_target_periods_snap_to_the_grain(owner_client, workspace, grain, given, stored):
    url = reverse("kpi_create", args=[workspace.slug])
    r = owner_client.post(url, {
        "name": "Revenue", "metric_key": "revenue", "scope": "workspace", "grain": grain,
        "direction": "up", "targets-TOTAL_FORMS": "1", "targets-INITIAL_FORMS": "0",
        "targets-0-period": given.isoformat(), "targets-0-target": "100"})
    assert r.status_code == 302, r.content.decode()[:500]
    t = KPITarget.objects.get()
    assert (t.period, t.target) == (stored, Decimal("100"))


def _kpi(actor, name, **kw):
    return services.kpi_create(actor=actor, name=name, metric_key="revenue", **kw)


def test_kpis_move_up_and_down_and_the_north_star_stays_first(owner_client, owner_actor,
                                                                workspace, api):
    north = _kpi(owner_actor, "North", is_north_star=True)
    a, b, c = (_kpi(owner_actor, n) for n in ("Alpha", "Bravo", "Charlie"))
    url = lambda k: reverse("kpi_move", args=[workspace.slug, k.code])  # noqa: E731

    def order():
        return [k.name for k in KPI.objects.filter(workspace=workspace)]

    assert order() == ["North", "Alpha", "Bravo", "Charlie"]
    assert owner_client.post(url(c), {"direction": "up"}).status_code == 302
    assert order() == ["North", "Alpha", "Charlie", "Bravo"]
    owner_client.post(url(a), {"direction": "down"})
    assert order() == ["North", "Charlie", "Alpha", "Bravo"]
    owner_client.post(url(c), {"direction": "up"})  # already first after the North Star
    owner_client.post(url(north), {"direction": "down"})  # the North Star does not move
    owner_client.post(url(b), {"direction": "sideways"})  # nonsense: nothing happens
    assert order() == ["North", "Charlie", "Alpha", "Bravo"]
    # the API shows the same order through `position`
    rows = api.get("/api/v1/kpis/").json()["results"]
    assert {r["name"]: r["position"] for r in rows} == {
        "North": 0, "Charlie": 1, "Alpha": 2, "Bravo": 3}
    page = owner_client.get(reverse("kpis", args=[workspace.slug])).content.decode()
    assert page.count('name="direction" value="up"') == 3


def test_only_kpi_configurers_may_move(client_for, add_member, owner_actor, workspace):
    k = _kpi(owner_actor, "Alpha")
    viewer = add_member("viewer", "v@acme.test")
    r = client_for(viewer).post(reverse("kpi_move", args=[workspace.slug, k.code]),
                                {"direction": "up"})
    assert r.status_code == 403
