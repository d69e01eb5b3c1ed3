"""Contacts pages: list with live search, filters, sort and keyset pages; the profile with its
timeline, stage move, consent and edit forms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm import services
from crm.models import Consent, Contact, LeadFeedback, Order, StageChange
from mos.models import AuditEntry
from mos.roles import Role

pytestmark = pytest.mark.django_db


def url(ws, name="", *parts):
    base = f"/w/{ws.slug}/contacts/"
    return base + "".join(f"{p}/" for p in parts)


@pytest.fixture
def contacts(owner_actor):
    """Three contacts, created a day apart (Amal oldest, Carla newest)."""
    now = timezone.now()
    a = services.contact_create(actor=owner_actor, name="Amal Haddad", email="amal@souq.test",
                                company="Souq Co", stage="lead",
                                created_at=now - timedelta(days=2))
    b = services.contact_create(actor=owner_actor, name="Bilal Nasser", email="bilal@x.test",
                                phone="+966500000001", stage="customer",
                                created_at=now - timedelta(days=1))
    c = services.contact_create(actor=owner_actor, name="Carla Diaz", email="carla@y.test",
                                company="Diaz Trading", stage="mql", created_at=now)
    return a, b, c


# --- permissions and tenancy -------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ADMIN, Role.GROWTH_LEAD, Role.MARKETER, Role.ANALYST,
                                  Role.VIEWER])
def test_contact_pages_render_for_crm_readers(role, workspace, add_member, client_for,
                                              contacts):
    client = client_for(add_member(role))
    r = client.get(url(workspace))
    assert r.status_code == 200
    body = r.content.decode()
    assert "Amal Haddad" in body and "Carla Diaz" in body
    r = client.get(url(workspace, "", contacts[0].code))
    assert r.status_code == 200
    assert "Amal Haddad" in r.content.decode()
    # only CRM editors see the edit controls
    can_edit = role in (Role.ADMIN, Role.GROWTH_LEAD, Role.MARKETER)
    assert ("Move stage" in r.content.decode()) is can_edit


def test_sales_rep_cannot_open_contacts(workspace, add_member, client_for, contacts):
    client = client_for(add_member(Role.SALES_REP))
    assert client.get(url(workspace)).status_code == 403
    assert client.get(url(workspace, "", contacts[0].code)).status_code == 403


def test_viewer_cannot_edit_create_or_move(workspace, add_member, client_for, contacts):
    client = client_for(add_member(Role.VIEWER))
    a = contacts[0]
    assert client.get(url(workspace, "", "new")).status_code == 403
    assert client.get(url(workspace, "", a.code, "edit")).status_code == 403
    r = client.post(url(workspace, "", a.code, "stage"), {"to_stage": "sql", "reason": "x"})
    assert r.status_code == 403
    r = client.post(url(workspace, "", a.code, "consent"),
                    {"channel": "email", "status": "granted"})
    assert r.status_code == 403
    a.refresh_from_db()
    assert a.stage == "lead" and not Consent.objects.exists()


def test_outsider_gets_404(workspace, outsider_client, contacts):
    a = contacts[0]
    assert outsider_client.get(url(workspace)).status_code == 404
    assert outsider_client.get(url(workspace, "", a.code)).status_code == 404


def test_other_workspaces_contact_is_404_inside_my_workspace(owner_client, workspace,
                                                             other_workspace, outsider):
    from mos.actors import Actor
    from mos.models import Membership

    theirs = services.contact_create(
        actor=Actor.for_member(Membership.objects.get(user=outsider)), name="Their Guy")
    assert owner_client.get(url(workspace, "", theirs.code)).status_code == 404
    r = owner_client.post(url(workspace, "", theirs.code, "stage"),
                          {"to_stage": "sql", "reason": "steal"})
    assert r.status_code == 404
    assert not StageChange.objects.filter(contact=theirs).exists()


# --- list: search, filters, sort, pages ---------------------------------------------------------

def test_live_search_partial_returns_only_matching_rows(owner_client, workspace, contacts):
    r = owner_client.get(url(workspace), {"q": "souq"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert [t.name for t in r.templates][0] == "crm/partials/contact_rows.html"
    assert "<html" not in body and 'id="contact-filters"' not in body
    assert "Amal Haddad" in body
    assert "Bilal Nasser" not in body and "Carla Diaz" not in body
    # by phone prefix, and the full page for a normal request
    r = owner_client.get(url(workspace), {"q": "+96650"}, HTTP_HX_REQUEST="true")
    assert "Bilal Nasser" in r.content.decode() and "Amal Haddad" not in r.content.decode()
    r = owner_client.get(url(workspace), {"q": "souq"})
    assert "<html" in r.content.decode() and 'id="contact-filters"' in r.content.decode()


def test_search_without_match_shows_empty_state(owner_client, workspace, contacts):
    r = owner_client.get(url(workspace), {"q": "zzz-nobody"}, HTTP_HX_REQUEST="true")
    assert "No contacts match" in r.content.decode()


def test_empty_workspace_shows_empty_state(owner_client, workspace):
    body = owner_client.get(url(workspace)).content.decode()
    assert "No contacts yet" in body and "New contact" in body


def test_filters_by_stage_persona_and_owner(owner_client, owner_actor, workspace, add_member,
                                            contacts):
    a, b, c = contacts
    rep = add_member(Role.SALES_REP)
    persona = services.persona_create(actor=owner_actor, name="Shop owner")
    services.contact_update(actor=owner_actor, contact=b, persona=persona, owner=rep)
    body = owner_client.get(url(workspace), {"stage": "mql"}).content.decode()
    assert "Carla Diaz" in body and "Amal Haddad" not in body and "Bilal Nasser" not in body
    body = owner_client.get(url(workspace), {"persona": str(persona.code)}).content.decode()
    assert "Bilal Nasser" in body and "Carla Diaz" not in body
    body = owner_client.get(url(workspace), {"owner": str(rep.pk)}).content.decode()
    assert "Bilal Nasser" in body and "Amal Haddad" not in body


def test_sort_by_name_and_created(owner_client, workspace, contacts):
    def order(sort):
        body = owner_client.get(url(workspace), {"sort": sort}).content.decode()
        return sorted(["Amal Haddad", "Bilal Nasser", "Carla Diaz"], key=body.index)

    assert order("-created_at") == ["Carla Diaz", "Bilal Nasser", "Amal Haddad"]
    assert order("created_at") == ["Amal Haddad", "Bilal Nasser", "Carla Diaz"]
    assert order("-name") == ["Carla Diaz", "Bilal Nasser", "Amal Haddad"]


def test_keyset_pages_walk_every_contact_once(owner_client, workspace, monkeypatch):
    from mos import pagination

    monkeypatch.setattr(pagination, "PAGE_SIZE", 2)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    now = timezone.now()
    # equal created_at for two of them: the id breaks the tie
    for i in range(5):
        Contact.objects.create(workspace=workspace, name=f"Person {i}",
                               created_at=now - timedelta(hours=min(i, 3)))
    seen, params, pages = [], {}, []
    for _ in range(5):
        r = owner_client.get(url(workspace), params)
        page = r.context["page"]
        pages.append((page.start, page.end, page.total, page.total_capped))
        seen += [c.name for c in page]
        if not page.has_next:
            break
        params = {"after": page.next_after, "start": page.next_start}
    # newest first; Person 3 and 4 share a created_at, the higher id (Person 4) comes first
    assert seen == ["Person 0", "Person 1", "Person 2", "Person 4", "Person 3"]
    # "1–2 of 3+": the count stops at the cap instead of counting the whole table
    assert pages == [(1, 2, 3, True), (3, 4, 3, True), (5, 5, 3, True)]
    body = owner_client.get(url(workspace)).content.decode()
    assert "1–2 of 3+" in body


def test_list_query_count_does_not_grow_with_rows(owner_client, workspace, contacts,
                                                  django_assert_max_num_queries, owner_actor):
    persona = services.persona_create(actor=owner_actor, name="P")
    for c in contacts:
        services.contact_update(actor=owner_actor, contact=c, persona=persona)
    owner_client.get(url(workspace))  # warm the lifecycle rows
    # 12, plus the saved views menu (one query) and the bulk bar's owner and segment choices
    with django_assert_max_num_queries(14):
        owner_client.get(url(workspace))


# --- create and edit --------------------------------------------------------------------------

def test_create_contact(owner_client, workspace):
    r = owner_client.post(url(workspace, "", "new"), {
        "name": "Dana Saleh", "email": "Dana@Example.test", "country": "sa", "stage": "lead"})
    assert r.status_code == 302
    c = Contact.objects.get(workspace=workspace, name="Dana Saleh")
    assert r["Location"] == url(workspace, "", c.code)
    assert (c.email, c.country, c.stage) == ("dana@example.test", "SA", "lead")
    assert StageChange.objects.filter(contact=c, from_stage="", to_stage="lead").count() == 1


def test_create_contact_bad_input_shows_errors_and_writes_nothing(owner_client, workspace,
                                                                  contacts):
    before = Contact.objects.count()
    r = owner_client.post(url(workspace, "", "new"), {"email": "not-an-email",
                                                      "country": "Saudi", "stage": "lead"})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "email" in errors and "country" in errors
    # duplicate e-mail: the service's uniqueness error lands on the form
    r = owner_client.post(url(workspace, "", "new"), {"name": "Again",
                                                      "email": "amal@souq.test",
                                                      "stage": "lead"})
    assert r.status_code == 200 and r.context["form"].errors
    # nothing at all to identify the person
    r = owner_client.post(url(workspace, "", "new"), {"stage": "lead"})
    assert r.status_code == 200 and r.context["form"].non_field_errors()
    assert Contact.objects.count() == before


def test_edit_profile(owner_client, workspace, contacts, owner):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "edit"), {
        "name": "Amal H. Haddad", "email": "amal@souq.test", "company": "Souq Co",
        "customer_type": "loyal", "buying_role": "decision_maker", "owner": owner.pk})
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.name, a.customer_type, a.buying_role, a.owner) == (
        "Amal H. Haddad", "loyal", "decision_maker", owner)
    assert a.stage == "lead"  # the edit form never moves the stage
    assert AuditEntry.objects.filter(action="contact.update", object_code=str(a.code)).exists()


def test_edit_profile_bad_input_writes_nothing(owner_client, workspace, contacts, outsider):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "edit"), {
        "name": "", "email": "bilal@x.test", "owner": outsider.pk})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "owner" in errors  # not a member of this workspace: not a choice
    a.refresh_from_db()
    assert a.name == "Amal Haddad" and a.email == "amal@souq.test"


# --- stage, consent, timeline ----------------------------------------------------------------

def test_stage_move_writes_stage_change_with_reason(owner_client, workspace, contacts, owner):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "stage"),
                          {"to_stage": "mql", "reason": "Downloaded the pricing guide"},
                          HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    a.refresh_from_db()
    assert a.stage == "mql"
    sc = StageChange.objects.filter(contact=a).latest("at", "id")
    assert (sc.from_stage, sc.to_stage, sc.reason, sc.by) == (
        "lead", "mql", "Downloaded the pricing guide", owner)
    body = r.content.decode()
    # the panel, plus the badge and the timeline swapped out of band
    assert 'id="stage-panel"' in body
    assert 'id="stage-badge-slot" hx-swap-oob="true"' in body
    assert 'id="timeline" hx-swap-oob="true"' in body
    assert "Downloaded the pricing guide" in body
    assert "<html" not in body


def test_stage_move_without_reason_is_refused(owner_client, workspace, contacts):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "stage"), {"to_stage": "sql"},
                          HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "reason" in r.context["stage_form"].errors
    assert 'hx-swap-oob' not in r.content.decode()
    r = owner_client.post(url(workspace, "", a.code, "stage"),
                          {"to_stage": "lead", "reason": "same"})
    assert r.status_code == 200 and "to_stage" in r.context["stage_form"].errors
    r = owner_client.post(url(workspace, "", a.code, "stage"),
                          {"to_stage": "bogus", "reason": "x"})
    assert r.status_code == 200 and "to_stage" in r.context["stage_form"].errors
    a.refresh_from_db()
    assert a.stage == "lead"
    assert StageChange.objects.filter(contact=a).count() == 1  # only the creation


def test_stage_move_without_htmx_redirects(owner_client, workspace, contacts):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "stage"),
                          {"to_stage": "sql", "reason": "Call booked"})
    assert r.status_code == 302 and r["Location"] == url(workspace, "", a.code)


def test_stage_is_get_not_allowed(owner_client, workspace, contacts):
    assert owner_client.get(url(workspace, "", contacts[0].code, "stage")).status_code == 405


def test_consent_grant_and_withdraw(owner_client, workspace, contacts):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "consent"),
                          {"channel": "email", "status": "granted"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="consent-panel"' in body and 'id="timeline" hx-swap-oob="true"' in body
    owner_client.post(url(workspace, "", a.code, "consent"),
                      {"channel": "email", "status": "withdrawn"}, HTTP_HX_REQUEST="true")
    rows = list(Consent.objects.filter(contact=a).order_by("at", "id")
                .values_list("channel", "status"))
    assert rows == [("email", "granted"), ("email", "withdrawn")]
    r = owner_client.get(url(workspace, "", a.code))
    consent = {row["channel"]: row["consent"] for row in r.context["consent"]}
    assert consent["email"].status == "withdrawn" and consent["sms"] is None


def test_consent_bad_channel_writes_nothing(owner_client, workspace, contacts):
    a = contacts[0]
    r = owner_client.post(url(workspace, "", a.code, "consent"),
                          {"channel": "pigeon", "status": "granted"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r.context["consent_error"]
    assert not Consent.objects.exists()


def test_profile_shows_timeline_newest_first_and_orders_summary(owner_client, owner_actor,
                                                                workspace, contacts, owner):
    a = contacts[0]
    t0 = timezone.now() - timedelta(days=1)
    Order.objects.create(workspace=workspace, contact=a, amount=Decimal("100.00"),
                         currency="USD", occurred_at=t0)
    Order.objects.create(workspace=workspace, contact=a, amount=Decimal("50.50"),
                         currency="USD", occurred_at=t0 + timedelta(hours=1), kind="renewal")
    Order.objects.create(workspace=workspace, contact=a, amount=Decimal("20.00"),
                         currency="USD", occurred_at=t0 + timedelta(hours=2), kind="refund")
    services.consent_record(actor=owner_actor, contact=a, channel="sms", status="granted",
                            at=t0 + timedelta(hours=3))
    services.lead_feedback_create(actor=owner_actor, contact=a, quality=4,
                                  outcome="accepted", reason="Good fit")
    services.contact_change_stage(actor=owner_actor, contact=a, to_stage="sql",
                                  reason="Qualified on call")
    r = owner_client.get(url(workspace, "", a.code))
    assert r.context["orders"]["count"] == 2
    assert r.context["orders"]["revenue"] == Decimal("130.50")  # 100 + 50.50 − 20 refund
    kinds = [i["kind"] for i in r.context["timeline"]]
    assert kinds[:2] in (["stage", "feedback"], ["feedback", "stage"])
    ats = [i["at"] for i in r.context["timeline"]]
    assert ats == sorted(ats, reverse=True)
    body = r.content.decode()
    assert "Qualified on call" in body and "Good fit" in body and "quality 4/5" in body
    assert LeadFeedback.objects.filter(contact=a).count() == 1


def test_arabic_pages_render_rtl(owner_client, workspace, contacts):
    owner_client.cookies["django_language"] = "ar"
    r = owner_client.get(url(workspace), HTTP_ACCEPT_LANGUAGE="ar")
    assert r.status_code == 200 and 'dir="rtl"' in r.content.decode()
    r = owner_client.get(url(workspace, "", contacts[0].code), HTTP_ACCEPT_LANGUAGE="ar")
    assert r.status_code == 200 and 'dir="rtl"' in r.content.decode()
