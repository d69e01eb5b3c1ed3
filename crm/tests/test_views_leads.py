"""My leads: a sales rep sees only their own leads and logs feedback inline (htmx)."""

import pytest

from crm import services
from crm.models import LeadFeedback
from mos.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(add_member):
    return add_member(Role.SALES_REP, "rep@acme.test")


@pytest.fixture
def other_rep(add_member):
    return add_member(Role.SALES_REP, "rep2@acme.test")


@pytest.fixture
def leads(owner_actor, rep, other_rep):
    mine = services.contact_create(actor=owner_actor, name="Huda Mine", company="Mine LLC",
                                   stage="mql", owner=rep)
    mine2 = services.contact_create(actor=owner_actor, name="Omar Mine", stage="sql",
                                    owner=rep)
    theirs = services.contact_create(actor=owner_actor, name="Zaid Theirs", stage="lead",
                                     owner=other_rep)
    customer = services.contact_create(actor=owner_actor, name="Old Customer",
                                       stage="customer", owner=rep)
    return mine, mine2, theirs, customer


def leads_url(ws):
    return f"/w/{ws.slug}/leads/"


def fb_url(ws, contact):
    return f"/w/{ws.slug}/leads/{contact.code}/feedback/"


def fb_data(contact, **values):
    return {f"fb-{contact.code}-{k}": v for k, v in values.items()}


def test_rep_sees_only_own_open_leads(client_for, rep, workspace, leads):
    r = client_for(rep).get(leads_url(workspace))
    assert r.status_code == 200
    body = r.content.decode()
    assert "Huda Mine" in body and "Omar Mine" in body
    assert "Zaid Theirs" not in body  # someone else's lead
    assert "Old Customer" not in body  # not an open lead any more
    assert body.count('class="lead-form"') == 2


@pytest.mark.parametrize("role,status", [(Role.ADMIN, 200), (Role.GROWTH_LEAD, 200),
                                         (Role.MARKETER, 200), (Role.SALES_REP, 200),
                                         (Role.ANALYST, 403), (Role.VIEWER, 403)])
def test_my_leads_permission(role, status, add_member, client_for, workspace):
    assert client_for(add_member(role)).get(leads_url(workspace)).status_code == status


def test_outsider_404(outsider_client, workspace, leads):
    assert outsider_client.get(leads_url(workspace)).status_code == 404
    r = outsider_client.post(fb_url(workspace, leads[0]),
                             fb_data(leads[0], quality=3, outcome="accepted"))
    assert r.status_code == 404
    assert not LeadFeedback.objects.exists()


def test_empty_state(client_for, rep, workspace):
    body = client_for(rep).get(leads_url(workspace)).content.decode()
    assert "No leads assigned to you" in body


