"""Issue 8 §6: an amount with more decimals than its currency allows (ISO 4217 minor units) is
refused with a clear per-row / per-field message in every intake path, never silently rounded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.models import Contact, ImportJob, Order, Spend
from mos.validation import amount_places_error, currency_places

from .bulk_helpers import make_channel, post_rows

ISO = (timezone.now() - timedelta(days=1)).isoformat()
DAY = (timezone.now() - timedelta(days=2)).date().isoformat()


@pytest.fixture
def alice(workspace):
    return Contact.objects.create(workspace=workspace, external_id="u-1")


@pytest.mark.parametrize("currency,places", [("USD", 2), ("JPY", 0), ("KWD", 3), ("eur", 2)])
def test_minor_units(currency, places):
    assert currency_places(currency) == places


def test_order_amounts_follow_their_currency(api, workspace, alice):
    from crm.models import ExchangeRate

    day = timezone.now().date()
    for cur, rate in (("KWD", "3.25"), ("JPY", "0.0068")):
        for back in range(8):
            ExchangeRate.objects.create(workspace=workspace, date=day - timedelta(days=back),
                                        currency=cur, rate=Decimal(rate))
    r = post_rows(api, "orders", [
        {"contact": "u-1", "amount": "0.004", "currency": "USD", "occurred_at": ISO},
        {"contact": "u-1", "amount": 1.5, "currency": "JPY", "occurred_at": ISO},
        {"contact": "u-1", "amount": "1.234", "currency": "KWD", "occurred_at": ISO,
         "external_id": "kw-1"},
        {"contact": "u-1", "amount": "1.2345", "currency": "KWD", "occurred_at": ISO},
        {"contact": "u-1", "amount": "1500", "currency": "JPY", "occurred_at": ISO,
         "external_id": "jp-1"},
        {"contact": "u-1", "amount": "12.50", "occurred_at": ISO, "external_id": "us-1"},
    ])
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["rejected", "rejected", "created", "rejected",
                                          "created", "created"]
    assert res[0]["errors"] == {"amount": ["USD amounts have at most 2 decimals."]}
    assert res[1]["errors"] == {"amount": ["JPY amounts have no decimals."]}
    assert res[3]["errors"] == {"amount": ["KWD amounts have at most 3 decimals."]}
    kwd = Order.objects.get(external_id="kw-1")
    # kept exactly as sent (not rounded to 1.23), converted to USD: 1.234 × 3.25 = 4.0105
    assert kwd.original_amount == Decimal("1.234") and kwd.amount == Decimal("4.01")
    assert Order.objects.count() == 3
    # the API writes each amount with its currency's decimals
    assert api.get(f"/api/v1/orders/{kwd.code}/").json()["amount"] == "4.01"
    jpy = Order.objects.get(external_id="jp-1")  # 1500 × 0.0068 = 10.20
    assert api.get(f"/api/v1/orders/{jpy.code}/").json()["amount"] == "10.20"
    usd = Order.objects.get(external_id="us-1")
    assert api.get(f"/api/v1/orders/{usd.code}/").json()["amount"] == "12.50"


def test_order_correction_refuses_too_many_decimals(api, workspace, alice):
    o = Order.objects.create(workspace=workspace, contact=alice, amount=10, currency="USD",
                             occurred_at=timezone.now())
    r = api.patch(f"/api/v1/orders/{o.code}/", {"amount": "9.999"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["amount"] == ["USD amounts have at most 2 decimals."]
    o.refresh_from_db()
    assert o.amount == 10
    r = api.patch(f"/api/v1/orders/{o.code}/", {"amount": "9.999", "currency": "KWD"},
                  format="json")
    assert r.status_code == 200, r.content
    o.refresh_from_db()
    assert (o.amount, o.currency) == (Decimal("9.999"), "KWD")


def test_spend_follows_the_workspace_currency(api, workspace):
    make_channel(workspace)
    r = post_rows(api, "spend", [
        {"date": DAY, "channel": "google_ads", "amount": "10.004"},
        {"date": DAY, "channel": "google_ads", "amount": "10.25"},
    ])
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["rejected", "created"]
    assert res[0]["errors"] == {"amount": [f"{workspace.currency} amounts have at most 2 decimals."]}
    assert Spend.objects.get().amount == Decimal("10.25")


def test_spend_in_a_yen_workspace_has_no_decimals(api, workspace):
    workspace.currency = "JPY"
    workspace.save(update_fields=["currency"])
    from django.core.cache import cache
    cache.clear()  # the API key's cached workspace
    make_channel(workspace)
    r = post_rows(api, "spend", [{"date": DAY, "channel": "google_ads", "amount": "10.5"},
                                 {"date": DAY, "channel": "google_ads", "amount": "1500"}])
    res = r.json()["results"]
    assert res[0]["errors"] == {"amount": ["JPY amounts have no decimals."]}
    assert Spend.objects.get().amount == Decimal("1500")


def test_csv_order_import_reports_the_row(owner_client, workspace, alice, settings, tmp_path,
                                          django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    body = ("external_id,contact,amount,currency,occurred_at\n"
            f"o-1,u-1,0.004,USD,{DAY}\n"
            f"o-2,u-1,19.99,USD,{DAY}\n").encode()
    owner_client.post(reverse("imports", kwargs={"slug": workspace.slug}), {
        "kind": "orders", "layout": "auto", "file": SimpleUploadedFile("o.csv", body)})
    job = ImportJob.objects.get(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                            "import_code": job.code}))
    job.refresh_from_db()
    assert (job.created_rows, job.error_rows) == (1, 1), job.report
    errors = dict((line, e) for line, e in job.report["errors"])
    assert errors == {2: {"amount": ["USD amounts have at most 2 decimals."]}}
    assert list(Order.objects.values_list("external_id", "amount")) == [("o-2", Decimal("19.99"))]


def test_amount_places_error_is_none_for_whole_and_exact_amounts():
    assert amount_places_error(Decimal("1E+3"), "JPY") is None
    assert amount_places_error(Decimal("12.500"), "USD") is None  # trailing zeros are exact
