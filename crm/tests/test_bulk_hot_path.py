"""What the ingest hot path does to stay fast must not change what callers see: stored sender
ids are duplicates on both write paths (few rows: INSERT … ON CONFLICT; many: COPY), a cached
API key still stops working at once when revoked, and the rate limit still counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.ingest import events as bulk_events
from crm.models import Event
from mos import services
from mos.actors import Actor
from mos.api_base import PrincipalRateThrottle
from mos.models import ApiKey, AuditEntry, Membership
from mos.roles import Role

from .bulk_helpers import post_rows, statuses

ISO = (timezone.now() - timedelta(hours=1)).isoformat()


def _rows(ids):
    return [{"id": i, "anonymous_id": "a", "name": "visit", "occurred_at": ISO} for i in ids]


@pytest.mark.parametrize("size", [5, bulk_events.SMALL_REQUEST_ROWS + 50])
def test_stored_and_repeated_sender_ids_are_duplicates_on_both_write_paths(api, workspace,
                                                                           size):
    first = [f"e{k}" for k in range(size)]
    assert statuses(post_rows(api, "events", _rows(first))) == ["created"] * size
    # a new request: a stored id in the middle and at the end, an id repeated within it
    ids = [f"n{k}" for k in range(size)]
    ids[1], ids[-1], ids[2] = "e0", f"e{size - 1}", "n0"
    r = post_rows(api, "events", _rows(ids))
    expected = ["created"] * size
    expected[1] = expected[2] = expected[-1] = "duplicate"
    assert statuses(r) == expected
    assert r.json()["summary"] == {"received": size, "created": size - 3, "updated": 0,
                                   "unchanged": 0,
                                   "rejected": 0, "duplicates": 3}
    assert Event.objects.filter(workspace=workspace).count() == 2 * size - 3
    # all stored before: nothing written, nothing audited
    again = post_rows(api, "events", _rows(first))
    assert statuses(again) == ["duplicate"] * size
    assert Event.objects.filter(workspace=workspace).count() == 2 * size - 3
    assert AuditEntry.objects.filter(workspace=workspace,
                                     action="event.bulk_ingest").count() == 2


def test_small_request_keeps_quality_flags_and_references(api, workspace):
    from crm.models import Contact, TrackedEvent

    TrackedEvent.objects.create(workspace=workspace, name="purchase",
                                required_properties=["value", "currency"])
    alice = Contact.objects.create(workspace=workspace, external_id="u-1")
    r = post_rows(api, "events", [
        {"contact": "u-1", "name": "purchase", "occurred_at": ISO, "properties": {"value": 3}},
        {"anonymous_id": "a", "name": "mystery", "occurred_at": "2026-01-01T10:00:00"}])
    assert statuses(r) == ["created", "created"]
    events = list(Event.objects.filter(workspace=workspace).order_by("id"))
    assert [e.quality_issues for e in events] == [["missing:currency"], ["unknown_event"]]
    assert (events[0].contact_id, events[0].properties) == (alice.pk, {"value": 3})
    assert events[1].contact_id is None and events[1].anonymous_id == "a"


def _key_client(workspace):
    from rest_framework.test import APIClient

    admin = Membership.objects.filter(workspace=workspace, role=Role.ADMIN).first()
    actor = Actor.for_member(admin)
    key, secret = services.api_key_create(actor=actor, name="t", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return actor, key, client


def test_cached_api_key_skips_the_lookup_and_revoking_stops_it_at_once(workspace):
    actor, key, client = _key_client(workspace)
    assert client.get("/api/v1/me").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/me").status_code == 200
    assert not [q for q in ctx.captured_queries if "mos_apikey" in q["sql"]]

    services.api_key_revoke(actor=actor, key=ApiKey.objects.get(pk=key.pk))
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "Invalid or revoked API key."


def test_api_key_use_is_recorded_at_most_once_a_minute(workspace):
    _actor, key, client = _key_client(workspace)
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/me").status_code == 200
        updates = [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "mos_apikey"')]
        assert len(updates) == (1 if _ == 0 else 0)
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_rate_limit_counts_the_previous_window_by_its_overlap(api, monkeypatch):
    """6/min: 6 requests late in one minute leave 3 for the middle of the next one."""
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "6/min"})
    now = [600.0 * 60 + 59.0]  # the last second of a minute
    monkeypatch.setattr(PrincipalRateThrottle, "timer", lambda self: now[0])
    assert [api.get("/api/v1/me").status_code for _ in range(7)] == [200] * 6 + [429]
    now[0] += 31.0  # half-way through the next minute: half of the 6 still count
    codes = [api.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert 0 < int(api.get("/api/v1/me")["Retry-After"]) <= 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_small_requests_with_same_sender_ids_store_each_once(workspace, api_key_for):
    from .test_bulk_idempotency import _on_postgres, _race

    if not _on_postgres():
        pytest.skip("needs PostgreSQL's concurrent writers")
    clients = [api_key_for(workspace, "write") for _ in range(3)]
    rows = _rows([f"evt-{k}" for k in range(20)])
    answers = _race([lambda c=c: post_rows(c, "events", rows) for c in clients])
    assert [a.status_code for a in answers] == [200, 200, 200]
    created = sum(a.json()["summary"]["created"] for a in answers)
    duplicates = sum(a.json()["summary"]["duplicates"] for a in answers)
    assert (created, duplicates) == (20, 40)
    assert Event.objects.filter(workspace=workspace).count() == 20
