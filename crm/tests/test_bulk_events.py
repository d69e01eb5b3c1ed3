"""POST /api/v1/events/bulk: per-row errors, tracking-plan flags, sender-id duplicates,
anonymous events linked on identification, tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Contact, Event, TrackedEvent
from mos.models import AuditEntry

from .bulk_helpers import make_campaign, make_channel, post_rows, statuses

NOW = timezone.now()
ISO = (NOW - timedelta(hours=2)).isoformat()


@pytest.fixture
def setup(workspace):
    ch = make_channel(workspace, "google_ads", ["google"])
    camp = make_campaign(workspace, ch, utm="spring_sale")
    alice = Contact.objects.create(workspace=workspace, external_id="u-1",
                                   email="alice@example.com")
    return ch, camp, alice


def test_good_rows_stored_bad_rows_reported_with_exact_errors(api, workspace, setup):
    ch, camp, alice = setup
    rows = [
        {"contact": "u-1", "name": "signup", "channel": "google_ads", "occurred_at": ISO},
        {"contact": "u-1", "occurred_at": ISO},                                   # no name
        {"contact": "u-1", "name": "x", "channel": "tiktok", "occurred_at": ISO},  # channel
        {"contact": "alice@example.com", "name": "x",
         "occurred_at": (NOW + timedelta(days=2)).isoformat()},                  # future
        {"contact": "u-1", "name": "x", "occurred_at": "yesterday"},             # bad date
        {"contact": "u-1", "name": 5.5, "occurred_at": ISO,
         "properties": ["not", "an", "object"]},                                 # types
        {"contact": "nobody", "name": "x", "occurred_at": ISO},                  # unknown
        {"name": "x", "occurred_at": ISO},                                       # no contact
        "not a row",
        {"contact": str(alice.code), "name": "page_view", "occurred_at": ISO,
         "utm_source": "google", "utm_campaign": "spring_sale"},
    ]
    r = post_rows(api, "events", rows)
    assert r.status_code == 200
    body = r.json()
    assert body["summary"] == {"received": 10, "created": 2, "updated": 0, "unchanged": 0,
                               "rejected": 8, "duplicates": 0}
    res = body["results"]
    assert [x["index"] for x in res] == list(range(10))
    assert res[0] == {"index": 0, "status": "created"}
    assert res[1] == {"index": 1, "status": "rejected", "code": "required",
                      "errors": {"name": ["This field is required."]}}
    assert res[2]["code"] == "unknown_channel"
    assert res[2]["errors"] == {"channel": ["Unknown channel."]}
    assert res[3]["code"] == "future_date"
    assert res[3]["errors"] == {"occurred_at": ["Is more than one day in the future."]}
    assert res[4]["errors"] == {"occurred_at": ["Not an ISO 8601 date-time."]}
    assert res[5]["errors"] == {"name": ["Must be a string."],
                                "properties": ["Must be a JSON object."]}
    assert res[6] == {"index": 6, "status": "rejected", "code": "unknown_contact",
                      "errors": {"contact": ["Unknown contact."]}}
    assert res[7]["errors"] == {"contact": ["Give contact or anonymous_id."]}
    assert res[8]["errors"] == {"non_field_errors": ["Each row must be a JSON object."]}
    assert res[9]["status"] == "created"

    events = list(Event.objects.filter(workspace=workspace).order_by("id"))
    assert len(events) == 2
    assert (events[0].contact_id, events[0].name, events[0].channel_id) == (
        alice.pk, "signup", ch.pk)
    # the channel comes from utm_source, the campaign from utm_campaign
    assert (events[1].channel_id, events[1].campaign_id) == (ch.pk, camp.pk)
    assert AuditEntry.objects.filter(workspace=workspace, action="event.bulk_ingest").count() == 1


def test_tracking_plan_flags_but_never_drops(api, workspace, setup):
    TrackedEvent.objects.create(workspace=workspace, name="purchase",
                                required_properties=["value", "currency"])
    rows = [
        {"contact": "u-1", "name": "purchase", "occurred_at": ISO,
         "properties": {"value": 10, "currency": "USD"}},
        {"contact": "u-1", "name": "purchase", "occurred_at": ISO, "properties": {"value": 3}},
        {"contact": "u-1", "name": "mystery", "occurred_at": ISO},
    ]
    r = post_rows(api, "events", rows)
    assert statuses(r) == ["created"] * 3
    issues = list(Event.objects.filter(workspace=workspace).order_by("id")
                  .values_list("quality_issues", flat=True))
    assert issues == [[], ["missing:currency"], ["unknown_event"]]


def test_sender_id_repeat_is_duplicate_not_stored_twice(api, workspace, setup):
    rows = [{"id": "evt-1", "contact": "u-1", "name": "a", "occurred_at": ISO},
            {"id": "evt-1", "contact": "u-1", "name": "a", "occurred_at": ISO}]
    assert statuses(post_rows(api, "events", rows)) == ["created", "duplicate"]
    r = post_rows(api, "events", rows[:1] + [{"id": "evt-2", "contact": "u-1", "name": "b",
                                               "occurred_at": ISO}])
    assert statuses(r) == ["duplicate", "created"]
    assert r.json()["summary"]["duplicates"] == 1
    assert Event.objects.filter(workspace=workspace).count() == 2


def test_anonymous_events_kept_and_linked_when_contact_upserted(api, workspace, setup):
    rows = [{"contact": "not-yet-known", "anonymous_id": "anon-9", "name": "visit",
             "occurred_at": ISO},
            {"anonymous_id": "anon-9", "name": "visit", "occurred_at": ISO},
            {"anonymous_id": "anon-other", "name": "visit", "occurred_at": ISO}]
    assert statuses(post_rows(api, "events", rows)) == ["created"] * 3
    assert Event.objects.filter(workspace=workspace, contact__isnull=True).count() == 3

    r = post_rows(api, "contacts", [{"email": "bob@example.com", "anonymous_id": "anon-9"}])
    assert statuses(r) == ["created"]
    bob = Contact.objects.get(workspace=workspace, email="bob@example.com")
    assert Event.objects.filter(contact=bob).count() == 2
    assert Event.objects.filter(workspace=workspace, contact__isnull=True).count() == 1


def test_outsider_cannot_reference_another_workspaces_contacts(outsider_api, workspace,
                                                               other_workspace, setup):
    _ch, _camp, alice = setup
    r = post_rows(outsider_api, "events", [
        {"contact": "u-1", "name": "x", "occurred_at": ISO},
        {"contact": str(alice.code), "name": "x", "occurred_at": ISO},
        {"contact": "alice@example.com", "name": "x", "occurred_at": ISO}])
    assert r.status_code == 200
    assert [x["code"] for x in r.json()["results"]] == ["unknown_contact"] * 3
    assert not Event.objects.exists()


def test_read_only_key_and_viewer_get_403(api_key_for, workspace, add_member, client_for):
    r = post_rows(api_key_for(workspace, "read"), "events",
                  [{"anonymous_id": "a", "name": "x", "occurred_at": ISO}])
    assert r.status_code == 403
    from rest_framework.test import APIClient

    viewer = APIClient()
    viewer.force_authenticate(add_member("viewer"))
    r = post_rows(viewer, "events", [{"anonymous_id": "a", "name": "x", "occurred_at": ISO}])
    assert r.status_code == 403
    assert not Event.objects.exists()


def test_too_many_rows_is_400_and_nothing_written(api, workspace):
    rows = [{"anonymous_id": "a", "name": "x", "occurred_at": ISO}] * 10_001
    r = post_rows(api, "events", rows)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "too_many_rows"
    assert not Event.objects.exists()


def test_malformed_envelope_is_400(api, workspace):
    r = api.post("/api/v1/events/bulk", {"rows": {"a": 1}}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"
    r = api.post("/api/v1/events/bulk", [1, 2], format="json")
    assert r.status_code == 400


def test_ten_thousand_rows_in_one_request(api, workspace, setup):
    rows = [{"id": f"e{i}", "contact": "u-1" if i % 2 else "", "anonymous_id": f"a{i}",
             "name": "page_view", "occurred_at": ISO} for i in range(10_000)]
    r = post_rows(api, "events", rows)
    assert r.status_code == 200
    assert r.json()["summary"]["created"] == 10_000
    assert Event.objects.filter(workspace=workspace).count() == 10_000
    assert Event.objects.filter(workspace=workspace, contact__isnull=False).count() == 5_000


def test_query_count_does_not_grow_with_rows(api, workspace, setup):
    """References are resolved with a few IN queries per request, never one per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(n, start):
        rows = [{"id": f"q{start + i}", "contact": "u-1" if i % 2 else "alice@example.com",
                 "name": "visit", "campaign": "spring_sale", "channel": "google_ads",
                 "occurred_at": ISO} for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            r = post_rows(api, "events", rows)
        assert r.json()["summary"]["created"] == n
        return len(ctx.captured_queries)

    small, big = run(3, 0), run(400, 100)
    # equal on PostgreSQL (one COPY); SQLite splits the INSERT into batches of ~60 rows
    # (its bound-parameter limit): still a handful, never one query per row
    assert big <= small + 400 // 50
