"""Lead scoring: the pure maths on hand-computed cases, the recompute (full and after new
events), thresholds proposing MQL / SQL moves, and the band report."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone as dt_tz

import pandas as pd
import pytest
from django.urls import reverse

from crm.models import Account, Contact, ContactScore, Event, Persona, ScoringRule, StageChange
from crm.scoring import selectors, services
from crm.scoring.compute import Rule, band_conversion, score_contacts

AS_OF = date(2026, 3, 31)


def test_property_fit_and_recency_weighted_events_by_hand():
    contacts = pd.DataFrame({"id": [1, 2, 3], "country": ["SA", "ae", ""],
                             "customer_type": ["strategic", "", "loyal"],
                             "persona__name": ["Ops manager", "", ""]})
    events = pd.DataFrame({"contact_id": [1, 1, 2, 3], "name": ["demo", "demo", "demo", "visit"],
                           "day": [AS_OF, AS_OF - timedelta(days=14), AS_OF - timedelta(days=28),
                                   AS_OF], "n": [1, 2, 1, 50]})
    rules = [Rule("property", "country", ("sa", "AE"), 10),
             Rule("fit", "customer_type", ("strategic",), 15),
             Rule("fit", "persona", (), 5),  # any persona
             Rule("event", "demo", (), 20, half_life_days=14),
             Rule("event", "visit", (), 2, half_life_days=7, max_points=30)]
    s = score_contacts(contacts, events, rules, AS_OF)
    # 1: 10 + 15 + 5 + 20·1 + 20·2·0.5 = 70
    # 2: 10 + 20·0.25 = 15
    # 3: min(50·2, 30) = 30
    assert s.to_dict() == {1: 70, 2: 15, 3: 30}


def test_score_is_clipped_to_0_100():
    contacts = pd.DataFrame({"id": [1, 2], "country": ["SA", "EG"]})
    rules = [Rule("property", "country", ("SA",), 100), Rule("property", "country", ("SA",), 30),
             Rule("property", "country", ("EG",), -40)]
    assert score_contacts(contacts, pd.DataFrame(columns=["contact_id", "name", "day", "n"]),
                          rules, AS_OF).to_dict() == {1: 100, 2: 0}


def test_band_conversion_by_hand():
    frame = pd.DataFrame({"score": [5, 10, 45, 50, 85, 90],
                          "reached_sql": [False, False, True, False, True, True],
                          "became_customer": [False, False, False, False, True, False]})
    out = band_conversion(frame).set_index("band")
    assert out.loc["0–19", "contacts"] == 2 and out.loc["0–19", "sql_rate"] == 0
    assert out.loc["40–59", "sql_rate"] == 0.5
    assert out.loc["80–100", "customer_rate"] == 0.5
    assert pd.isna(out.loc["20–39", "sql_rate"])


def score_of(contact) -> int:
    row = ContactScore.objects.filter(contact=contact).first()
    return row.score if row else 0


@pytest.fixture
def scored(workspace, owner_actor):
    persona = Persona.objects.create(workspace=workspace, name="Ops manager")
    acc = Account.objects.create(workspace=workspace, name="Big Co", size="201-1000")
    a = Contact.objects.create(workspace=workspace, name="A", stage="lead", country="SA",
                               persona=persona, account=acc, properties={"plan": "pro"})
    b = Contact.objects.create(workspace=workspace, name="B", stage="mql", country="SA")
    c = Contact.objects.create(workspace=workspace, name="C", stage="lead", country="EG")
    for kind, field, values, points in (("property", "country", ["SA"], 20),
                                        ("fit", "account_size", ["201-1000"], 20),
                                        ("property", "properties.plan", ["pro"], 10),
                                        ("fit", "persona", [], 5)):
        services.scoring_rule_create(actor=owner_actor, kind=kind, field=field, values=values,
                                     points=points)
    services.scoring_rule_create(actor=owner_actor, kind="event", field="demo_request",
                                 points=30, half_life_days=30, max_points=60)
    return a, b, c


@pytest.mark.django_db
def test_recompute_stores_scores_and_new_events_rescore(workspace, owner_actor, api, scored,
                                                        django_capture_on_commit_callbacks):
    a, b, c = scored
    services.scores_recompute(workspace)
    assert [score_of(x) for x in scored] == [55, 20, 0]  # 20 + 20 + 10 + 5; 20; 0
    today = datetime.now(dt_tz.utc).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/events/bulk", {"rows": [
            {"name": "demo_request", "contact": str(b.code), "occurred_at": today.isoformat()},
            {"name": "demo_request", "contact": str(b.code), "occurred_at": today.isoformat()}]},
            format="json")
    assert r.json()["summary"]["created"] == 2
    assert score_of(b) == 80  # 20 + min(30 + 30, 60): rescored at ingest (eager task)


@pytest.mark.django_db
def test_thresholds_propose_moves_and_accept(workspace, owner_actor, scored, owner_client):
    a, b, c = scored
    services.scores_recompute(workspace)
    ContactScore.objects.filter(contact=b).update(score=85)
    p = selectors.proposals(workspace)
    assert list(p["to_mql"]) == [a] and list(p["to_sql"]) == [b]
    r = owner_client.post(reverse("scoring_proposals", args=[workspace.slug]),
                          {"contact": [str(a.code), str(b.code), str(c.code)]})
    assert r.status_code == 302
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert (a.stage, b.stage, c.stage) == ("mql", "sql", "lead")  # c never reached 50
    assert StageChange.objects.get(contact=a, to_stage="mql").reason == "Lead score 55 ≥ 50"


@pytest.mark.django_db
def test_bad_rules_are_refused(owner_actor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as e:
        services.scoring_rule_create(actor=owner_actor, kind="fit", field="shoe_size",
                                     values=[], points=5)
    assert "field" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.scoring_rule_create(actor=owner_actor, kind="property", field="country",
                                     values=["SA"], points=0)
    assert "points" in e.value.message_dict
    assert not ScoringRule.objects.exists()


@pytest.mark.django_db
def test_rules_edit_is_for_growth_lead_and_admin(workspace, add_member, client_for):
    marketer = client_for(add_member("marketer", email="m@acme.test"))
    lead = client_for(add_member("growth_lead", email="g@acme.test"))
    url = reverse("scoring", args=[workspace.slug])
    data = {"action": "rule", "kind": "property", "field": "country", "values": "SA, AE",
            "points": "15"}
    assert marketer.get(url).status_code == 200
    assert marketer.post(url, data).status_code == 403
    assert lead.post(url, data).status_code == 302
    assert ScoringRule.objects.get().values == ["SA", "AE"]
    r = lead.post(url, {"action": "thresholds", "mql_threshold": "70", "sql_threshold": "60"})
    assert r.status_code == 200 and "above the MQL threshold" in r.text


@pytest.mark.django_db
def test_band_report_and_api(workspace, api, scored):
    a, b, c = scored
    services.scores_recompute(workspace)
    StageChange.objects.create(workspace=workspace, contact=a, from_stage="lead",
                               to_stage="customer")
    bands = {r["band"]: r for r in selectors.band_report(workspace)}
    assert bands["0–19"]["contacts"] == 1 and bands["40–59"]["customer_rate"] == 1.0
    assert bands["20–39"]["sql_rate"] == 0.0  # b is an MQL, never SQL
    r = api.get("/api/v1/scoring/bands")
    assert r.status_code == 200 and len(r.json()) == 5
    r = api.post("/api/v1/scoring-rules/", {"kind": "event", "field": "webinar",
                                            "points": 5, "half_life_days": 7}, format="json")
    assert r.status_code == 201
    r = api.post("/api/v1/scoring-rules/", {"kind": "fit", "field": "nope", "points": 5},
                 format="json")
    assert r.status_code == 400 and "field" in r.json()["error"]["fields"]