def test_feedback_saves_inline(client_for, rep, workspace, leads):
    mine = leads[0]
    r = client_for(rep).post(fb_url(workspace, mine),
                             fb_data(mine, quality="4", outcome="accepted",
                                     reason="Ready to buy", note="Call back Tuesday"),
                             HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    fb = LeadFeedback.objects.get()
    assert (fb.contact, fb.rep, fb.quality, fb.outcome, fb.reason, fb.note) == (
        mine, rep, 4, "accepted", "Ready to buy", "Call back Tuesday")
    body = r.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith("<li") and f'id="lead-{mine.code}"' in body
    assert "Saved" in body and "4/5" in body and "Ready to buy" in body


def test_feedback_bad_input_rerenders_card_with_errors(client_for, rep, workspace, leads):
    mine = leads[0]
    c = client_for(rep)
    r = c.post(fb_url(workspace, mine), fb_data(mine, quality="9", outcome="maybe"),
               HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    form = r.context["card"]["form"]
    assert "quality" in form.errors and "outcome" in form.errors
    assert "Saved" not in body and 'field-invalid' in body
    # rejected without a reason
    r = c.post(fb_url(workspace, mine), fb_data(mine, quality="2", outcome="rejected"),
               HTTP_HX_REQUEST="true")
    assert "reason" in r.context["card"]["form"].errors
    # the typed note survives the error re-render
    r = c.post(fb_url(workspace, mine), fb_data(mine, note="keep me"), HTTP_HX_REQUEST="true")
    assert "keep me" in r.content.decode()
    assert not LeadFeedback.objects.exists()


def test_feedback_on_someone_elses_lead_is_refused(client_for, rep, workspace, leads):
    theirs = leads[2]
    r = client_for(rep).post(fb_url(workspace, theirs),
                             fb_data(theirs, quality="1", outcome="rejected", reason="x"),
                             HTTP_HX_REQUEST="true")
    assert r.status_code == 403
    assert not LeadFeedback.objects.exists()


@pytest.mark.parametrize("role", [Role.MARKETER, Role.ANALYST, Role.VIEWER])
def test_roles_without_feedback_perm_get_403(role, add_member, client_for, workspace, leads):
    r = client_for(add_member(role)).post(
        fb_url(workspace, leads[0]), fb_data(leads[0], quality="3", outcome="accepted"))
    assert r.status_code == 403
    assert not LeadFeedback.objects.exists()


def test_marketer_sees_list_without_feedback_form(owner_actor, add_member, client_for,
                                                  workspace):
    marketer = add_member(Role.MARKETER)
    services.contact_create(actor=owner_actor, name="Assigned To Marketer", stage="lead",
                            owner=marketer)
    body = client_for(marketer).get(leads_url(workspace)).content.decode()
    assert "Assigned To Marketer" in body and 'class="lead-form"' not in body


def test_feedback_without_htmx_redirects_back(client_for, rep, workspace, leads):
    mine = leads[1]
    r = client_for(rep).post(fb_url(workspace, mine),
                             fb_data(mine, quality="5", outcome="converted"))
    assert r.status_code == 302 and r["Location"] == leads_url(workspace)
    assert LeadFeedback.objects.get().outcome == "converted"


def test_last_feedback_shown_on_card(client_for, rep, workspace, leads):
    mine = leads[0]
    c = client_for(rep)
    c.post(fb_url(workspace, mine), fb_data(mine, quality="2", outcome="no_answer"))
    # given feedback, it leaves the default "needs feedback" list and shows under "all"
    assert "Huda Mine" not in c.get(leads_url(workspace)).content.decode()
    body = c.get(leads_url(workspace) + "?show=all").content.decode()
    assert "Last feedback" in body and "2/5" in body and "No answer" in body


def test_my_leads_query_count(client_for, rep, workspace, leads, owner_actor,
                              django_assert_max_num_queries):
    for i in range(6):
        services.contact_create(actor=owner_actor, name=f"Extra {i}", stage="lead", owner=rep)
    c = client_for(rep)
    c.get(leads_url(workspace))
    with django_assert_max_num_queries(12):
        r = c.get(leads_url(workspace))
    assert len(r.context["cards"]) == 8


def _names(response):
    return [card["lead"].name for card in response.context["cards"]]


def test_needs_feedback_is_the_default_with_search_and_sort(client_for, rep, workspace,
                                                             leads, owner_actor):
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Contact

    mine, mine2, _, _ = leads
    now = timezone.now()
    # Huda came in three days ago, Omar two, Nadia yesterday
    nadia = services.contact_create(actor=owner_actor, name="Nadia Newer",
                                    email="nadia@falcon.test", stage="lead", owner=rep)
    for contact, days in ((mine, 3), (mine2, 2), (nadia, 1)):
        Contact.objects.filter(pk=contact.pk).update(created_at=now - timedelta(days=days))
    c = client_for(rep)
    c.post(fb_url(workspace, mine2), fb_data(mine2, quality="3", outcome="no_answer"))

    r = c.get(leads_url(workspace))
    assert _names(r) == ["Nadia Newer", "Huda Mine"]  # Omar has feedback; newest first
    assert r.context["counts"] == {"needs": 2, "all": 3}
    assert _names(c.get(leads_url(workspace) + "?sort=old")) == ["Huda Mine", "Nadia Newer"]
    assert _names(c.get(leads_url(workspace) + "?show=all")) == [
        "Nadia Newer", "Omar Mine", "Huda Mine"]
    assert _names(c.get(leads_url(workspace) + "?show=all&sort=old")) == [
        "Huda Mine", "Omar Mine", "Nadia Newer"]
    # search: name, company, e-mail start
    assert _names(c.get(leads_url(workspace) + "?show=all&q=omar")) == ["Omar Mine"]
    assert _names(c.get(leads_url(workspace) + "?q=Mine LLC")) == ["Huda Mine"]
    assert _names(c.get(leads_url(workspace) + "?q=nadia@")) == ["Nadia Newer"]
    # someone else's lead is never found
    assert _names(c.get(leads_url(workspace) + "?show=all&q=Zaid")) == []
    assert "No lead matches this search" in c.get(
        leads_url(workspace) + "?q=Zaid").content.decode()
    # odd query strings are no error
    assert c.get(leads_url(workspace) + "?show=x&sort=y&page=zz&q=" + "%" * 300
                 ).status_code == 200


def test_cards_are_compact_and_link_to_the_timeline(client_for, rep, workspace, leads):
    mine = leads[0]
    c = client_for(rep)
    body = c.get(leads_url(workspace)).content.decode()
    assert body.count('<details class="lead-fold">') == 2  # folded, not open
    assert f'/w/{workspace.slug}/leads/{mine.code}/"' in body
    page = c.get(f"/w/{workspace.slug}/leads/{mine.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Huda Mine" in text and "Timeline" in text and "Entered as" in text


def test_lead_timeline_is_only_for_its_rep(client_for, rep, other_rep, workspace, leads,
                                           owner):
    theirs = leads[2]
    assert client_for(rep).get(f"/w/{workspace.slug}/leads/{theirs.code}/").status_code == 404
    # someone who sees the CRM gets the full profile
    r = client_for(owner).get(f"/w/{workspace.slug}/leads/{theirs.code}/")
    assert r.status_code == 302 and r["Location"].endswith(f"/contacts/{theirs.code}/")


def advance_url(ws, contact):
    return f"/w/{ws.slug}/leads/{contact.code}/advance/"


def test_accepted_feedback_offers_the_next_stage_in_one_tap(client_for, rep, workspace,
                                                             leads):
    from crm.models import StageChange
    from mos.models import AuditEntry

    mine = leads[0]  # an MQL
    c = client_for(rep)
    r = c.post(fb_url(workspace, mine), fb_data(mine, quality="4", outcome="accepted"),
               HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "Move to Sales-qualified lead (SQL)" in body and 'name="to_stage" value="sql"' in body
    r = c.post(advance_url(workspace, mine), {"to_stage": "sql"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Moved to Sales-qualified lead (SQL)" in r.content.decode()
    mine.refresh_from_db()
    assert mine.stage == "sql"
    change = StageChange.objects.filter(contact=mine).latest("at")
    assert (change.from_stage, change.to_stage, change.by_id) == ("mql", "sql", rep.pk)
    assert AuditEntry.objects.filter(action="contact.stage_change", actor=rep).exists()
    # a second tap (stale page) moves nothing further
    r = c.post(advance_url(workspace, mine), {"to_stage": "sql"}, HTTP_HX_REQUEST="true")
    assert "already moved" in r.content.decode()
    mine.refresh_from_db()
    assert mine.stage == "sql"


def test_advance_is_refused_without_acceptance_or_for_others_leads(client_for, rep,
                                                                    other_rep, workspace,
                                                                    leads, add_member):
    mine, _, theirs, _ = leads
    c = client_for(rep)
    # no "accepted" feedback yet: nothing moves
    c.post(fb_url(workspace, mine), fb_data(mine, quality="2", outcome="no_answer"))
    r = c.post(advance_url(workspace, mine), {"to_stage": "sql"})
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.stage == "mql"
    # someone else's accepted lead: 403, unchanged
    client_for(other_rep).post(fb_url(workspace, theirs),
                               fb_data(theirs, quality="5", outcome="accepted"))
    assert c.post(advance_url(workspace, theirs), {"to_stage": "mql"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.stage == "lead"
    # roles without lead feedback cannot move at all
    viewer = add_member(Role.VIEWER, "v@acme.test")
    assert client_for(viewer).post(advance_url(workspace, theirs),
                                   {"to_stage": "mql"}).status_code == 403
