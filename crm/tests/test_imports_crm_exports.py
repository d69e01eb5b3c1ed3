"""CRM and billing exports as HubSpot, Shopify and Stripe write them by default (issue 17):
each sample's file totals equal what is stored, nobody is merged with another person in
silence, and importing the same file twice changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from crm.models import Contact, Order
from crm.tests.test_imports import _confirm, _job, _upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _import(client, ws, name, kind, capture, layout="auto"):
    resp = _upload(client, ws, name, kind, layout)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    job = _job(ws)
    return _confirm(client, ws, job, capture)


def test_hubspot_contacts_null_phones_and_shared_phones_stay_distinct_people(
        owner_client, workspace, django_capture_on_commit_callbacks):
    job = _import(owner_client, workspace, "hubspot_contacts.csv", "contacts",
                  django_capture_on_commit_callbacks)
    assert job.layout == "hubspot_contacts"
    assert (job.status, job.created_rows, job.updated_rows, job.error_rows) == ("done", 7, 0, 0)
    people = {c.external_id: c for c in Contact.objects.filter(workspace=workspace)}
    assert len(people) == 7  # 7 distinct people in the file, 7 contacts
    assert people["51"].phone == "" and people["52"].phone == ""  # "null" is no value
    assert people["55"].phone == "" and people["56"].phone == ""  # "N/A", "-"
    assert (people["53"].email, people["54"].email) == ("james@northwind.example",
                                                        "anna@fjord.example")
    assert {k: c.stage for k, c in people.items()} == {
        "51": "mql", "52": "sql", "53": "customer", "54": "advocate", "55": "other",
        "56": "lead", "57": "subscriber"}
    assert {k: c.country for k, c in people.items()} == {
        "51": "SA", "52": "SA", "53": "US", "54": "GB", "55": "JO", "56": "", "57": ""}

    again = _import(owner_client, workspace, "hubspot_contacts.csv", "contacts",
                    django_capture_on_commit_callbacks)
    assert (again.created_rows, again.updated_rows, again.report["unchanged"]) == (0, 0, 7)
    assert Contact.objects.filter(workspace=workspace).count() == 7


def test_a_row_naming_two_people_is_refused_not_merged(api, workspace):
    from crm.tests.bulk_helpers import post_rows

    a = Contact.objects.create(workspace=workspace, email="a@example.com", external_id="1")
    b = Contact.objects.create(workspace=workspace, email="b@example.com", external_id="2")
    r = post_rows(api, "contacts", [{"external_id": "2", "email": "a@example.com"},
                                    {"external_id": "3", "email": "a@example.com"},
                                    {"phone": "null", "email": "c@example.com"}])
    res = r.json()["results"]
    assert res[0]["status"] == "rejected" and res[0]["code"] == "needs_review"
    assert res[1]["status"] == "rejected" and res[1]["code"] == "identity_conflict"
    assert res[2]["status"] == "created"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.email, b.email) == ("a@example.com", "b@example.com")
    assert Contact.objects.get(email="c@example.com").phone == ""


def test_shopify_customers_then_orders_match_the_file(owner_client, workspace,
                                                      django_capture_on_commit_callbacks):
    cust = _import(owner_client, workspace, "shopify_customers.csv", "contacts",
                   django_capture_on_commit_callbacks)
    assert (cust.layout, cust.created_rows, cust.error_rows) == ("shopify_customers", 3, 0)
    mona = Contact.objects.get(workspace=workspace, external_id="7012345678902")
    assert (mona.phone, mona.country) == ("+971501112233", "AE")  # the leading ' stripped

    job = _import(owner_client, workspace, "shopify_orders.csv", "orders",
                  django_capture_on_commit_callbacks)
    assert job.layout == "shopify_orders"
    assert job.report["errors"] == []
    assert (job.created_rows, job.error_rows, job.report["line_items"],
            job.report["refunds"]) == (6, 0, 1, 1)
    orders = Order.objects.filter(workspace=workspace)
    sales = orders.exclude(kind="refund")
    # the file's Total column: 120 + 30 + 55.50 + 80 + 45 + 0
    assert sales.count() == 6 and sales.aggregate(s=Sum("amount"))["s"] == Decimal("330.50")
    status = dict(sales.values_list("external_id", "status"))
    assert status == {"#1001": "paid", "#1002": "pending", "#1003": "partially_refunded",
                      "#1004": "cancelled", "#1005": "paid", "#1006": "paid"}
    refund = orders.get(kind="refund")
    assert (refund.external_id, refund.amount) == ("#1003-refund", Decimal("20.00"))
    assert orders.get(external_id="#1005").contact_id == mona.pk  # no e-mail: by phone
    first = orders.get(external_id="#1001")
    assert first.occurred_at.isoformat() == "2026-01-15T07:23:45+00:00"  # Created at
    counted = sales.filter(status__in=Order.COUNTED_STATUSES).aggregate(s=Sum("amount"))["s"]
    assert counted - refund.amount == Decimal("200.50")  # 120 + 55.50 + 45 + 0 − 20

    again = _import(owner_client, workspace, "shopify_orders.csv", "orders",
                    django_capture_on_commit_callbacks)
    assert (again.created_rows, again.updated_rows, again.report["unchanged"]) == (0, 0, 7)
    assert Order.objects.filter(workspace=workspace).count() == 7


def test_stripe_customers_sharing_an_email_are_one_contact_and_payments_match(
        owner_client, workspace, django_capture_on_commit_callbacks):
    cust = _import(owner_client, workspace, "stripe_customers.csv", "contacts",
                   django_capture_on_commit_callbacks)
    assert (cust.layout, cust.error_rows) == ("stripe_customers", 0)
    assert Contact.objects.filter(workspace=workspace).count() == 3
    assert Contact.objects.filter(workspace=workspace, email="layla@oasis.example").count() == 1

    job = _import(owner_client, workspace, "stripe_payments.csv", "orders",
                  django_capture_on_commit_callbacks)
    assert (job.layout, job.created_rows, job.error_rows, job.report["refunds"]) == (
        "stripe_payments", 4, 0, 2)
    orders = Order.objects.filter(workspace=workspace)
    sales = orders.exclude(kind="refund")
    assert sales.aggregate(s=Sum("amount"))["s"] == Decimal("1289.00")  # 49 + 1200 + 15 + 25
    assert orders.filter(kind="refund").aggregate(s=Sum("amount"))["s"] == Decimal("225.00")
    assert dict(sales.values_list("external_id", "status")) == {
        "ch_1": "paid", "ch_2": "partially_refunded", "ch_3": "failed", "ch_4": "refunded"}
    assert orders.get(external_id="ch_2-refund").occurred_at.isoformat() == \
        "2026-01-20T09:00:00+00:00"
    assert orders.get(external_id="ch_4").contact.external_id == "cus_Q2"

    again = _import(owner_client, workspace, "stripe_payments.csv", "orders",
                    django_capture_on_commit_callbacks)
    assert (again.created_rows, again.updated_rows) == (0, 0)
    assert orders.count() == 6


@pytest.mark.parametrize("name,emails", [
    ("email_list.txt", ["ann@example.com", "bob@example.com", "cara@example.com"]),
    ("email_list_header.csv", ["ann@example.com", "dan@example.com"])])
def test_a_one_column_email_list_is_a_contacts_file(owner_client, workspace, name, emails,
                                                    django_capture_on_commit_callbacks):
    job = _import(owner_client, workspace, name, "contacts", django_capture_on_commit_callbacks)
    assert (job.created_rows, job.error_rows) == (len(emails), 0)
    assert sorted(Contact.objects.filter(workspace=workspace)
                  .values_list("email", flat=True)) == emails


def test_error_report_groups_errors_by_type_with_counts(owner_client, workspace):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    body = ("Email,Country\na@example.com,Atlantis\nb@example.com,Narnia\nnot-an-email,SA\n"
            "c@example.com,Saudi Arabia\n")
    resp = owner_client.post(reverse("imports", kwargs={"slug": workspace.slug}), {
        "kind": "contacts", "layout": "auto",
        "file": SimpleUploadedFile("c.csv", body.encode(), "text/csv")})
    assert resp.status_code == 302
    job = _job(workspace)
    assert job.report["preview"]["error_groups"] == {
        "country\x1fCountry must be a 2-letter code like SA, or a country name MOS knows.": 2,
        "email\x1fEnter a valid e-mail address.": 1}
    text = owner_client.get(resp.url).content.decode()
    assert "Country: Country must be a 2-letter code like SA, or a country name MOS knows." \
        in text and "2 rows" in text
