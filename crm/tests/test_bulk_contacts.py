"""POST /api/v1/contacts/bulk: upsert keys, per-row errors, stage history, identity merge."""

from __future__ import annotations

import pytest

from crm.models import Contact, ContactMerge, Event, Order, Persona, StageChange
from mos.models import AuditEntry

from .bulk_helpers import make_channel, post_rows, statuses


@pytest.fixture
def channel(workspace):
    return make_channel(workspace, "newsletter", [])


def test_create_then_update_by_external_id_email_and_phone(api, workspace, channel, member,
                                                           owner):
    persona = Persona.objects.create(workspace=workspace, name="Founder")
    r = post_rows(api, "contacts", [
        {"external_id": "c-1", "email": "Ann@Example.com", "name": "Ann", "stage": "lead",
         "owner": "MARKETER@acme.test", "persona": str(persona.code),
         "source_channel": "newsletter", "properties": {"plan": "pro"}, "country": "jo"},
        {"email": "ben@example.com", "name": "Ben"},
        {"phone": "+962700000", "name": "Phone only"},
    ])
    assert r.status_code == 200
    assert statuses(r) == ["created"] * 3
    ann = Contact.objects.get(workspace=workspace, external_id="c-1")
    assert (ann.email, ann.stage, ann.owner_id, ann.persona_id, ann.source_channel_id,
            ann.country) == ("ann@example.com", "lead", member.pk, persona.pk, channel.pk, "JO")
    assert list(StageChange.objects.filter(contact=ann).values_list("from_stage", "to_stage")) \
        == [("", "lead")]

    r = post_rows(api, "contacts", [
        {"external_id": "c-1", "stage": "mql", "properties": {"seats": 5}},
        {"email": "BEN@example.com", "stage": "subscriber", "company": "Ben Co"},
        {"phone": "+962700000", "email": "phone@example.com"},
        {"external_id": "c-9", "name": "Nine"},
        {"external_id": "c-9", "stage": "sql"},   # the same new contact, twice in one request
    ])
    assert statuses(r) == ["updated", "updated", "updated", "created", "updated"]
    assert r.json()["summary"] == {"received": 5, "created": 1, "updated": 4, "unchanged": 0,
                                   "rejected": 0, "duplicates": 0}
    ann.refresh_from_db()
    assert ann.stage == "mql" and ann.properties == {"plan": "pro", "seats": 5}
    assert ann.name == "Ann"  # fields not sent are kept
    assert list(StageChange.objects.filter(contact=ann).order_by("id")
                .values_list("from_stage", "to_stage")) == [("", "lead"), ("lead", "mql")]
    ben = Contact.objects.get(workspace=workspace, email="ben@example.com")
    # ben was a subscriber already: no StageChange written
    assert ben.company == "Ben Co" and not StageChange.objects.filter(contact=ben).exists()
    assert Contact.objects.get(phone="+962700000").email == "phone@example.com"
    nine = Contact.objects.get(workspace=workspace, external_id="c-9")
    assert (nine.name, nine.stage) == ("Nine", "sql")
    assert Contact.objects.filter(workspace=workspace).count() == 4
    assert AuditEntry.objects.filter(workspace=workspace,
                                     action="contact.bulk_upsert").count() == 2


def test_bad_rows_exact_errors_good_rows_stored(api, workspace, channel):
    r = post_rows(api, "contacts", [
        {"email": "not-an-email"},
        {"name": "No identity"},
        {"email": "ok@example.com", "source_channel": "tiktok"},
        {"email": "ok2@example.com", "owner": "stranger@example.com"},
        {"email": "ok3@example.com", "stage": "vip", "properties": "x"},
        {"external_id": ["list"], "email": "ok4@example.com"},
        {"email": "good@example.com", "customer_type": "loyal"},
    ])
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0] == {"index": 0, "status": "rejected", "code": "invalid",
                      "errors": {"email": ["Enter a valid e-mail address."]}}
    assert res[1]["errors"] == {"non_field_errors": ["Give external_id, email or phone."]}
    assert res[2] == {"index": 2, "status": "rejected", "code": "unknown_channel",
                      "errors": {"source_channel": ["Unknown channel."]}}
    assert res[3]["errors"] == {"owner": ["Not a member of this workspace."]}
    assert res[4]["errors"]["properties"] == ["Must be a JSON object."]
    assert res[4]["errors"]["stage"][0].startswith("Not one of: subscriber, lead")
    assert res[5]["errors"] == {"external_id": ["Must be a string."]}
    assert res[6] == {"index": 6, "status": "created"}
    assert list(Contact.objects.filter(workspace=workspace).values_list("email", flat=True)) \
        == ["good@example.com"]


def test_identity_resolution_merges_external_id_contact_into_email_contact(api, workspace):
    a = Contact.objects.create(workspace=workspace, email="same@example.com", name="A")
    b = Contact.objects.create(workspace=workspace, external_id="crm-7", name="B",
                               company="B Corp")
    from datetime import datetime, timezone as tz

    Order.objects.create(workspace=workspace, contact=b, amount=10, currency="USD",
                         occurred_at=datetime(2026, 1, 1, tzinfo=tz.utc))
    Event.objects.create(workspace=workspace, contact=b, name="visit",
                         occurred_at=datetime(2026, 1, 1, tzinfo=tz.utc))
    r = post_rows(api, "contacts", [{"external_id": "crm-7", "email": "same@example.com",
                                     "city": "Amman"}])
    assert statuses(r) == ["merged"]
    assert r.json()["summary"]["updated"] == 1
    assert not Contact.objects.filter(pk=b.pk).exists()
    a.refresh_from_db()
    assert (a.external_id, a.email, a.city, a.company) == ("crm-7", "same@example.com",
                                                            "Amman", "B Corp")
    assert Order.objects.get().contact_id == a.pk and Event.objects.get().contact_id == a.pk
    assert ContactMerge.objects.get().survivor_id == a.pk


def test_outsider_cannot_touch_another_workspaces_contact(outsider_api, workspace,
                                                          other_workspace):
    mine = Contact.objects.create(workspace=workspace, external_id="x-1", name="Mine")
    r = post_rows(outsider_api, "contacts", [{"external_id": "x-1", "name": "Hijacked"}])
    assert statuses(r) == ["created"]  # a new contact in *their* workspace
    mine.refresh_from_db()
    assert mine.name == "Mine"
    assert Contact.objects.get(workspace=other_workspace).name == "Hijacked"


def test_read_only_key_gets_403(api_key_for, workspace):
    r = post_rows(api_key_for(workspace, "read"), "contacts", [{"email": "a@example.com"}])
    assert r.status_code == 403
    assert not Contact.objects.exists()


def test_too_many_rows(api, workspace):
    r = post_rows(api, "contacts", [{"email": "a@example.com"}] * 10_001)
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_rows"
    assert not Contact.objects.exists()


def test_contacts_query_count_does_not_grow_with_rows(api, workspace, channel):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(n, stage):
        rows = [{"external_id": f"k{i}", "email": f"k{i}@example.com", "stage": stage,
                 "source_channel": "newsletter"} for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            r = post_rows(api, "contacts", rows)
        assert r.status_code == 200
        return len(ctx.captured_queries)

    run(300, "lead")                   # 300 created
    small = run(5, "mql")              # 5 updated (stage changes)
    big = run(350, "sql")              # 300 updated + 50 created
    # a fixed number of queries plus a few batches (SQLite's bound-parameter limit makes
    # bulk_update batches small there) — never one query per row
    assert big <= small + 20
