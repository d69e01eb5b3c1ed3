"""Issue 8 §6: Idempotency-Key as Stripe does it."""

from datetime import timedelta

from django.utils import timezone

from crm.models import Contact
from mos.models import IdempotencyRecord


def _post_raw(api, path, body: str, key: str):
    return api.generic("POST", path, body, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_same_json_other_whitespace_and_key_order_is_the_same_request(api, workspace):
    first = _post_raw(api, "/api/v1/contacts/bulk",
                      '{"rows": [{"email": "a@example.com", "name": "A"}]}', "k1")
    again = _post_raw(api, "/api/v1/contacts/bulk",
                      '{\n  "rows" : [ {"name":"A",   "email":"a@example.com"} ]\n}', "k1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = _post_raw(api, "/api/v1/contacts/bulk", '{"rows": [{"email": "b@example.com"}]}',
                      "k1")
    assert other.status_code == 422


def test_every_post_accepts_the_header(api, workspace):
    body = {"name": "Spring sale", "description": "x"}
    r1 = api.post("/api/v1/segments/", body, format="json", HTTP_IDEMPOTENCY_KEY="seg-1")
    r2 = api.post("/api/v1/segments/", body, format="json", HTTP_IDEMPOTENCY_KEY="seg-1")
    assert r1.status_code == 201, r1.content[:300]
    assert r2.status_code == 201 and r2["Idempotent-Replayed"] == "true"
    assert r2.json()["code"] == r1.json()["code"]
    assert workspace.segments.count() == 1


def test_refused_create_then_corrected_retry_with_the_same_key(api, workspace):
    bad = api.post("/api/v1/contacts/", {"email": "not-an-email"}, format="json",
                   HTTP_IDEMPOTENCY_KEY="c-1")
    assert bad.status_code == 400
    good = api.post("/api/v1/contacts/", {"email": "ok@example.com"}, format="json",
                    HTTP_IDEMPOTENCY_KEY="c-1")
    assert good.status_code == 201, good.content[:300]
    assert Contact.objects.filter(workspace=workspace, email="ok@example.com").exists()


def test_keys_are_purged_after_24_hours(api, workspace):
    from mos.celery import app
    from mos.tasks import purge_idempotency_keys

    _post_raw(api, "/api/v1/contacts/bulk", '{"rows": [{"email": "a@example.com"}]}', "old")
    _post_raw(api, "/api/v1/contacts/bulk", '{"rows": [{"email": "b@example.com"}]}', "new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert any(e["task"] == "mos.tasks.purge_idempotency_keys"
               for e in app.conf.beat_schedule.values())
