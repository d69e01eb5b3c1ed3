"""Segments, personas and the lifecycle definitions pages."""

import pytest

from crm import services
from crm.models import LifecycleStage, Persona, Segment
from mos.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner_actor):
    shop = services.persona_create(actor=owner_actor, name="Shop owner",
                                   needs="Fewer stock-outs")
    services.contact_create(actor=owner_actor, name="Amal SA lead", country="SA", stage="lead",
                            persona=shop)
    services.contact_create(actor=owner_actor, name="Bilal SA customer", country="SA",
                            stage="customer")
    services.contact_create(actor=owner_actor, name="Carla EG lead", country="EG",
                            stage="lead", persona=shop)
    return shop


def seg_url(ws, *parts):
    return f"/w/{ws.slug}/segments/" + "".join(f"{p}/" for p in parts)


def persona_url(ws, *parts):
    return f"/w/{ws.slug}/personas/" + "".join(f"{p}/" for p in parts)


# --- segments ---------------------------------------------------------------------------------

def test_create_segment_from_form_fields(owner_client, workspace, people):
    r = owner_client.post(seg_url(workspace, "new"), {
        "name": "Saudi leads", "description": "For the Riyadh campaign",
        "stages": ["lead", "mql"], "countries": "sa, "})
    assert r.status_code == 302
    seg = Segment.objects.get(workspace=workspace)
    assert seg.filters == {"stage": ["lead", "mql"], "country": ["SA"]}
    assert r["Location"] == seg_url(workspace, seg.code)
    r = owner_client.get(r["Location"])
    assert r.status_code == 200
    assert r.context["page"].total == 1
    body = r.content.decode()
    assert "Amal SA lead" in body and "Carla EG lead" not in body


def test_segment_list_shows_member_counts(owner_client, owner_actor, workspace, people):
    services.segment_create(actor=owner_actor, name="All leads", filters={"stage": ["lead"]})
    services.segment_create(actor=owner_actor, name="Shop owners",
                            filters={"persona": [str(people.code)]})
    r = owner_client.get(seg_url(workspace))
    counts = {row["segment"].name: row["count"] for row in r.context["rows"]}
    assert counts == {"All leads": 2, "Shop owners": 2}


def test_segment_bad_input_writes_nothing(owner_client, workspace, people):
    r = owner_client.post(seg_url(workspace, "new"), {"name": "", "countries": "Saudi",
                                                      "stages": ["bogus"]})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert {"name", "countries", "stages"} <= set(errors)
    assert not Segment.objects.exists()


def test_edit_segment(owner_client, owner_actor, workspace, people):
    seg = services.segment_create(actor=owner_actor, name="Leads", filters={"stage": ["lead"]})
    r = owner_client.get(seg_url(workspace, seg.code, "edit"))
    assert r.context["form"].initial["stages"] == ["lead"]
    r = owner_client.post(seg_url(workspace, seg.code, "edit"), {
        "name": "Customers", "stages": ["customer"],
        "personas": [], "customer_types": ["loyal"]})
    assert r.status_code == 302
    seg.refresh_from_db()
    assert seg.name == "Customers"
    assert seg.filters == {"stage": ["customer"], "customer_type": ["loyal"]}


def test_editing_a_segment_keeps_its_owner_and_property_filters(
        owner_client, owner_actor, owner, workspace, people):
    """The form used to rebuild the filters from its own fields only, so saving a segment made
    through the API silently dropped its owner and property filters (and its members grew)."""
    seg = services.segment_create(actor=owner_actor, name="Mine", filters={
        "stage": ["lead"], "owner": owner.email, "properties": {"tier": "gold"}})
    r = owner_client.get(seg_url(workspace, seg.code, "edit"))
    assert r.context["form"].initial["owner"] == owner.email
    assert "tier = gold" in r.content.decode()
    r = owner_client.post(seg_url(workspace, seg.code, "edit"), {
        "name": "Mine, renamed", "stages": ["lead"], "owner": owner.email})
    assert r.status_code == 302
    seg.refresh_from_db()
    assert seg.filters == {"stage": ["lead"], "owner": owner.email,
                           "properties": {"tier": "gold"}}
    # choosing "Anyone" removes the owner filter; the property filter stays
    owner_client.post(seg_url(workspace, seg.code, "edit"), {"name": "Mine", "stages": ["lead"],
                                                             "owner": ""})
    seg.refresh_from_db()
    assert seg.filters == {"stage": ["lead"], "properties": {"tier": "gold"}}


def test_segment_owner_must_be_a_member(owner_client, workspace, people):
    r = owner_client.post(seg_url(workspace, "new"), {"name": "X", "owner": "stranger@x.test"})
    assert r.status_code == 200 and "owner" in r.context["form"].errors
    assert not Segment.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_readers_cannot_create_or_edit_segments(role, add_member, client_for, workspace,
                                                owner_actor):
    seg = services.segment_create(actor=owner_actor, name="Leads", filters={})
    c = client_for(add_member(role))
    assert c.get(seg_url(workspace)).status_code == 200
    assert c.get(seg_url(workspace, seg.code)).status_code == 200
    assert c.post(seg_url(workspace, "new"), {"name": "X"}).status_code == 403
    assert c.post(seg_url(workspace, seg.code, "edit"), {"name": "X"}).status_code == 403
    assert list(Segment.objects.values_list("name", flat=True)) == ["Leads"]


