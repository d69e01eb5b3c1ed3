"""Subscriptions: POST /api/v1/subscriptions/bulk (per-row errors, MRR from a price and an
interval, upsert, Idempotency-Key) and the CRUD API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.ingest.subscriptions import monthly
from crm.models import Account, Contact, Subscription

from .bulk_helpers import post_rows, statuses

ISO = (timezone.now() - timedelta(days=30)).isoformat()
FUTURE = (timezone.now() + timedelta(days=3)).isoformat()


@pytest.fixture
def alice(workspace):
    return Contact.objects.create(workspace=workspace, external_id="cus_1",
                                  email="alice@example.com")


def test_mrr_normalised_to_a_month():
    # 1,200 a year = 100 a month; 10 a week × 52 / 12 = 43.33; 3 seats × 20 every 3 months
    assert monthly(Decimal("1200"), "year", 1, 1) == Decimal("100.00")
    assert monthly(Decimal("10"), "week", 1, 1) == Decimal("43.33")
    assert monthly(Decimal("20"), "month", 3, 3) == Decimal("20.00")
    assert monthly(Decimal("1"), "day", 1, 1) == Decimal("30.42")  # 365 / 12


def test_bulk_good_rows_stored_bad_rows_reported(api, workspace, alice):
    acct = Account.objects.create(workspace=workspace, name="Acme", external_id="acc-9")
    r = post_rows(api, "subscriptions", [
        {"contact": "cus_1", "external_id": "sub_1", "plan": "pro", "mrr": "49",
         "started_at": ISO},
        {"contact": "alice@example.com", "external_id": "sub_2", "plan": "team",
         "amount": "1200", "interval": "year", "quantity": 2, "status": "canceled",
         "started_at": ISO, "cancelled_at": ISO, "ended_at": ISO},
        {"account": "acc-9", "mrr": 10, "started_at": ISO},
        {"plan": "pro", "mrr": 10, "started_at": ISO},
        {"contact": "ghost", "mrr": -1, "started_at": FUTURE},
        {"contact": "cus_1", "amount": 10, "interval": "fortnight", "started_at": ISO},
        {"contact": "cus_1", "started_at": ISO},
        {"contact": "cus_1", "mrr": 5, "started_at": ISO, "ended_at": "2001-01-01T00:00:00Z"},
    ])
    assert r.status_code == 200
    res = r.json()["results"]
    assert statuses(r) == ["created", "created", "created"] + ["rejected"] * 5
    assert res[3]["errors"] == {"contact": ["Give a contact or an account."]}
    assert res[4]["errors"] == {"contact": ["Unknown contact."],
                                "mrr": ["Must not be negative."],
                                "started_at": ["Is more than one day in the future."]}
    assert res[5]["errors"] == {"interval": ["Not one of: day, week, month, year."]}
    assert res[6]["errors"] == {"mrr": ["Give mrr, or amount and interval."]}
    assert res[7]["errors"] == {"ended_at": ["Cannot be before the start."]}
    subs = {s.external_id: s for s in Subscription.objects.filter(workspace=workspace)}
    assert len(subs) == 3
    assert (subs["sub_1"].mrr, subs["sub_1"].status, subs["sub_1"].contact_id) == (
        Decimal("49.00"), "active", alice.pk)
    # 1,200 a year × 2 seats = 200 a month; Stripe's "canceled" spelling accepted
    assert (subs["sub_2"].mrr, subs["sub_2"].status, subs["sub_2"].quantity) == (
        Decimal("200.00"), "cancelled", 2)
    assert subs[""].account_id == acct.pk and subs[""].contact_id is None


def test_bulk_upserts_on_external_id_and_is_idempotent(api, workspace, alice):
    row = {"contact": "cus_1", "external_id": "sub_1", "plan": "pro", "mrr": 49,
           "started_at": ISO}
    first = post_rows(api, "subscriptions", [row], HTTP_IDEMPOTENCY_KEY="k-1")
    again = post_rows(api, "subscriptions", [row], HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Subscription.objects.filter(workspace=workspace).count() == 1
    assert Subscription.objects.get(workspace=workspace).mrr == Decimal("49.00")
    r = post_rows(api, "subscriptions", [{**row, "mrr": 99}])
    assert statuses(r) == ["updated"]
    assert Subscription.objects.get(workspace=workspace).mrr == Decimal("99.00")


def test_crud_api(api, workspace, alice):
    r = api.post("/api/v1/subscriptions/", {"contact": str(alice.code), "plan": "pro",
                                            "mrr": "30.00", "started_at": ISO}, format="json")
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert api.get("/api/v1/subscriptions/").json()["results"][0]["code"] == code
    r = api.patch(f"/api/v1/subscriptions/{code}/", {"mrr": "45.50"}, format="json")
    assert r.status_code == 200 and r.json()["mrr"] == "45.50"
    r = api.post("/api/v1/subscriptions/", {"plan": "pro", "mrr": "1", "started_at": ISO},
                 format="json")
    assert r.status_code == 400 and "contact" in r.json()["error"]["fields"]
    r = api.post("/api/v1/subscriptions/", {"contact": str(alice.code), "mrr": "-1",
                                            "started_at": ISO}, format="json")
    assert r.status_code == 400 and "mrr" in r.json()["error"]["fields"]
    assert api.delete(f"/api/v1/subscriptions/{code}/").status_code == 204
    assert not Subscription.objects.filter(workspace=workspace).exists()


def test_date_bounds_bulk_csv_and_crud(api, workspace, alice):
    """Like orders: what happened (start, cancellation) lies in [2000-01-01, now + 1 day]; a
    trial end or an end may be scheduled, up to ten years ahead."""
    later = (timezone.now() + timedelta(days=200)).isoformat()
    too_far = (timezone.now() + timedelta(days=3700)).isoformat()
    r = post_rows(api, "subscriptions", [
        {"contact": "cus_1", "external_id": "a", "mrr": 9, "started_at": ISO,
         "trial_end": later, "ended_at": later},
        {"contact": "cus_1", "mrr": 9, "started_at": "1999-12-31T00:00:00Z"},
        {"contact": "cus_1", "mrr": 9, "started_at": ISO, "cancelled_at": FUTURE},
        {"contact": "cus_1", "mrr": 9, "started_at": ISO, "ended_at": too_far,
         "trial_end": "0001-01-01T00:00:00"},
    ])
    res = r.json()["results"]
    assert statuses(r) == ["created", "rejected", "rejected", "rejected"]
    assert res[1]["errors"] == {"started_at": ["Must be on or after 2000-01-01."]}
    assert res[2]["errors"] == {"cancelled_at": ["Is more than one day in the future."]}
    assert res[3]["errors"] == {"ended_at": ["Is more than ten years in the future."],
                                "trial_end": ["Must be on or after 2000-01-01."]}
    # the CRUD API applies the same bounds (a 400 with the field, never a 500)
    r = api.post("/api/v1/subscriptions/", {"contact": str(alice.code), "mrr": "1",
                                            "started_at": "1990-01-01T00:00:00Z",
                                            "ended_at": too_far}, format="json")
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"started_at", "ended_at"}
    r = api.post("/api/v1/subscriptions/", {"contact": str(alice.code), "mrr": "1",
                                            "started_at": ISO, "ended_at": later},
                 format="json")
    assert r.status_code == 201, r.content
