"""Activities (notes, calls, e-mails, meetings, tasks): services, the API with bulk, the
timeline, My day, and a sales rep who sees and logs only on their own leads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_tz

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities import selectors, services
from crm.models import Activity, Contact, LeadFeedback
from mos.actors import Actor
from mos.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(add_member):
    return add_member("sales_rep", email="rep@acme.test")


@pytest.fixture
def other_rep(add_member):
    return add_member("sales_rep", email="rep2@acme.test")


@pytest.fixture
def leads(workspace, rep, other_rep):
    mine = Contact.objects.create(workspace=workspace, name="Layla Haddad", stage="lead",
                                  owner=rep, email="layla@example.test", phone="+966500000001")
    theirs = Contact.objects.create(workspace=workspace, name="Omar Saleh", stage="lead",
                                    owner=other_rep, email="omar@example.test")
    return mine, theirs


def _actor(ws, user):
    return Actor.for_member(Membership.objects.get(workspace=ws, user=user))


def test_call_needs_outcome_and_task_needs_due_date(workspace, owner_actor, leads):
    mine, _ = leads
    with pytest.raises(Exception) as e:
        services.activity_create(actor=owner_actor, kind="call", contact=mine)
    assert "call_outcome" in e.value.message_dict
    with pytest.raises(Exception) as e:
        services.activity_create(actor=owner_actor, kind="task", contact=mine, subject="Call")
    assert "due_at" in e.value.message_dict
    assert not Activity.objects.exists()


def test_rep_logs_on_own_lead_only(workspace, rep, leads):
    mine, theirs = leads
    actor = _actor(workspace, rep)
    call = services.activity_create(actor=actor, kind="call", contact=mine,
                                    call_outcome="connected", duration_seconds=240)
    assert call.owner == rep
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.activity_create(actor=actor, kind="note", contact=theirs, body="x")
    assert list(selectors.visible_activities(actor)) == [call]


def test_call_handling_time(workspace, owner_actor, leads):
    mine, theirs = leads
    at = datetime(2026, 3, 10, 9, tzinfo=dt_tz.utc)
    for c, secs in ((mine, 120), (theirs, 300), (mine, 180)):
        services.activity_create(actor=owner_actor, kind="call", contact=c, at=at,
                                 call_outcome="connected", duration_seconds=secs)
    services.activity_create(actor=owner_actor, kind="call", contact=mine, at=at,
                             call_outcome="no_answer")  # no duration: not counted
    r = selectors.call_handling_time(workspace, at - timedelta(days=1), at + timedelta(days=1))
    assert r == {"calls": 3, "avg_seconds": 200}  # (120 + 300 + 180) / 3


def test_my_day_buckets_and_leads_without_feedback(workspace, rep, leads, client_for):
    mine, theirs = leads
    actor = _actor(workspace, rep)
    now = timezone.now()
    for subject, due in (("Overdue one", now - timedelta(days=2)),
                         ("Today one", now.replace(hour=12, minute=0)),
                         ("Next week", now + timedelta(days=3))):
        services.activity_create(actor=actor, kind="task", contact=mine, subject=subject,
                                 due_at=due)
    day = selectors.my_day(workspace, rep)
    assert [t.subject for t in day["overdue"]] == ["Overdue one"]
    assert [t.subject for t in day["today"]] == ["Today one"]
    assert [t.subject for t in day["upcoming"]] == ["Next week"]
    assert day["no_feedback"] == [mine]
    LeadFeedback.objects.create(workspace=workspace, contact=mine, rep=rep, quality=4,
                                outcome="accepted")
    assert selectors.my_day(workspace, rep)["no_feedback"] == []
    r = client_for(rep).get(reverse("my_day", args=[workspace.slug]))
    assert r.status_code == 200 and "Overdue one" in r.text and "Omar" not in r.text


def test_quick_log_from_my_day_and_done(workspace, rep, leads, client_for):
    mine, theirs = leads
    c = client_for(rep)
    url = reverse("contact_activity_log", args=[workspace.slug, mine.code])
    r = c.post(url, {"kind": "call", "call_outcome": "voicemail", "duration_minutes": "1.5",
                     "body": "Left a message", "next": reverse("my_day", args=[workspace.slug])})
    assert r.status_code == 302
    call = Activity.objects.get()
    assert (call.kind, call.call_outcome, call.duration_seconds, call.owner) == (
        "call", "voicemail", 90, rep)
    # another rep's lead reads as missing
    r = c.post(reverse("contact_activity_log", args=[workspace.slug, theirs.code]),
               {"kind": "note", "body": "x"})
    assert r.status_code == 404 and Activity.objects.count() == 1
    r = c.post(url, {"kind": "task", "subject": "Send the quote", "due_on": "2026-12-24"})
    task = Activity.objects.get(kind="task")
    r = c.post(reverse("activity_done", args=[workspace.slug, task.code]))
    task.refresh_from_db()
    assert task.done_at is not None


def test_timeline_and_account_page_show_activities(workspace, owner_actor, owner_client):
    from crm.models import Account

    acc = Account.objects.create(workspace=workspace, name="Haddad Trading")
    c = Contact.objects.create(workspace=workspace, name="Layla", account=acc,
                               buying_role="decision_maker")
    services.activity_create(actor=owner_actor, kind="meeting", contact=c,
                             subject="Demo with the board", duration_seconds=3600)
    services.activity_create(actor=owner_actor, kind="note", account=acc, body="Budget in Q2")
    r = owner_client.get(reverse("contact_detail", args=[workspace.slug, c.code]))
    assert "Demo with the board" in r.text
    r = owner_client.get(reverse("account_detail", args=[workspace.slug, acc.code]))
    assert "Demo with the board" in r.text and "Budget in Q2" in r.text
    assert "Decision maker" in r.text


# --- API -----------------------------------------------------------------------------------

def test_api_crud_and_rep_scope(workspace, api, rep, leads, client_for):
    mine, theirs = leads
    r = api.post("/api/v1/activities/", {"kind": "task", "contact": str(mine.code),
                                        "subject": "Follow up", "owner": "rep@acme.test",
                                        "due_at": "2026-12-24T09:00:00Z"}, format="json")
    assert r.status_code == 201, r.json()
    code = r.json()["code"]
    r = api.post("/api/v1/activities/", {"kind": "note", "contact": str(theirs.code),
                                        "body": "Asked about pricing"}, format="json")
    assert r.status_code == 201
    r = api.patch(f"/api/v1/activities/{code}/", {"done_at": "2026-12-24T10:00:00Z"},
                  format="json")
    assert r.status_code == 200 and r.json()["done"] is True
    r = api.post("/api/v1/activities/", {"kind": "task", "contact": str(mine.code)},
                 format="json")
    assert r.status_code == 400 and {"due_at", "subject"} <= set(r.json()["error"]["fields"])
    # a rep through the session API sees only their own lead's activity
    rc = client_for(rep)
    r = rc.get("/api/v1/activities/", HTTP_X_WORKSPACE=workspace.slug)
    assert [a["subject"] for a in r.json()["results"]] == ["Follow up"]
    other = Activity.objects.get(contact=theirs)
    assert rc.get(f"/api/v1/activities/{other.code}/",
                  HTTP_X_WORKSPACE=workspace.slug).status_code == 404


def test_api_outsider_sees_nothing(workspace, owner_actor, outsider_api, leads):
    mine, _ = leads
    a = services.activity_create(actor=owner_actor, kind="note", contact=mine, body="secret")
    assert outsider_api.get(f"/api/v1/activities/{a.code}/").status_code == 404
    assert outsider_api.get("/api/v1/activities/").json()["results"] == []


def test_bulk_per_row_errors_and_idempotent_by_external_id(workspace, api, leads):
    mine, theirs = leads
    rows = [{"kind": "call", "contact": "layla@example.test", "call_outcome": "connected",
             "duration_seconds": 300, "external_id": "pbx-1",
             "at": "2026-11-02T10:00:00Z"},
            {"kind": "call", "contact": "nobody@example.test", "call_outcome": "connected"},
            {"kind": "meeting", "contact": str(theirs.code), "subject": "Visit",
             "duration_seconds": "abc"},
            {"kind": "teleport", "contact": str(mine.code)}]
    r = api.post("/api/v1/activities/bulk", {"rows": rows}, format="json")
    body = r.json()
    assert r.status_code == 200
    assert [x["status"] for x in body["results"]] == ["created", "rejected", "rejected",
                                                      "rejected"]
    assert body["results"][1]["errors"] == {"contact": ["Unknown contact."]}
    assert "duration_seconds" in body["results"][2]["errors"]
    assert "kind" in body["results"][3]["errors"]
    # re-sending the same external id updates, never duplicates
    rows[0]["duration_seconds"] = 360
    r = api.post("/api/v1/activities/bulk", {"rows": rows[:1]}, format="json")
    assert r.json()["results"][0]["status"] == "updated"
    assert Activity.objects.get(external_id="pbx-1").duration_seconds == 360
    assert Activity.objects.count() == 1


def test_api_list_query_count_does_not_grow(workspace, api, owner_actor, leads,
                                            django_assert_max_num_queries):
    mine, theirs = leads
    for i in range(3):
        services.activity_create(actor=owner_actor, kind="note", contact=mine, body=f"n{i}")
    api.get("/api/v1/activities/")  # warm the key's caches
    with django_assert_max_num_queries(12) as small:
        api.get("/api/v1/activities/")
    for i in range(20):
        services.activity_create(actor=owner_actor, kind="note", contact=theirs, body=f"m{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = api.get("/api/v1/activities/")
    assert len(r.json()["results"]) == 23