def test_sales_rep_and_outsider(add_member, client_for, outsider_client, workspace,
                                owner_actor):
    seg = services.segment_create(actor=owner_actor, name="Leads", filters={})
    rep = client_for(add_member(Role.SALES_REP))
    assert rep.get(seg_url(workspace)).status_code == 403
    assert rep.get(seg_url(workspace, seg.code)).status_code == 403
    assert outsider_client.get(seg_url(workspace)).status_code == 404
    assert outsider_client.get(seg_url(workspace, seg.code)).status_code == 404


# --- personas ---------------------------------------------------------------------------------

def test_persona_list_detail_and_counts(owner_client, workspace, people):
    r = owner_client.get(persona_url(workspace))
    assert r.status_code == 200
    assert [(p.name, p.members) for p in r.context["personas"]] == [("Shop owner", 2)]
    r = owner_client.get(persona_url(workspace, people.code))
    assert r.status_code == 200
    body = r.content.decode()
    assert "Fewer stock-outs" in body and "Amal SA lead" in body
    assert "Bilal SA customer" not in body


def test_create_and_edit_persona(owner_client, workspace):
    r = owner_client.post(persona_url(workspace, "new"), {
        "name": "IT manager", "needs": "Security", "objections": "Price",
        "value_proposition": "Set up in a day"})
    assert r.status_code == 302
    p = Persona.objects.get(workspace=workspace)
    assert (p.name, p.needs) == ("IT manager", "Security")
    r = owner_client.post(persona_url(workspace, p.code, "edit"), {"name": "IT lead",
                                                                   "needs": "Audit logs"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert (p.name, p.needs, p.objections) == ("IT lead", "Audit logs", "")


def test_persona_bad_input_writes_nothing(owner_client, workspace, people):
    r = owner_client.post(persona_url(workspace, "new"), {"name": ""})
    assert r.status_code == 200 and "name" in r.context["form"].errors
    r = owner_client.post(persona_url(workspace, people.code, "edit"), {"name": "x" * 200})
    assert r.status_code == 200 and "name" in r.context["form"].errors
    assert list(Persona.objects.values_list("name", flat=True)) == ["Shop owner"]


def test_persona_permissions(add_member, client_for, outsider_client, workspace, people):
    viewer = client_for(add_member(Role.VIEWER))
    assert viewer.get(persona_url(workspace, people.code)).status_code == 200
    assert viewer.post(persona_url(workspace, "new"), {"name": "X"}).status_code == 403
    assert viewer.get(persona_url(workspace, people.code, "edit")).status_code == 403
    rep = client_for(add_member(Role.SALES_REP))
    assert rep.get(persona_url(workspace)).status_code == 403
    assert outsider_client.get(persona_url(workspace, people.code)).status_code == 404
    assert Persona.objects.count() == 1


# --- lifecycle --------------------------------------------------------------------------------

def lifecycle_url(ws):
    return f"/w/{ws.slug}/lifecycle/"


def test_lifecycle_lists_stages_with_definitions(owner_client, workspace):
    r = owner_client.get(lifecycle_url(workspace))
    assert r.status_code == 200
    keys = [row["stage"].key for row in r.context["rows"]]
    assert keys == ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "advocate",
                    "churned", "other"]
    assert [row["unified"] for row in r.context["rows"]][1:4] == [True, True, True]
    assert "Unified lead definition" in r.content.decode()


def test_growth_lead_edits_the_lead_definition(add_member, client_for, workspace):
    c = client_for(add_member(Role.GROWTH_LEAD))
    c.get(lifecycle_url(workspace))
    r = c.post(lifecycle_url(workspace), {"stage": "mql", "mql-name": "Hot lead",
                                          "mql-definition": "Visited pricing twice"})
    assert r.status_code == 302
    s = LifecycleStage.objects.get(workspace=workspace, key="mql")
    assert (s.name, s.definition) == ("Hot lead", "Visited pricing twice")
    # the new name shows wherever stages are shown
    assert "Hot lead" in c.get(lifecycle_url(workspace)).content.decode()


def _stage_name(workspace, key):
    from crm.selectors import lifecycle_stages

    return {s.key: s.name for s in lifecycle_stages(workspace)}[key]


def test_lifecycle_bad_input_writes_nothing(owner_client, workspace):
    owner_client.get(lifecycle_url(workspace))
    r = owner_client.post(lifecycle_url(workspace), {"stage": "lead", "lead-name": "",
                                                     "lead-definition": "x"})
    assert r.status_code == 200
    row = next(row for row in r.context["rows"] if row["stage"].key == "lead")
    assert "name" in row["form"].errors
    assert _stage_name(workspace, "lead") == "Lead"
    assert not LifecycleStage.objects.filter(workspace=workspace).exists()  # nothing written
    r = owner_client.post(lifecycle_url(workspace), {"stage": "nope", "nope-name": "x"})
    assert r.status_code == 302


@pytest.mark.parametrize("role", [Role.MARKETER, Role.VIEWER])
def test_lifecycle_readers_cannot_edit(role, add_member, client_for, workspace):
    c = client_for(add_member(role))
    r = c.get(lifecycle_url(workspace))
    assert r.status_code == 200 and not r.context["can_edit"]
    r = c.post(lifecycle_url(workspace), {"stage": "lead", "lead-name": "Hacked"})
    assert r.status_code == 403
    assert _stage_name(workspace, "lead") == "Lead"


def test_lifecycle_tenancy(add_member, client_for, outsider_client, workspace):
    assert client_for(add_member(Role.SALES_REP)).get(
        lifecycle_url(workspace)).status_code == 403
    assert outsider_client.get(lifecycle_url(workspace)).status_code == 404
