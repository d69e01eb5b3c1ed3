"""Per-contact predictions (issue 11 §3) outside the profile: in the contacts LIST API without a
query per contact, and as segment rules ("customers with P(alive) < 0.3") in the API and the
segment form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, Segment
from engines.models import ContactPrediction


@pytest.fixture
def predicted(workspace):
    """Five contacts: four with a prediction (P(alive), expected purchases, CLV), one without."""
    rows = [("a", 0.10, 0.2, 5.0), ("b", 0.29, 0.9, 40.0), ("c", 0.30, 1.5, 80.0),
            ("d", 0.95, 3.0, 250.0)]
    out = {}
    for name, p, e, clv in rows:
        c = Contact.objects.create(workspace=workspace, external_id=name, email=f"{name}@x.io")
        ContactPrediction.objects.create(workspace=workspace, contact=c, p_alive=p,
                                         expected_purchases_12m=e, predicted_clv=clv)
        out[name] = c
    out["none"] = Contact.objects.create(workspace=workspace, external_id="none")
    return out


def test_contacts_list_carries_predictions_in_one_query(api, workspace, predicted):
    api.get("/api/v1/contacts/?limit=1")  # the API key's lookups are cached from here on
    with CaptureQueriesContext(connection) as few:
        r = api.get("/api/v1/contacts/?limit=2")
    assert r.status_code == 200
    with CaptureQueriesContext(connection) as many:
        r = api.get("/api/v1/contacts/?limit=100")
    # the same number of queries for 2 contacts as for 5: the prediction comes with the row
    assert len(many) == len(few)
    got = {c["external_id"]: c["prediction"] for c in r.json()["results"]}
    assert got["none"] is None
    assert got["b"]["p_alive"] == pytest.approx(0.29)
    assert got["d"]["expected_purchases_12m"] == pytest.approx(3.0)
    assert got["d"]["predicted_clv"] == pytest.approx(250.0)


def test_at_risk_segment_by_p_alive(api, workspace, predicted):
    r = api.post("/api/v1/segments/", {"name": "At risk", "filters": {"p_alive": {"lt": 0.3}}},
                 format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    r = api.get(f"/api/v1/segments/{code}/members/")
    members = {c["external_id"] for c in r.json()["results"]}
    # 0.10 and 0.29 are below 0.3; 0.30 is not; no prediction = not in any range
    assert members == {"a", "b"}
    assert all(c["prediction"] for c in r.json()["results"])
    # the contacts list filtered by the segment gives the same people
    r = api.get(f"/api/v1/contacts/?segment={code}")
    assert {c["external_id"] for c in r.json()["results"]} == {"a", "b"}


def test_ranges_of_expected_purchases_and_clv_combine(api, workspace, predicted):
    r = api.post("/api/v1/segments/", {"name": "Mid value", "filters": {
        "expected_purchases_12m": {"gte": 0.5}, "predicted_clv": {"gte": 40, "lt": 250}}},
        format="json")
    assert r.status_code == 201, r.content
    r = api.get(f"/api/v1/segments/{r.json()['code']}/members/")
    assert {c["external_id"] for c in r.json()["results"]} == {"b", "c"}


@pytest.mark.parametrize("bad", [{"below": 0.3}, {"lt": "0.3"}, {"lt": True}, [0.3], 0.3,
                                 {"lt": 1e300}])
def test_bad_range_is_a_field_error(api, workspace, bad):
    r = api.post("/api/v1/segments/", {"name": "x", "filters": {"p_alive": bad}},
                 format="json")
    assert r.status_code == 400
    assert not Segment.objects.filter(workspace=workspace).exists()


def test_segment_form_offers_prediction_ranges(owner_client, workspace, predicted):
    url = f"/w/{workspace.slug}/segments/new/"
    assert "P(alive): below" in owner_client.get(url).content.decode()
    r = owner_client.post(url, {"name": "Win back", "p_alive__lt": "0.3"})
    assert r.status_code == 302
    seg = Segment.objects.get(workspace=workspace)
    assert seg.filters == {"p_alive": {"lt": 0.3}}
    body = owner_client.get(r["Location"]).content.decode()
    assert "a@x.io" in body and "b@x.io" in body and "c@x.io" not in body
    assert "P(alive)" in body and "&lt; 0.3" in body
    # editing shows the saved range back
    assert 'value="0.3"' in owner_client.get(
        f"/w/{workspace.slug}/segments/{seg.code}/edit/").content.decode()
