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
    body = c.get(leads_url(workspace)).content.decode()
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
