"""Idempotency-Key on the bulk endpoints: a retry gets the first answer and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.utils import timezone

from crm.models import Contact, Event, Order
from mos.models import AuditEntry, IdempotencyRecord

from .bulk_helpers import post_rows

ISO = (timezone.now() - timedelta(hours=1)).isoformat()


def test_retry_returns_first_answer_without_writing_again(api, workspace):
    rows = [{"anonymous_id": "a1", "name": "visit", "occurred_at": ISO},   # no sender id
            {"name": "bad"}]
    first = post_rows(api, "events", rows, HTTP_IDEMPOTENCY_KEY="req-1")
    assert first.status_code == 200
    assert first.json()["summary"]["created"] == 1
    again = post_rows(api, "events", rows, HTTP_IDEMPOTENCY_KEY="req-1")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(workspace=workspace).count() == 1
    assert AuditEntry.objects.filter(workspace=workspace,
                                     action="event.bulk_ingest").count() == 1
    # without a key the same body is simply a new request
    post_rows(api, "events", rows)
    assert Event.objects.filter(workspace=workspace).count() == 2


def test_same_key_different_body_is_422(api, workspace):
    post_rows(api, "contacts", [{"email": "a@example.com"}], HTTP_IDEMPOTENCY_KEY="k")
    r = post_rows(api, "contacts", [{"email": "b@example.com"}], HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    assert list(Contact.objects.values_list("email", flat=True)) == ["a@example.com"]


def test_key_is_per_endpoint_and_per_workspace(api, outsider_api, workspace, other_workspace):
    Contact.objects.create(workspace=workspace, external_id="u-1")
    r1 = post_rows(api, "orders", [{"contact": "u-1", "amount": 5, "occurred_at": ISO}],
                   HTTP_IDEMPOTENCY_KEY="same")
    r2 = post_rows(api, "consent", [{"contact": "u-1", "channel": "email",
                                     "status": "granted"}], HTTP_IDEMPOTENCY_KEY="same")
    r3 = post_rows(outsider_api, "orders", [{"contact": "u-1", "amount": 5,
                                             "occurred_at": ISO}],
                   HTTP_IDEMPOTENCY_KEY="same")
    assert r1.json()["summary"]["created"] == 1 and r2.json()["summary"]["created"] == 1
    # the outsider's identical request is not answered from our workspace's record
    assert r3.json()["results"][0]["code"] == "unknown_contact"
    assert IdempotencyRecord.objects.count() == 3
    assert Order.objects.count() == 1


def test_first_answer_400_is_replayed_too(api, workspace):
    rows = [{"email": "a@example.com"}] * 10_001
    assert post_rows(api, "contacts", rows, HTTP_IDEMPOTENCY_KEY="big").status_code == 400
    r = post_rows(api, "contacts", rows, HTTP_IDEMPOTENCY_KEY="big")
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_rows"


def test_failed_request_releases_the_key(api, workspace, monkeypatch):
    from crm.ingest import api as api_bulk

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(api_bulk.EventsBulkView, "ingest", staticmethod(boom))
    api.raise_request_exception = False
    rows = [{"anonymous_id": "a", "name": "x", "occurred_at": ISO}]
    assert post_rows(api, "events", rows, HTTP_IDEMPOTENCY_KEY="k1").status_code == 500
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    r = post_rows(api, "events", rows, HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 200 and r.json()["summary"]["created"] == 1


# --- races: only meaningful on PostgreSQL (SQLite serialises writers) ----------------------------

def _on_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


def _race(clients_and_calls):
    """Start the calls together in threads (each thread has its own DB connection)."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(clients_and_calls))
    out = [None] * len(clients_and_calls)

    def run(k, call):
        try:
            barrier.wait(timeout=10)
            out[k] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(k, c)) for k, c in
               enumerate(clients_and_calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_write_once(workspace, api_key_for):
    if not _on_postgres():
        pytest.skip("needs PostgreSQL's concurrent writers")
    clients = [api_key_for(workspace, "write") for _ in range(3)]
    rows = [{"anonymous_id": f"a{i}", "name": "visit", "occurred_at": ISO} for i in range(200)]
    answers = _race([lambda c=c: post_rows(c, "events", rows, HTTP_IDEMPOTENCY_KEY="race")
                     for c in clients])
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert Event.objects.filter(workspace=workspace).count() == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_same_sender_ids_store_each_event_once(workspace,
                                                                        api_key_for):
    if not _on_postgres():
        pytest.skip("needs PostgreSQL's concurrent writers")
    clients = [api_key_for(workspace, "write") for _ in range(2)]
    rows = [{"id": f"evt-{i}", "anonymous_id": "a", "name": "visit", "occurred_at": ISO}
            for i in range(300)]
    answers = _race([lambda c=c: post_rows(c, "events", rows) for c in clients])
    assert [a.status_code for a in answers] == [200, 200]
    created = sum(a.json()["summary"]["created"] for a in answers)
    duplicates = sum(a.json()["summary"]["duplicates"] for a in answers)
    assert (created, duplicates) == (300, 300)
    assert Event.objects.filter(workspace=workspace).count() == 300
