"""Issue 8 §2: events and spend rows can be corrected or deleted by an authorised member through
the API (by code) and on the contact's profile, each write audited; the dashboard says the
metrics are stale until the next run."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone as dt_tz
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.corrections import corrected_since
from crm.models import Contact, Event, Spend
from mos.models import AuditEntry

from .bulk_helpers import make_channel

NOW = timezone.now()


@pytest.fixture
def alice(workspace):
    return Contact.objects.create(workspace=workspace, external_id="u-1", name="Alice")


@pytest.fixture
def bad_event(workspace, alice):
    return Event.objects.create(workspace=workspace, contact=alice, name="signup",
                                occurred_at=datetime(1, 1, 1, tzinfo=dt_tz.utc))


@pytest.fixture
def spend(workspace):
    ch = make_channel(workspace)
    return Spend.objects.create(workspace=workspace, channel=ch, date=date(2026, 1, 5),
                                amount=Decimal("100.00"), impressions=1000, clicks=10)


def test_event_codes_are_distinct_and_on_the_contact_detail(api, workspace, alice, bad_event):
    other = Event.objects.create(workspace=workspace, contact=alice, name="x", occurred_at=NOW)
    assert bad_event.code and other.code and bad_event.code != other.code
    body = api.get(f"/api/v1/contacts/{alice.code}/").json()
    assert {e["code"] for e in body["recent_events"]} == {str(bad_event.code), str(other.code)}


def test_event_patch_corrects_the_date_and_is_audited(api, workspace, bad_event):
    url = f"/api/v1/events/{bad_event.code}/"
    assert api.get(url).json()["name"] == "signup"
    r = api.patch(url, {"occurred_at": "0001-06-01T00:00:00Z"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["occurred_at"] == ["Must be on or after 2000-01-01."]
    assert not corrected_since(workspace, None)  # a refused write changes nothing
    r = api.patch(url, {"occurred_at": "2026-01-05T10:00:00Z", "name": "sign_up"},
                  format="json")
    assert r.status_code == 200, r.content
    bad_event.refresh_from_db()
    assert (bad_event.occurred_at.year, bad_event.name) == (2026, "sign_up")
    entry = AuditEntry.objects.get(action="event.update")
    assert entry.changes["name"] == ["signup", "sign_up"]
    assert corrected_since(workspace, None)


def test_event_delete_is_audited_outsiders_404_and_viewers_403(
        api, outsider_api, workspace, bad_event, api_key_for, add_member, client_for):
    url = f"/api/v1/events/{bad_event.code}/"
    assert outsider_api.delete(url).status_code == 404
    assert outsider_api.patch(url, {"name": "x"}, format="json").status_code == 404
    read_only = api_key_for(workspace, scope="read")
    assert read_only.delete(url).status_code == 403
    viewer = client_for(add_member("viewer"))
    assert viewer.delete(url).status_code == 403
    assert api.delete(url).status_code == 204
    assert not Event.objects.filter(pk=bad_event.pk).exists()
    assert AuditEntry.objects.filter(action="event.delete").count() == 1


def test_spend_list_patch_delete(api, outsider_api, workspace, spend):
    r = api.get("/api/v1/spend/?channel=google_ads&from=2026-01-01&to=2026-01-31")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [(x["code"], x["amount"], x["channel"]) for x in rows] == [
        (str(spend.code), "100.00", "google_ads")]
    assert api.get("/api/v1/spend/?from=2026-13-01").status_code == 400
    assert outsider_api.get("/api/v1/spend/").json()["results"] == []
    url = f"/api/v1/spend/{spend.code}/"
    assert outsider_api.patch(url, {"amount": "1"}, format="json").status_code == 404
    r = api.patch(url, {"amount": "90.005"}, format="json")
    assert r.status_code == 400 and "amount" in r.json()["error"]["fields"]
    r = api.patch(url, {"clicks": 5000}, format="json")
    assert r.json()["error"]["fields"]["clicks"] == ["Clicks cannot exceed impressions."]
    r = api.patch(url, {"date": "2099-01-01"}, format="json")
    assert r.json()["error"]["fields"]["date"] == ["Is more than one day in the future."]
    r = api.patch(url, {"amount": "90.50", "clicks": 12}, format="json")
    assert r.status_code == 200 and r.json()["amount"] == "90.50"
    spend.refresh_from_db()
    assert (spend.amount, spend.clicks) == (Decimal("90.50"), 12)
    before, after = AuditEntry.objects.get(action="spend.update").changes["amount"]
    assert (Decimal(before), Decimal(after)) == (Decimal("100"), Decimal("90.5"))
    assert api.delete(url).status_code == 204
    assert not Spend.objects.exists()
    assert AuditEntry.objects.filter(action="spend.delete").count() == 1


def test_profile_corrects_and_deletes_an_event(owner_client, workspace, alice, bad_event):
    page = owner_client.get(reverse("contact_detail", args=[workspace.slug, alice.code]))
    html = page.content.decode()
    edit = reverse("contact_event_edit", args=[workspace.slug, alice.code, bad_event.code])
    delete = reverse("contact_event_delete", args=[workspace.slug, alice.code, bad_event.code])
    assert edit in html and delete in html
    r = owner_client.post(edit, {"name": "signup", "occurred_at": "0001-01-01T00:00"})
    assert r.status_code == 302
    bad_event.refresh_from_db()
    assert bad_event.occurred_at.year == 1  # refused, with a message on the profile
    msgs = [str(m) for m in r.wsgi_request._messages]
    assert any("2000-01-01" in m for m in msgs)
    r = owner_client.post(edit, {"name": "signup", "occurred_at": "2026-01-05T10:00"})
    bad_event.refresh_from_db()
    assert bad_event.occurred_at.date() == date(2026, 1, 5)
    owner_client.post(delete)
    assert not Event.objects.filter(pk=bad_event.pk).exists()
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"event.update",
                                                                        "event.delete"}


def test_profile_corrects_an_order(owner_client, workspace, alice):
    from crm.models import Order

    o = Order.objects.create(workspace=workspace, contact=alice, amount=5, currency="USD",
                             occurred_at=datetime(1, 1, 1, tzinfo=dt_tz.utc))
    url = reverse("contact_order_edit", args=[workspace.slug, alice.code, o.code])
    assert url in owner_client.get(
        reverse("contact_detail", args=[workspace.slug, alice.code])).content.decode()
    owner_client.post(url, {"amount": "5.001", "occurred_at": "2026-01-05T10:00"})
    o.refresh_from_db()
    assert o.amount == 5 and o.occurred_at.year == 1
    owner_client.post(url, {"amount": "7.50", "occurred_at": "2026-01-05T10:00"})
    o.refresh_from_db()
    assert o.amount == Decimal("7.50") and o.occurred_at.year == 2026
    assert AuditEntry.objects.filter(action="order.update").count() == 1


def test_members_without_crm_edit_see_no_actions_and_are_refused(
        client_for, add_member, workspace, alice, bad_event):
    viewer = client_for(add_member("viewer"))
    html = viewer.get(reverse("contact_detail", args=[workspace.slug, alice.code])).content
    edit = reverse("contact_event_edit", args=[workspace.slug, alice.code, bad_event.code])
    assert edit.encode() not in html
    assert viewer.post(edit, {"name": "x", "occurred_at": "2026-01-05T10:00"}).status_code == 403
    bad_event.refresh_from_db()
    assert bad_event.name == "signup"
