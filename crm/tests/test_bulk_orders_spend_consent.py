"""POST /api/v1/orders/bulk, /spend/bulk and /consent/bulk."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Consent, Contact, Order
from crm.models import ExchangeRate, Spend

from .bulk_helpers import make_campaign, make_channel, post_rows, statuses

ISO = (timezone.now() - timedelta(days=1)).isoformat()
FUTURE = (timezone.now() + timedelta(days=3)).isoformat()


@pytest.fixture
def alice(workspace):
    return Contact.objects.create(workspace=workspace, external_id="u-1",
                                  email="alice@example.com")


# --- orders ----------------------------------------------------------------------------------

def test_orders_good_rows_stored_bad_rows_reported(api, workspace, alice):
    # a EUR rate three days back serves the order of yesterday (within the 7-day look-back)
    ExchangeRate.objects.create(workspace=workspace, currency="EUR", rate=Decimal("1.1"),
                                date=(timezone.now() - timedelta(days=3)).date())
    r = post_rows(api, "orders", [
        {"contact": "u-1", "external_id": "o-1", "amount": 120.5, "occurred_at": ISO},
        {"contact": "alice@example.com", "amount": -5, "occurred_at": ISO},
        {"contact": "u-1", "amount": "abc", "occurred_at": ISO},
        {"contact": "u-1", "amount": 10, "occurred_at": FUTURE},
        {"contact": "ghost", "amount": 10, "occurred_at": ISO},
        {"amount": 10},
        {"contact": "u-1", "amount": 10, "occurred_at": ISO, "currency": "EURO",
         "margin": 1.5, "kind": "gift"},
        {"contact": str(alice.code), "amount": "99.99", "currency": "eur", "margin": "0.4",
         "kind": "renewal", "occurred_at": ISO},
    ])
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0] == {"index": 0, "status": "created"}
    assert res[1] == {"index": 1, "status": "rejected", "code": "min_value",
                      "errors": {"amount": ["Must not be negative."]}}
    assert res[2]["errors"] == {"amount": ["A valid number is required."]}
    assert res[3]["errors"] == {"occurred_at": ["Is more than one day in the future."]}
    assert res[4]["errors"] == {"contact": ["Unknown contact."]}
    assert res[5]["errors"] == {"contact": ["This field is required."],
                                "occurred_at": ["This field is required."]}
    assert res[6]["errors"] == {"kind": ["Not one of: new, renewal, expansion, refund."],
                                "currency": ["Ensure this field has no more than 3 characters."],
                                "margin": ["Must be between 0 and 1."]}
    assert res[7]["status"] == "created"
    orders = {o.external_id: o for o in Order.objects.filter(workspace=workspace)}
    assert len(orders) == 2
    assert (orders["o-1"].amount, orders["o-1"].currency, orders["o-1"].kind) == (
        Decimal("120.50"), "USD", "new")
    # 99.99 EUR × 1.1 = 109.989 → 109.99 USD; the original is kept
    assert (orders[""].amount, orders[""].currency, orders[""].margin) == (
        Decimal("109.99"), "USD", Decimal("0.4"))
    assert (orders[""].original_amount, orders[""].original_currency) == (
        Decimal("99.99"), "EUR")

    r = post_rows(api, "orders", [{"contact": "u-1", "external_id": "o-1", "amount": 130,
                                   "kind": "expansion", "occurred_at": ISO}])
    assert statuses(r) == ["updated"]
    o = Order.objects.get(external_id="o-1")
    assert (o.amount, o.kind) == (Decimal("130.00"), "expansion")
    assert Order.objects.filter(workspace=workspace).count() == 2


def test_orders_zero_amount_is_a_free_order(api, workspace, alice):
    """Issue 11: a free/promotional order is a purchase (refunds are a kind, not < 0)."""
    r = post_rows(api, "orders", [{"contact": "u-1", "amount": 0, "occurred_at": ISO}])
    assert statuses(r) == ["created"]


def test_orders_outsider_unknown_contact(outsider_api, workspace, other_workspace, alice):
    r = post_rows(outsider_api, "orders", [{"contact": "u-1", "amount": 5, "occurred_at": ISO}])
    assert r.json()["results"][0]["code"] == "unknown_contact"
    assert not Order.objects.exists()


# --- spend -----------------------------------------------------------------------------------

def test_spend_upsert_replaces_a_day(api, workspace):
    ch = make_channel(workspace, "google_ads")
    camp = make_campaign(workspace, ch, utm="spring_sale", external_id="g-123")
    day = "2026-03-01"
    r = post_rows(api, "spend", [
        {"date": day, "channel": "google_ads", "amount": 100, "impressions": 1000,
         "clicks": 50},
        {"date": day, "channel": "google_ads", "campaign": "g-123", "amount": 40},
    ])
    assert statuses(r) == ["created", "created"]
    r = post_rows(api, "spend", [
        {"date": day, "channel": "google_ads", "amount": "80.5", "impressions": 900,
         "clicks": 45},
        {"date": day, "channel": "google_ads", "campaign": "spring_sale", "amount": 30},
        {"date": "2026-03-02", "channel": "google_ads", "campaign": str(camp.code),
         "amount": 0},
    ])
    assert statuses(r) == ["updated", "updated", "created"]
    rows = {(s.date, s.campaign_id): (s.amount, s.impressions, s.clicks)
            for s in Spend.objects.filter(workspace=workspace)}
    assert rows == {(date(2026, 3, 1), None): (Decimal("80.50"), 900, 45),
                    (date(2026, 3, 1), camp.pk): (Decimal("30.00"), 0, 0),
                    (date(2026, 3, 2), camp.pk): (Decimal("0.00"), 0, 0)}


def test_spend_bad_rows(api, workspace):
    make_channel(workspace, "google_ads")
    r = post_rows(api, "spend", [
        {"date": "2026-03-01", "channel": "bing", "amount": 1},
        {"date": "March 1st", "channel": "google_ads", "amount": -1},
        {"date": "2026-03-01", "channel": "google_ads", "amount": 1, "impressions": 10,
         "clicks": 11},
        {"date": "2026-03-01", "channel": "google_ads", "amount": 1, "impressions": 1.5,
         "clicks": -2},
        {"date": "2026-03-01", "channel": "google_ads", "campaign": "nope", "amount": 1},
        {"date": "2026-03-01", "channel": "google_ads", "amount": 1, "clicks": 3},
    ])
    res = r.json()["results"]
    assert res[0] == {"index": 0, "status": "rejected", "code": "unknown_channel",
                      "errors": {"channel": ["Unknown channel."]}}
    assert res[1]["errors"] == {"date": ["Not an ISO 8601 date (YYYY-MM-DD)."],
                                "amount": ["Must not be negative."]}
    assert res[2]["errors"] == {"clicks": ["Clicks cannot exceed impressions."]}
    assert res[3]["errors"] == {"impressions": ["A valid whole number is required."],
                                "clicks": ["Must not be negative."]}
    assert res[4]["errors"] == {"campaign": ["Unknown campaign."]}
    assert res[5] == {"index": 5, "status": "created"}  # no impressions: clicks unchecked
    assert Spend.objects.filter(workspace=workspace).count() == 1


# --- consent ---------------------------------------------------------------------------------

def test_consent_is_appended(api, workspace, alice):
    r = post_rows(api, "consent", [
        {"contact": "u-1", "channel": "email", "status": "granted", "source": "signup form",
         "at": ISO},
        {"contact": "alice@example.com", "channel": "email", "status": "withdrawn"},
        {"contact": "u-1", "channel": "fax", "status": "granted"},
        {"contact": "u-1", "channel": "sms", "status": "maybe", "at": FUTURE},
        {"contact": "ghost", "channel": "sms", "status": "granted"},
        {"channel": "sms"},
    ])
    res = r.json()["results"]
    assert statuses(r) == ["created", "created"] + ["rejected"] * 4
    assert res[2]["errors"] == {"channel": ["Not one of: email, sms, push, phone."]}
    assert res[3]["errors"] == {"status": ["Not one of: granted, withdrawn."],
                                "at": ["Is more than one day in the future."]}
    assert res[4]["code"] == "unknown_contact"
    assert res[5]["errors"] == {"contact": ["This field is required."],
                                "status": ["This field is required."]}
    # the latest row is the state: withdrawn
    assert list(Consent.objects.filter(contact=alice).order_by("-at", "-id")
                .values_list("status", flat=True)) == ["withdrawn", "granted"]
    post_rows(api, "consent", [{"contact": "u-1", "channel": "email", "status": "granted"}])
    assert Consent.objects.filter(contact=alice).count() == 3


def test_read_only_key_403_everywhere(api_key_for, workspace):
    c = api_key_for(workspace, "read")
    for thing in ("contacts", "events", "orders", "spend", "consent"):
        assert post_rows(c, thing, []).status_code == 403


@pytest.mark.parametrize("thing", ["orders", "spend", "consent"])
def test_too_many_rows(api, workspace, thing):
    r = post_rows(api, thing, [{}] * 10_001)
    assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_rows"
