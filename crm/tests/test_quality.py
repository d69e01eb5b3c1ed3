"""The tracking plan and the data-quality view: summary numbers on a hand-made set of events,
plan CRUD with validation (pages and API), roles (viewer 403 on changes) and tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_tz

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.tracking import quality
from crm.models import Consent, Contact, Event, TrackedEvent
from crm.models import Channel
from mos.models import AuditEntry
from mos.roles import Role

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=dt_tz.utc)


def ev(ws, name, *, days_ago=1.0, now=NOW, contact=None, anon="", channel=None, issues=(),
       props=None, **utm):
    return Event.objects.create(workspace=ws, name=name, contact=contact, anonymous_id=anon,
                                channel=channel, occurred_at=now - timedelta(days=days_ago),
                                properties=props or {}, quality_issues=list(issues), **utm)


def hand_made(ws, now=NOW):
    """Nine events in the 30-day window, one before it (see each test for the sums)."""
    TrackedEvent.objects.create(workspace=ws, name="signup_completed",
                                required_properties=["plan", "method"])
    TrackedEvent.objects.create(workspace=ws, name="page_view", required_properties=[])
    seo = Channel.objects.create(workspace=ws, key="seo", name="SEO", utm_sources=["google"])
    c1 = Contact.objects.create(workspace=ws, email="c1@example.com")
    c2 = Contact.objects.create(workspace=ws, email="c2@example.com")
    c3 = Contact.objects.create(workspace=ws, email="c3@example.com")
    Consent.objects.create(workspace=ws, contact=c1, channel="email", status="withdrawn")
    e = dict(now=now)
    ev(ws, "page_view", contact=c1, channel=seo, utm_source="google", **e)             # 1
    ev(ws, "page_view", anon="a1", **e)                                                 # 2
    ev(ws, "page_view", anon="a1", utm_source="newsletter", **e)                        # 3
    ev(ws, "signup_completed", contact=c1, channel=seo,
       props={"plan": "pro", "method": "google"}, **e)                                  # 4
    ev(ws, "signup_completed", contact=c2, props={"plan": "pro"},
       issues=["missing:method"], **e)                                                  # 5
    ev(ws, "signup_completed", contact=c3, channel=seo,
       issues=["missing:plan", "missing:method"], days_ago=29.5, **e)                   # 6
    ev(ws, "Clicked CTA", anon="a2", issues=["unknown_event"], utm_campaign="spring",
       days_ago=10, **e)                                                                # 7
    ev(ws, "Clicked CTA", contact=c1, issues=["unknown_event"], days_ago=2, **e)        # 8
    ev(ws, "legacy_event", contact=c2, channel=seo, **e)                                # 9
    ev(ws, "page_view", anon="old", issues=["unknown_event"], days_ago=40, **e)         # out
    return seo


@pytest.fixture
def other_ws_noise(other_workspace):
    """Events and contacts of another workspace: none may count."""
    ev(other_workspace, "Clicked CTA", anon="z", issues=["unknown_event"])
    ev(other_workspace, "Clicked CTA", anon="z", issues=["unknown_event"], now=timezone.now())
    Contact.objects.create(workspace=other_workspace, email="x@globex.test")


# --- the summary ---------------------------------------------------------------------------

def test_summary_numbers_on_a_hand_made_set(workspace, other_ws_noise, django_assert_num_queries):
    hand_made(workspace)
    with django_assert_num_queries(6):  # whatever the number of events
        s = quality.data_quality_summary(workspace, 30, now=NOW)

    assert s["events"] == 9 and s["event_names"] == 4 and s["plan_size"] == 2
    assert s["since"] == NOW - timedelta(days=30)
    by_name = {r["name"]: r for r in s["by_name"]}
    assert [r["name"] for r in s["by_name"]] == ["page_view", "signup_completed",
                                                 "Clicked CTA", "legacy_event"]
    assert by_name["page_view"]["events"] == 3 and by_name["page_view"]["share"] == 0.3333
    sc = by_name["signup_completed"]
    assert (sc["events"], sc["flagged"], sc["flagged_share"]) == (3, 2, 0.6667)
    assert sc["first_seen"] == NOW - timedelta(days=29.5)
    assert by_name["Clicked CTA"]["in_plan"] is False and by_name["page_view"]["in_plan"]

    # flags recorded at ingest: events 5, 6, 7, 8
    f = s["flags"]
    assert (f["events"], f["share"]) == (4, 0.4444)
    assert f["by_issue"] == [{"issue": "missing:method", "events": 2, "share": 0.2222},
                             {"issue": "unknown_event", "events": 2, "share": 0.2222},
                             {"issue": "missing:plan", "events": 1, "share": 0.1111}]
    assert (f["unknown_event"], f["missing_property"]) == (2, 2)  # event 6 counts once

    # unknown to today's plan: Clicked CTA (7, 8) and legacy_event (9, never flagged)
    u = s["unknown_events"]
    assert (u["names"], u["events"], u["share"]) == (2, 3, 0.3333)
    assert u["rows"][0] == {"name": "Clicked CTA", "events": 2, "share": 0.2222,
                            "first_seen": NOW - timedelta(days=10),
                            "last_seen": NOW - timedelta(days=2)}
    assert u["rows"][1]["name"] == "legacy_event"

    # missing required properties, checked in SQL against the current plan
    m = s["missing_properties"]
    assert m["events"] == 2  # events 5 and 6
    assert m["rows"] == [
        {"event": "signup_completed", "property": "plan", "events": 1, "share": 0.3333},
        {"event": "signup_completed", "property": "method", "events": 2, "share": 0.6667}]

    assert s["naming"] == {"names": 1, "rows": [{"name": "Clicked CTA", "events": 2,
                                                 "in_plan": False,
                                                 "suggestion": "clicked_cta"}]}
    t = s["tags"]
    assert (t["no_channel"], t["no_utm"], t["untagged"]) == (5, 6, 3)  # 2,3,5,7,8 / 2,4,5,6,8,9 / 2,5,8
    assert t["untagged_share"] == 0.3333
    assert t["unmapped_utm_sources"] == [{"utm_source": "newsletter", "events": 1}]
    assert s["identity"] == {"anonymous_events": 3, "anonymous_share": 0.3333,
                             "anonymous_ids": 2}
    # c1 has a (withdrawn) consent record; c2 and c3 have none; Globex's contact not counted
    assert s["consent"] == {"contacts": 3, "without_consent": 2, "share": 0.6667}
    assert s["clean"] is False
    assert s["problems"] == {"flagged_events": 4, "unknown_event_names": 2,
                             "missing_property_events": 2, "naming_breaks": 1,
                             "untagged_events": 3, "contacts_without_consent": 2}


def test_a_wider_window_takes_the_older_event(workspace):
    hand_made(workspace)
    s = quality.data_quality_summary(workspace, 90, now=NOW)
    assert s["events"] == 10 and s["flags"]["unknown_event"] == 3
    assert s["identity"]["anonymous_ids"] == 3
    assert quality.data_quality_summary(workspace, 7, now=NOW)["events"] == 7  # 1-5, 8, 9


def test_clean_workspace_gets_the_clean_badge(workspace, owner_client):
    seo = Channel.objects.create(workspace=workspace, key="seo", name="SEO")
    c = Contact.objects.create(workspace=workspace, email="c@example.com")
    Consent.objects.create(workspace=workspace, contact=c, channel="email", status="granted")
    TrackedEvent.objects.create(workspace=workspace, name="page_view", required_properties=["url"])
    ev(workspace, "page_view", contact=c, channel=seo, props={"url": "/"}, now=timezone.now())
    s = quality.data_quality_summary(workspace)
    assert s["clean"] is True and not any(s["problems"].values())
    r = owner_client.get(reverse("data_quality", args=[workspace.slug]))
    assert r.status_code == 200 and 'id="dq-clean"' in r.content.decode()


def test_no_events_is_not_clean_and_an_empty_plan_checks_nothing(workspace):
    s = quality.data_quality_summary(workspace, now=NOW)
    assert s["events"] == 0 and s["clean"] is False
    ev(workspace, "Anything Goes", contact=None, anon="a", now=NOW)
    s = quality.data_quality_summary(workspace, now=NOW)
    assert s["unknown_events"]["names"] == 0 and s["by_name"][0]["in_plan"] is False


def test_bulk_ingest_flags_feed_the_summary(workspace, api):
    TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=["plan"])
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    rows = [{"anonymous_id": "v1", "name": "signup", "occurred_at": at, "properties": {}},
            {"anonymous_id": "v1", "name": "signup", "occurred_at": at,
             "properties": {"plan": "pro"}},
            {"anonymous_id": "v2", "name": "mystery", "occurred_at": at}]
    assert api.post("/api/v1/events/bulk", {"rows": rows}, format="json").status_code == 200
    s = quality.data_quality_summary(workspace)
    assert s["events"] == 3
    assert {i["issue"]: i["events"] for i in s["flags"]["by_issue"]} == {
        "missing:plan": 1, "unknown_event": 1}
    assert s["missing_properties"]["rows"] == [
        {"event": "signup", "property": "plan", "events": 1, "share": 0.5}]


def test_days_out_of_range_is_refused(workspace):
    with pytest.raises(ValueError):
        quality.data_quality_summary(workspace, 0)


# --- the data-quality page -------------------------------------------------------------------

def test_data_quality_page_shows_numbers_and_add_links(workspace, owner_client):
    hand_made(workspace, now=timezone.now())
    r = owner_client.get(reverse("data_quality", args=[workspace.slug]))
    html = r.content.decode()
    assert r.status_code == 200
    plan_url = reverse("tracking_plan", args=[workspace.slug])
    assert f'href="{plan_url}?name=Clicked%20CTA"' in html
    assert f'href="{plan_url}?name=legacy_event"' in html
    assert "newsletter" in html and "clicked_cta" in html
    assert 'id="dq-clean"' not in html
    assert "Data quality" in html and reverse("data_quality", args=[workspace.slug]) in html


def test_viewer_reads_but_gets_no_add_links(workspace, add_member, client_for):
    hand_made(workspace, now=timezone.now())
    viewer = client_for(add_member(Role.VIEWER))
    r = viewer.get(reverse("data_quality", args=[workspace.slug]) + "?days=7")
    assert r.status_code == 200
    assert "?name=" not in r.content.decode()
    r = viewer.get(reverse("tracking_plan", args=[workspace.slug]))
    assert r.status_code == 200 and "signup_completed" in r.content.decode()
    assert 'name="required_properties"' not in r.content.decode()


def test_sales_rep_cannot_open_data_quality(workspace, add_member, client_for):
    rep = client_for(add_member(Role.SALES_REP))
    assert rep.get(reverse("data_quality", args=[workspace.slug])).status_code == 403
    assert rep.get(reverse("tracking_plan", args=[workspace.slug])).status_code == 403


def test_data_quality_page_in_arabic(workspace, owner_client):
    hand_made(workspace, now=timezone.now())
    owner_client.cookies["django_language"] = "ar"
    r = owner_client.get(reverse("data_quality", args=[workspace.slug]),
                         HTTP_ACCEPT_LANGUAGE="ar")
    assert r.status_code == 200 and 'dir="rtl"' in r.content.decode()


# --- tracking plan pages ---------------------------------------------------------------------

def plan_url(ws):
    return reverse("tracking_plan", args=[ws.slug])


def test_add_edit_delete_through_the_pages(workspace, member_client):
    r = member_client.get(plan_url(workspace) + "?name=Clicked%20CTA")
    assert r.status_code == 200 and 'value="Clicked CTA"' in r.content.decode()

    r = member_client.post(plan_url(workspace), {
        "name": " signup_completed ", "description": "Signup form done",
        "required_properties": "plan, method\nsource"})
    assert r.status_code == 302
    te = TrackedEvent.objects.get(workspace=workspace)
    assert (te.name, te.required_properties) == ("signup_completed", ["plan", "method", "source"])
    assert AuditEntry.objects.filter(workspace=workspace, action="tracked_event.create",
                                     object_code=str(te.code)).exists()

    edit = reverse("tracked_event_edit", args=[workspace.slug, te.code])
    assert member_client.get(edit).status_code == 200
    r = member_client.post(edit, {"name": "signup_completed", "description": "",
                                  "required_properties": "plan"})
    assert r.status_code == 302
    te.refresh_from_db()
    assert te.required_properties == ["plan"] and te.description == ""
    entry = AuditEntry.objects.get(workspace=workspace, action="tracked_event.update")
    assert entry.changes["required_properties"] == [["plan", "method", "source"], ["plan"]]

    r = member_client.post(reverse("tracked_event_delete", args=[workspace.slug, te.code]))
    assert r.status_code == 302 and not TrackedEvent.objects.filter(workspace=workspace).exists()
    assert AuditEntry.objects.filter(workspace=workspace, action="tracked_event.delete").exists()


def test_duplicate_name_is_a_field_error_and_nothing_is_written(workspace, member_client):
    TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=[])
    r = member_client.post(plan_url(workspace), {"name": "signup", "required_properties": ""})
    assert r.status_code == 400
    assert "already in the tracking plan" in str(r.context["form"].errors["name"])
    r = member_client.post(plan_url(workspace), {"name": "signup",
                                                 "required_properties": "url, 2fast"})
    assert set(r.context["form"].errors) == {"name", "required_properties"}  # both at once
    assert TrackedEvent.objects.filter(workspace=workspace).count() == 1
    assert not AuditEntry.objects.filter(action="tracked_event.create").exists()


def test_renaming_onto_another_entry_is_refused(workspace, member_client):
    TrackedEvent.objects.create(workspace=workspace, name="a", required_properties=[])
    b = TrackedEvent.objects.create(workspace=workspace, name="b", required_properties=[])
    r = member_client.post(reverse("tracked_event_edit", args=[workspace.slug, b.code]),
                           {"name": "a", "required_properties": ""})
    assert r.status_code == 400 and "name" in r.context["form"].errors
    b.refresh_from_db()
    assert b.name == "b"


def test_required_properties_must_be_identifiers(workspace, member_client):
    r = member_client.post(plan_url(workspace), {"name": "signup",
                                                 "required_properties": "plan, 2fast, a-b"})
    assert r.status_code == 400
    errors = r.context["form"].errors["required_properties"]
    assert len(errors) == 2 and "2fast" in errors[0] and "a-b" in errors[1]
    r = member_client.post(plan_url(workspace), {"name": "signup",
                                                 "required_properties": "plan, plan"})
    assert "listed twice" in str(r.context["form"].errors["required_properties"])
    assert not TrackedEvent.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_roles_without_crm_edit_cannot_change_the_plan(workspace, add_member, client_for, role):
    te = TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=[])
    c = client_for(add_member(role))
    assert c.post(plan_url(workspace), {"name": "x"}).status_code == 403
    edit = reverse("tracked_event_edit", args=[workspace.slug, te.code])
    assert c.get(edit).status_code == 403
    assert c.post(edit, {"name": "renamed"}).status_code == 403
    delete = reverse("tracked_event_delete", args=[workspace.slug, te.code])
    assert c.post(delete).status_code == 403
    assert list(TrackedEvent.objects.values_list("name", flat=True)) == ["signup"]


def test_outsider_gets_404_everywhere(workspace, outsider_client, other_workspace, owner_client):
    te = TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=[])
    for url in (reverse("data_quality", args=[workspace.slug]), plan_url(workspace),
                reverse("tracked_event_edit", args=[workspace.slug, te.code]),
                reverse("tracked_event_delete", args=[workspace.slug, te.code])):
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.post(url, {"name": "x"}).status_code == 404
    # their own workspace's URL with our entry's code: 404 too
    foreign = reverse("tracked_event_edit", args=[other_workspace.slug, te.code])
    assert outsider_client.get(foreign).status_code == 404
    assert outsider_client.post(reverse("tracked_event_delete",
                                        args=[other_workspace.slug, te.code])).status_code == 404
    assert TrackedEvent.objects.filter(pk=te.pk).exists()


# --- the API ---------------------------------------------------------------------------------

def test_api_crud(workspace, api):
    r = api.post("/api/v1/tracking-plan/", {"name": "signup_completed", "description": "done",
                                            "required_properties": ["plan", "method"]},
                 format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json() == {"code": code, "name": "signup_completed", "description": "done",
                        "required_properties": ["plan", "method"]}
    assert api.get("/api/v1/tracking-plan/").json()["results"][0]["code"] == code
    r = api.patch(f"/api/v1/tracking-plan/{code}/", {"required_properties": ["plan"]},
                  format="json")
    assert r.status_code == 200 and r.json()["required_properties"] == ["plan"]
    assert r.json()["name"] == "signup_completed"
    assert api.delete(f"/api/v1/tracking-plan/{code}/").status_code == 204
    assert not TrackedEvent.objects.filter(workspace=workspace).exists()
    assert AuditEntry.objects.filter(workspace=workspace, action__startswith="tracked_event."
                                     ).count() == 3


@pytest.mark.parametrize("body, field", [
    ({"name": "dup"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x", "required_properties": "plan"}, "required_properties"),
    ({"name": "x", "required_properties": ["ok", "not ok"]}, "required_properties"),
    ({"name": "x", "required_properties": [1]}, "required_properties"),
])
def test_api_bad_input_is_400_with_field_errors(workspace, api, body, field):
    TrackedEvent.objects.create(workspace=workspace, name="dup", required_properties=[])
    r = api.post("/api/v1/tracking-plan/", body, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid" and field in r.json()["error"]["fields"]
    assert TrackedEvent.objects.filter(workspace=workspace).count() == 1


def test_api_read_key_cannot_change_the_plan(workspace, api_key_for):
    te = TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=[])
    read = api_key_for(workspace, "read")
    assert read.get("/api/v1/tracking-plan/").status_code == 200
    assert read.post("/api/v1/tracking-plan/", {"name": "x"}, format="json").status_code == 403
    assert read.patch(f"/api/v1/tracking-plan/{te.code}/", {"name": "y"},
                      format="json").status_code == 403
    assert read.delete(f"/api/v1/tracking-plan/{te.code}/").status_code == 403
    assert list(TrackedEvent.objects.values_list("name", flat=True)) == ["signup"]


def test_api_viewer_session_gets_403_on_writes(workspace, add_member):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_login(add_member(Role.VIEWER))
    assert c.get("/api/v1/data-quality/").status_code == 200
    r = c.post("/api/v1/tracking-plan/", {"name": "x"}, format="json")
    assert r.status_code == 403 and not TrackedEvent.objects.exists()


def test_api_outsider_cannot_reach_our_entries(workspace, outsider_api):
    te = TrackedEvent.objects.create(workspace=workspace, name="signup", required_properties=[])
    assert outsider_api.get(f"/api/v1/tracking-plan/{te.code}/").status_code == 404
    assert outsider_api.patch(f"/api/v1/tracking-plan/{te.code}/", {"name": "x"},
                              format="json").status_code == 404
    assert outsider_api.delete(f"/api/v1/tracking-plan/{te.code}/").status_code == 404
    assert outsider_api.get("/api/v1/tracking-plan/").json()["results"] == []
    TrackedEvent.objects.get(pk=te.pk)


def test_api_data_quality(workspace, api, other_ws_noise, outsider_api):
    hand_made(workspace, now=timezone.now())
    r = api.get("/api/v1/data-quality/?days=30")
    assert r.status_code == 200
    body = r.json()
    assert body["events"] == 9 and body["flags"]["events"] == 4
    assert body["unknown_events"]["rows"][0]["name"] == "Clicked CTA"
    assert body["consent"] == {"contacts": 3, "without_consent": 2, "share": 0.6667}
    assert api.get("/api/v1/data-quality").json()["days"] == 30
    for bad in ("0", "abc", "10000"):
        r = api.get(f"/api/v1/data-quality/?days={bad}")
        assert r.status_code == 400 and "days" in r.json()["error"]["fields"]
    theirs = outsider_api.get("/api/v1/data-quality/").json()
    assert theirs["events"] == 1 and theirs["consent"]["contacts"] == 1


def test_services_refuse_another_workspaces_entry(workspace, other_workspace, owner_actor):
    te = TrackedEvent.objects.create(workspace=other_workspace, name="x", required_properties=[])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        quality.tracked_event_update(actor=owner_actor, tracked_event=te, name="y")
    with pytest.raises(ValidationError):
        quality.tracked_event_delete(actor=owner_actor, tracked_event=te)
    assert TrackedEvent.objects.filter(pk=te.pk, name="x").exists()


def test_clean_required_properties():
    assert quality.clean_required_properties([" plan ", "méthode", "_x1"]) == [
        "plan", "méthode", "_x1"]
    assert quality.clean_required_properties(None) == []
    from django.core.exceptions import ValidationError

    for bad in ("plan", ["a b"], ["1a"], [""], ["x"] * 2, [None], ["a" * 101]):
        with pytest.raises(ValidationError):
            quality.clean_required_properties(bad)
