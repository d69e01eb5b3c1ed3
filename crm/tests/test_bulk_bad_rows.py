"""Issue 8 items 2 and 5: rows MOS cannot compute with or store are per-row errors, and the
valid rows beside them are stored (never a 500)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Contact, Event, Order, Spend

from .bulk_helpers import make_channel, post_rows, statuses

ISO = (timezone.now() - timedelta(days=1)).isoformat()
TODAY = timezone.now().date()


@pytest.fixture
def alice(workspace):
    return Contact.objects.create(workspace=workspace, external_id="u-1")


def _deep(n):
    v = {}
    for _ in range(n):
        v = {"a": v}
    return v


def test_orders_out_of_range_dates_rejected_valid_stored(api, workspace, alice):
    r = post_rows(api, "orders", [
        {"contact": "u-1", "amount": 5, "occurred_at": "0001-01-01T00:00:00Z"},
        {"contact": "u-1", "amount": 5, "occurred_at": "1999-12-31T23:59:59Z"},
        {"contact": "u-1", "amount": 5, "occurred_at": "2099-01-01T00:00:00Z"},
        {"contact": "u-1", "amount": 5, "occurred_at": "2000-01-01T00:00:00Z"},
        {"contact": "u-1", "amount": 5, "occurred_at": ISO},
    ])
    assert r.status_code == 200
    res = r.json()["results"]
    assert res[0]["errors"] == {"occurred_at": ["Must be on or after 2000-01-01."]}
    assert res[1]["errors"] == {"occurred_at": ["Must be on or after 2000-01-01."]}
    assert res[2]["errors"] == {"occurred_at": ["Is more than one day in the future."]}
    assert statuses(r)[3:] == ["created", "created"]
    assert Order.objects.filter(workspace=workspace).count() == 2


def test_events_year_one_rejected(api, workspace, alice):
    r = post_rows(api, "events", [
        {"contact": "u-1", "name": "page_view", "occurred_at": "0001-01-01T00:00:00"},
        {"contact": "u-1", "name": "page_view", "occurred_at": ISO},
    ])
    assert statuses(r) == ["rejected", "created"]
    assert r.json()["results"][0]["errors"] == {
        "occurred_at": ["Must be on or after 2000-01-01."]}


def test_spend_dates_bounded(api, workspace):
    make_channel(workspace)
    r = post_rows(api, "spend", [
        {"date": "1000-01-01", "channel": "google_ads", "amount": 1},
        {"date": "2099-01-01", "channel": "google_ads", "amount": 1},
        {"date": str(TODAY + timedelta(days=1)), "channel": "google_ads", "amount": 1},
        {"date": str(TODAY), "channel": "google_ads", "amount": 1},
    ])
    assert statuses(r) == ["rejected", "rejected", "created", "created"]
    assert r.json()["results"][0]["errors"] == {"date": ["Must be on or after 2000-01-01."]}
    assert Spend.objects.filter(workspace=workspace).count() == 2


def test_spend_integer_beyond_column_is_a_row_error(api, workspace):
    make_channel(workspace)
    r = post_rows(api, "spend", [
        {"date": str(TODAY), "channel": "google_ads", "amount": 1, "impressions": 10**30},
        {"date": str(TODAY - timedelta(days=1)), "channel": "google_ads", "amount": 1,
         "impressions": 100, "clicks": 3},
    ])
    assert r.status_code == 200
    assert statuses(r) == ["rejected", "created"]
    assert list(r.json()["results"][0]["errors"]) == ["impressions"]


def test_lone_surrogates_are_row_errors(api, workspace, alice):
    body = ('{"rows": [{"contact": "u-1", "name": "a\\ud800b", "occurred_at": "%s"},'
            '{"contact": "u-1", "name": "ok", "occurred_at": "%s",'
            ' "properties": {"k": "x\\udfffy"}},'
            '{"contact": "u-1", "name": "ok", "occurred_at": "%s"}]}') % (ISO, ISO, ISO)
    r = api.post("/api/v1/events/bulk", body, content_type="application/json")
    assert r.status_code == 200
    assert statuses(r) == ["rejected", "rejected", "created"]
    assert list(r.json()["results"][0]["errors"]) == ["name"]
    assert list(r.json()["results"][1]["errors"]) == ["properties"]
    body = ('{"rows": [{"external_id": "x\\ud800", "name": "A"},'
            '{"external_id": "u-2", "name": "B"}]}')
    r = api.post("/api/v1/contacts/bulk", body, content_type="application/json")
    assert r.status_code == 200
    assert statuses(r) == ["rejected", "created"]


def test_deep_and_large_properties_are_row_errors(api, workspace, alice):
    rows = [
        {"contact": "u-1", "name": "a", "occurred_at": ISO, "properties": _deep(200)},
        {"contact": "u-1", "name": "b", "occurred_at": ISO, "properties": {"x": "y" * 70_000}},
        {"contact": "u-1", "name": "c", "occurred_at": ISO, "properties": {"x": "y" * 1000}},
    ]
    r = post_rows(api, "events", rows)
    assert r.status_code == 200
    assert statuses(r) == ["rejected", "rejected", "created"]
    assert r.json()["results"][1]["errors"] == {"properties": ["Must be at most 64 KB as JSON."]}
    r = post_rows(api, "orders", [
        {"contact": "u-1", "amount": 1, "occurred_at": ISO, "properties": _deep(200)},
        {"contact": "u-1", "amount": 1, "occurred_at": ISO, "properties": {"x": "y" * 70_000}},
        {"contact": "u-1", "amount": 1, "occurred_at": ISO, "properties": {"ok": 1}},
    ])
    assert statuses(r) == ["rejected", "rejected", "created"]


def test_json_nested_beyond_the_parser_is_400_in_the_envelope(api, workspace):
    body = '{"rows": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    r = api.post("/api/v1/events/bulk", body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"


def test_zero_amount_order_is_accepted(api, workspace, alice):
    r = post_rows(api, "orders", [{"contact": "u-1", "amount": 0, "occurred_at": ISO}])
    assert statuses(r) == ["created"]
    assert Order.objects.get(workspace=workspace).amount == 0


def test_currency_must_be_iso_4217(api, workspace, alice):
    from crm.models import ExchangeRate

    ExchangeRate.objects.create(workspace=workspace, currency="SAR", rate="0.2666",
                                date=timezone.now().date() - timedelta(days=2))
    r = post_rows(api, "orders", [
        {"contact": "u-1", "amount": 1, "occurred_at": ISO, "currency": "ABC"},
        {"contact": "u-1", "amount": 1, "occurred_at": ISO, "currency": "sar"},
    ])
    assert statuses(r) == ["rejected", "created"]


HOSTILE = {"contact": {"a": 1}, "email": {"x": 1}, "phone": ["1"], "name": "a\x00b",
           "external_id": ["x"], "channel": {"k": 1}, "campaign": [1], "account": {"a": 1},
           "amount": "1e400", "mrr": "NaN", "impressions": 10**30,
           "clicks": -1, "occurred_at": {"x": 1}, "date": [], "started_at": "0001-01-01",
           "status": {"s": 1}, "kind": ["new"], "currency": 7, "margin": "x",
           "properties": {"a": "\x00"}, "anonymous_id": "\ud800", "quantity": 10**30}


@pytest.mark.parametrize("thing", ["contacts", "events", "orders", "spend", "consent",
                                   "subscriptions"])
def test_every_bulk_endpoint_answers_hostile_rows_per_row(api, workspace, alice, thing):
    """Wrong types in every field, NUL characters, lone surrogates, out-of-range numbers:
    the row is rejected with its errors, never a 500 (also on PostgreSQL)."""
    make_channel(workspace)
    body = json.dumps({"rows": [HOSTILE, {}, [], "row", None, 7]})  # \ud800 stays escaped
    r = api.post(f"/api/v1/{thing}/bulk", body, content_type="application/json")
    assert r.status_code == 200, r.content[:300]
    assert statuses(r) == ["rejected"] * 6
    assert all(x["errors"] for x in r.json()["results"])
