"""The CRM REST API: CRUD, stage moves and consent, 400s with nothing written, 403 per role,
404 across workspaces, and query-count pins on list endpoints."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm import services
from crm.models import (
    Account,
    Consent,
    Contact,
    Event,
    LeadFeedback,
    LifecycleStage,
    Order,
    Persona,
    Segment,
    StageChange,
)
from crm.channels.services import ensure_default_channels
from mos.actors import Actor
from mos.models import AuditEntry, Membership
from mos.roles import Role

URL = "/api/v1/contacts/"


def session_api(user):
    c = APIClient()
    c.force_login(user)
    return c


@pytest.fixture
def actor(owner_actor):
    return owner_actor


@pytest.fixture
def contact(actor):
    return services.contact_create(actor=actor, email="layla@x.test", name="Layla",
                                   stage="lead")


def err_fields(resp):
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["error"]["code"] == "invalid"
    return body["error"]["fields"]


# --- contacts CRUD -----------------------------------------------------------------------

def test_create_contact_with_references_by_code_key_and_email(api, actor, workspace,
                                                             add_member):
    rep = add_member(Role.SALES_REP)
    ensure_default_channels(workspace)
    persona = services.persona_create(actor=actor, name="Ops")
    account = services.account_create(actor=actor, name="Big Co")
    resp = api.post(URL, {"email": "New@X.test", "name": "New", "stage": "mql",
                          "persona": str(persona.code), "account": str(account.code),
                          "owner": "SALES_REP@acme.test", "source_channel": "paid_search",
                          "properties": {"tier": "gold"}}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["email"] == "new@x.test"
    assert body["persona"] == str(persona.code) and body["account"] == str(account.code)
    assert body["owner"] == "sales_rep@acme.test" and body["source_channel"] == "paid_search"
    assert body["stage"] == "mql" and "id" not in body
    c = Contact.objects.get(code=body["code"])
    assert (c.workspace, c.owner, c.persona) == (workspace, rep, persona)
    assert list(StageChange.objects.filter(contact=c).values_list("from_stage", "to_stage")) \
        == [("", "mql")]
    entry = AuditEntry.objects.get(action="contact.create")
    assert entry.api_key is not None and entry.workspace == workspace


@pytest.mark.parametrize("payload, field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@x.test", "persona": str(uuid.uuid4())}, "persona"),
    ({"email": "a@x.test", "persona": "nope"}, "persona"),
    ({"email": "a@x.test", "owner": "stranger@nowhere.test"}, "owner"),
    ({"email": "a@x.test", "source_channel": "no_such_channel"}, "source_channel"),
    ({"email": "a@x.test", "stage": "king"}, "stage"),
    ({"email": "a@x.test", "customer_type": "grumpy"}, "customer_type"),
    ({"email": "layla@x.test"}, "email"),  # duplicate of the fixture contact
])
def test_create_contact_bad_input_is_400_and_nothing_written(api, contact, payload, field):
    before = (Contact.objects.count(), StageChange.objects.count(), AuditEntry.objects.count())
    fields = err_fields(api.post(URL, payload, format="json"))
    assert field in fields
    assert (Contact.objects.count(), StageChange.objects.count(),
            AuditEntry.objects.count()) == before


def test_foreign_persona_code_is_400(api, contact, outsider, other_workspace):
    foreign = services.persona_create(
        actor=Actor.for_member(Membership.objects.get(user=outsider)), name="Theirs")
    fields = err_fields(api.patch(f"{URL}{contact.code}/", {"persona": str(foreign.code)},
                                  format="json"))
    assert "persona" in fields
    contact.refresh_from_db()
    assert contact.persona is None


def test_retrieve_contact_detail_has_history_consent_and_activity(api, actor, contact,
                                                                  workspace):
    services.contact_change_stage(actor=actor, contact=contact, to_stage="mql")
    services.consent_record(actor=actor, contact=contact, channel="email", status="granted")
    now = timezone.now()
    for i in range(25):
        Event.objects.create(workspace=workspace, contact=contact, name=f"e{i}",
                             occurred_at=now - timezone.timedelta(minutes=i))
    Order.objects.create(workspace=workspace, contact=contact, amount=99, currency="SAR",
                         occurred_at=now)
    body = api.get(f"{URL}{contact.code}/").json()
    assert [(s["from_stage"], s["to_stage"]) for s in body["stage_history"]] == [
        ("", "lead"), ("lead", "mql")]
    assert body["consent"]["email"]["status"] == "granted"
    assert body["consent"]["sms"] is None
    assert len(body["recent_events"]) == 20 and body["recent_events"][0]["name"] == "e0"
    assert body["recent_orders"][0]["amount"] == "99.00"


def test_patch_contact_updates_and_refuses_stage(api, contact):
    resp = api.patch(f"{URL}{contact.code}/", {"city": "Riyadh"}, format="json")
    assert resp.status_code == 200 and resp.json()["city"] == "Riyadh"
    fields = err_fields(api.patch(f"{URL}{contact.code}/", {"stage": "customer",
                                                            "city": "Jeddah"}, format="json"))
    assert "stage" in fields
    contact.refresh_from_db()
    assert (contact.stage, contact.city) == ("lead", "Riyadh")


def test_put_is_not_allowed(api, contact):
    assert api.put(f"{URL}{contact.code}/", {"email": "a@b.test"},
                   format="json").status_code == 405


def test_delete_contact(api, contact):
    assert api.delete(f"{URL}{contact.code}/").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert AuditEntry.objects.filter(action="contact.delete").exists()


def test_stage_action_moves_forward_and_backward(api, actor, contact):
    url = f"{URL}{contact.code}/stage/"
    for stage in ["customer", "churned", "customer"]:
        resp = api.post(url, {"to_stage": stage, "reason": "r"}, format="json")
        assert resp.status_code == 201, resp.content
    assert resp.json()["from_stage"] == "churned" and resp.json()["to_stage"] == "customer"
    contact.refresh_from_db()
    assert contact.stage == "customer"
    assert StageChange.objects.filter(contact=contact).count() == 4
    # same stage → 400, nothing written
    assert "to_stage" in err_fields(api.post(url, {"to_stage": "customer"}, format="json"))
    assert "to_stage" in err_fields(api.post(url, {"to_stage": "emperor"}, format="json"))
    assert StageChange.objects.filter(contact=contact).count() == 4


def test_consent_action_appends(api, contact):
    url = f"{URL}{contact.code}/consent/"
    assert api.post(url, {"channel": "sms", "status": "granted", "source": "form"},
                    format="json").status_code == 201
    assert api.post(url, {"channel": "sms", "status": "withdrawn"},
                    format="json").status_code == 201
    assert Consent.objects.filter(contact=contact).count() == 2
    assert api.get(f"{URL}{contact.code}/").json()["consent"]["sms"]["status"] == "withdrawn"
    fields = err_fields(api.post(url, {"channel": "pigeon", "status": "granted"},
                                 format="json"))
    assert "channel" in fields
    assert Consent.objects.filter(contact=contact).count() == 2


# --- list, filters, pagination, query counts ---------------------------------------------------

def test_list_filters(api, actor, workspace, add_member):
    rep = add_member(Role.SALES_REP)
    ensure_default_channels(workspace)
    from crm.channels.selectors import channel_by_key

    seo = channel_by_key(workspace, "seo")
    persona = services.persona_create(actor=actor, name="Ops")
    services.contact_create(actor=actor, email="a@x.test", name="Alice Haddad", stage="lead",
                            persona=persona, owner=rep, source_channel=seo)
    services.contact_create(actor=actor, email="b@x.test", name="Bob", stage="mql",
                            customer_type="loyal")
    seg = services.segment_create(actor=actor, name="MQLs", filters={"stage": ["mql"]})

    def emails(**params):
        resp = api.get(URL, params)
        assert resp.status_code == 200, resp.content
        return sorted(r["email"] for r in resp.json()["results"])

    assert emails() == ["a@x.test", "b@x.test"]
    assert emails(q="hadd") == ["a@x.test"]
    assert emails(stage="mql") == ["b@x.test"]
    assert emails(stage="lead,mql") == ["a@x.test", "b@x.test"]
    assert emails(persona=str(persona.code)) == ["a@x.test"]
    assert emails(customer_type="loyal") == ["b@x.test"]
    assert emails(channel="seo") == ["a@x.test"]
    assert emails(owner="sales_rep@acme.test") == ["a@x.test"]
    assert emails(owner="none") == ["b@x.test"]
    assert emails(segment=str(seg.code)) == ["b@x.test"]
    assert emails(persona=str(uuid.uuid4())) == []
    assert "stage" in err_fields(api.get(URL, {"stage": "king"}))
    assert "persona" in err_fields(api.get(URL, {"persona": "not-a-uuid"}))


def test_list_is_cursor_paginated(api, actor):
    for i in range(5):
        services.contact_create(actor=actor, email=f"c{i}@x.test")
    page1 = api.get(URL, {"page_size": 2}).json()
    assert [r["email"] for r in page1["results"]] == ["c4@x.test", "c3@x.test"]
    page2 = api.get(page1["next"]).json()
    assert [r["email"] for r in page2["results"]] == ["c2@x.test", "c1@x.test"]


def _many_contacts(actor, workspace, n):
    ensure_default_channels(workspace)
    from crm.channels.selectors import channel_by_key
    from crm.channels.services import campaign_create

    ch = channel_by_key(workspace, "email")
    camp = campaign_create(actor=actor, channel=ch, name="Spring")
    persona = services.persona_create(actor=actor, name="Ops")
    account = services.account_create(actor=actor, name="Big")
    owner = actor.user
    for i in range(n):
        services.contact_create(actor=actor, email=f"m{i}@x.test", persona=persona,
                                account=account, owner=owner, source_channel=ch,
                                source_campaign=camp, stage="lead")


def test_contact_list_query_count_is_flat(api, actor, workspace,
                                          django_assert_max_num_queries):
    _many_contacts(actor, workspace, 30)
    api.get(URL)  # warm the key's last-used stamp
    # key lookup, contacts page
    with django_assert_max_num_queries(3):
        resp = api.get(URL, {"page_size": 30})
    assert len(resp.json()["results"]) == 30
    assert resp.json()["results"][0]["source_campaign"] is not None


def test_contact_detail_query_count(api, actor, workspace, django_assert_max_num_queries):
    _many_contacts(actor, workspace, 1)
    c = Contact.objects.get(email="m0@x.test")
    api.get(f"{URL}{c.code}/")
    with django_assert_max_num_queries(7):
        assert api.get(f"{URL}{c.code}/").status_code == 200


# --- roles, keys, tenancy --------------------------------------------------------------------

def test_viewer_reads_but_cannot_write(add_member, contact):
    viewer = session_api(add_member(Role.VIEWER))
    assert viewer.get(URL).status_code == 200
    assert viewer.post(URL, {"email": "v@x.test"}, format="json").status_code == 403
    assert viewer.patch(f"{URL}{contact.code}/", {"city": "X"},
                        format="json").status_code == 403
    assert viewer.post(f"{URL}{contact.code}/stage/", {"to_stage": "mql"},
                       format="json").status_code == 403
    assert viewer.delete(f"{URL}{contact.code}/").status_code == 403
    assert Contact.objects.count() == 1 and StageChange.objects.count() == 1


def test_marketer_session_can_write(member, contact):
    c = session_api(member)
    assert c.post(URL, {"email": "m@x.test"}, format="json").status_code == 201


def test_sales_rep_cannot_list_contacts(add_member, contact):
    rep = session_api(add_member(Role.SALES_REP))
    assert rep.get(URL).status_code == 403
    assert rep.get(f"{URL}{contact.code}/").status_code == 403


def test_read_key_cannot_write(api_key_for, workspace, contact):
    read = api_key_for(workspace, "read")
    assert read.get(URL).status_code == 200
    assert read.post(URL, {"email": "r@x.test"}, format="json").status_code == 403
    assert read.post(f"{URL}{contact.code}/consent/", {"channel": "email",
                                                       "status": "granted"},
                     format="json").status_code == 403
    assert Contact.objects.count() == 1 and not Consent.objects.exists()


def test_outsider_key_gets_404_on_our_contact(outsider_api, contact):
    assert outsider_api.get(f"{URL}{contact.code}/").status_code == 404
    assert outsider_api.patch(f"{URL}{contact.code}/", {"city": "X"},
                              format="json").status_code == 404
    assert outsider_api.post(f"{URL}{contact.code}/stage/", {"to_stage": "mql"},
                             format="json").status_code == 404
    assert outsider_api.delete(f"{URL}{contact.code}/").status_code == 404
    assert outsider_api.get(URL).json()["results"] == []
    contact.refresh_from_db()
    assert (contact.stage, contact.city) == ("lead", "")


def test_malformed_code_is_404(api):
    assert api.get(f"{URL}not-a-uuid/").status_code == 404


# --- accounts, personas, segments, lifecycle stages ------------------------------------------

@pytest.mark.parametrize("path, model, payload, patch", [
    ("/api/v1/accounts/", Account, {"name": "Big Co", "plan": "pro"}, {"industry": "Retail"}),
    ("/api/v1/personas/", Persona, {"name": "Ops", "needs": "speed"}, {"objections": "cost"}),
    ("/api/v1/segments/", Segment, {"name": "MQLs", "filters": {"stage": ["mql"]}},
     {"description": "hot"}),
])
def test_simple_crud(api, outsider_api, path, model, payload, patch):
    resp = api.post(path, payload, format="json")
    assert resp.status_code == 201, resp.content
    code = resp.json()["code"]
    assert api.get(path).json()["results"][0]["code"] == code
    key, value = next(iter(patch.items()))
    assert api.patch(f"{path}{code}/", patch, format="json").json()[key] == value
    assert api.get(f"{path}{code}/").json()[key] == value
    assert outsider_api.get(f"{path}{code}/").status_code == 404
    assert "name" in err_fields(api.post(path, {"name": ""}, format="json"))
    assert model.objects.count() == 1
    assert api.delete(f"{path}{code}/").status_code == 204
    assert model.objects.count() == 0


def test_segment_detail_members_and_bad_filters(api, actor):
    for i, stage in enumerate(["mql", "mql", "lead"]):
        services.contact_create(actor=actor, email=f"s{i}@x.test", stage=stage)
    seg = api.post("/api/v1/segments/", {"name": "MQLs", "filters": {"stage": ["mql"]}},
                   format="json").json()
    assert "member_count" not in seg
    detail = api.get(f"/api/v1/segments/{seg['code']}/").json()
    assert detail["member_count"] == 2
    members = api.get(f"/api/v1/segments/{seg['code']}/members/").json()
    assert sorted(m["email"] for m in members["results"]) == ["s0@x.test", "s1@x.test"]
    fields = err_fields(api.post("/api/v1/segments/", {"name": "Bad", "filters": {
        "stage": ["king"], "colour": ["red"]}}, format="json"))
    assert set(fields["filters"]) == {"stage", "colour"}
    assert Segment.objects.count() == 1


def test_lifecycle_stages_list_and_update(api, api_key_for, workspace):
    resp = api.get("/api/v1/lifecycle-stages/")
    assert [s["key"] for s in resp.json()][:3] == ["subscriber", "lead", "mql"]
    resp = api.patch("/api/v1/lifecycle-stages/mql/", {"name": "MQL",
                                                       "definition": "Asked for a demo."},
                     format="json")
    assert resp.status_code == 200, resp.content
    row = LifecycleStage.objects.get(workspace=workspace, key="mql")
    assert (row.name, row.definition) == ("MQL", "Asked for a demo.")
    assert "name" in err_fields(api.patch("/api/v1/lifecycle-stages/mql/", {"name": ""},
                                          format="json"))
    assert api.patch("/api/v1/lifecycle-stages/king/", {"name": "X"},
                     format="json").status_code == 404
    read = api_key_for(workspace, "read")
    assert read.patch("/api/v1/lifecycle-stages/mql/", {"name": "Y"},
                      format="json").status_code == 403
    row.refresh_from_db()
    assert row.name == "MQL"


def test_simple_lists_query_counts(api, actor, django_assert_max_num_queries):
    for i in range(10):
        services.account_create(actor=actor, name=f"A{i}")
        services.persona_create(actor=actor, name=f"P{i}")
        services.segment_create(actor=actor, name=f"S{i}", filters={"stage": ["lead"]})
    api.get("/api/v1/lifecycle-stages/")
    for path in ["/api/v1/accounts/", "/api/v1/personas/", "/api/v1/segments/",
                 "/api/v1/lifecycle-stages/"]:
        with django_assert_max_num_queries(3):
            assert api.get(path).status_code == 200


# --- leads and lead feedback -------------------------------------------------------------------

@pytest.fixture
def rep(add_member):
    return add_member(Role.SALES_REP)


@pytest.fixture
def lead(actor, rep):
    return services.contact_create(actor=actor, email="lead@x.test", owner=rep, stage="sql")


def test_rep_sees_only_their_open_leads(rep, lead, actor, add_member,
                                        django_assert_max_num_queries):
    other = add_member(Role.SALES_REP, email="rep2@acme.test")
    services.contact_create(actor=actor, email="theirs@x.test", owner=other, stage="sql")
    services.contact_create(actor=actor, email="won@x.test", owner=rep, stage="customer")
    ensure_default_channels(actor.workspace)
    from crm.channels.selectors import channel_by_key

    for i in range(10):
        services.contact_create(actor=actor, email=f"l{i}@x.test", owner=rep, stage="mql",
                                source_channel=channel_by_key(actor.workspace, "seo"),
                                account=services.account_create(actor=actor, name=f"A{i}"))
    c = session_api(rep)
    c.get("/api/v1/leads/")
    # session, user, the user's workspaces, membership, leads page
    with django_assert_max_num_queries(5):
        resp = c.get("/api/v1/leads/")
    emails = [r["email"] for r in resp.json()["results"]]
    assert emails == [f"l{i}@x.test" for i in range(9, -1, -1)] + ["lead@x.test"]
    assert c.get(f"/api/v1/leads/{lead.code}/").status_code == 200
    theirs = Contact.objects.get(email="theirs@x.test")
    assert c.get(f"/api/v1/leads/{theirs.code}/").status_code == 404


def test_viewer_has_no_leads_endpoint(add_member, lead):
    assert session_api(add_member(Role.VIEWER)).get("/api/v1/leads/").status_code == 403


def test_rep_gives_feedback_on_own_lead_only(rep, lead, actor, add_member):
    c = session_api(rep)
    url = "/api/v1/lead-feedback/"
    resp = c.post(url, {"contact": str(lead.code), "quality": 4, "outcome": "accepted",
                        "reason": "budget"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["rep"] == "sales_rep@acme.test"
    other = add_member(Role.SALES_REP, email="rep2@acme.test")
    not_mine = services.contact_create(actor=actor, email="x@x.test", owner=other,
                                       stage="sql")
    assert c.post(url, {"contact": str(not_mine.code), "quality": 2, "outcome": "rejected"},
                  format="json").status_code == 403
    assert "quality" in err_fields(c.post(url, {"contact": str(lead.code), "quality": 9,
                                                "outcome": "accepted"}, format="json"))
    assert "contact" in err_fields(c.post(url, {"contact": str(uuid.uuid4()), "quality": 3,
                                                "outcome": "accepted"}, format="json"))
    assert LeadFeedback.objects.count() == 1
    # a rep does not read the whole feedback log; the marketing team does
    assert c.get(url).status_code == 403


def test_feedback_list_for_crm_users_and_forbidden_for_marketer_writes(member, rep, lead,
                                                                       actor, api,
                                                                       django_assert_max_num_queries):
    for q in (3, 4, 5):
        services.lead_feedback_create(actor=actor, contact=lead, quality=q, outcome="accepted")
    m = session_api(member)
    with django_assert_max_num_queries(5):
        resp = m.get("/api/v1/lead-feedback/")
    assert [r["quality"] for r in resp.json()["results"]] == [5, 4, 3]
    assert m.get("/api/v1/lead-feedback/", {"contact": str(uuid.uuid4())}).json()[
        "results"] == []
    # marketers lack leads.feedback
    assert m.post("/api/v1/lead-feedback/", {"contact": str(lead.code), "quality": 3,
                                             "outcome": "accepted"},
                  format="json").status_code == 403


def test_outsider_cannot_see_feedback_or_leads(outsider_api, lead, actor):
    fb = services.lead_feedback_create(actor=actor, contact=lead, quality=3,
                                       outcome="accepted")
    assert outsider_api.get(f"/api/v1/lead-feedback/{fb.code}/").status_code == 404
    assert outsider_api.get(f"/api/v1/leads/{lead.code}/").status_code == 404
    resp = outsider_api.post("/api/v1/lead-feedback/", {"contact": str(lead.code),
                                                        "quality": 3, "outcome": "accepted"},
                             format="json")
    assert resp.status_code == 400 and "contact" in resp.json()["error"]["fields"]
    assert LeadFeedback.objects.count() == 1


def test_keys_and_crm_users_may_name_a_rep_but_reps_may_not(api, rep, lead, actor,
                                                            add_member):
    other = add_member(Role.SALES_REP, email="rep2@acme.test")
    services.contact_create(actor=actor, email="theirs@x.test", owner=other, stage="mql")
    emails = lambda c, **p: sorted(r["email"] for r in  # noqa: E731
                                   c.get("/api/v1/leads/", p).json()["results"])
    assert emails(api) == ["lead@x.test", "theirs@x.test"]  # a key is not a person
    assert emails(api, owner="rep2@acme.test") == ["theirs@x.test"]
    assert api.get(f"/api/v1/leads/{lead.code}/").status_code == 200
    rep_client = session_api(rep)
    assert emails(rep_client, owner="rep2@acme.test") == ["lead@x.test"]  # ignored
    assert api.post("/api/v1/leads/", {}, format="json").status_code == 405


def test_segment_members_query_count_is_flat(api, actor, workspace,
                                             django_assert_max_num_queries):
    _many_contacts(actor, workspace, 25)
    seg = services.segment_create(actor=actor, name="Leads", filters={"stage": ["lead"]})
    url = f"/api/v1/segments/{seg.code}/members/"
    api.get(url)
    # key lookup, segment, members page
    with django_assert_max_num_queries(3):
        resp = api.get(url)
    assert len(resp.json()["results"]) == 25
