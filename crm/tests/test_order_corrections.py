"""Issue 8 item 2: an order MOS cannot compute with can be corrected or deleted through the
API (by code, audited) and from the contact's profile."""

from __future__ import annotations

from datetime import datetime, timezone as dt_tz

import pytest

from crm.models import Contact, Order
from mos.models import AuditEntry


@pytest.fixture
def bad_order(workspace):
    c = Contact.objects.create(workspace=workspace, external_id="u-1", name="Alice")
    return Order.objects.create(workspace=workspace, contact=c, amount=5, currency="USD",
                                occurred_at=datetime(1, 1, 1, tzinfo=dt_tz.utc))


def test_patch_corrects_the_date_and_is_audited(api, bad_order):
    url = f"/api/v1/orders/{bad_order.code}/"
    r = api.patch(url, {"occurred_at": "0001-06-01T00:00:00Z"}, format="json")
    assert r.status_code == 400 and "occurred_at" in r.json()["error"]["fields"]
    r = api.patch(url, {"occurred_at": "2026-01-05T10:00:00Z", "amount": "0"}, format="json")
    assert r.status_code == 200, r.content
    bad_order.refresh_from_db()
    assert bad_order.occurred_at.year == 2026 and bad_order.amount == 0
    entry = AuditEntry.objects.get(action="order.update")
    assert "occurred_at" in entry.changes


def test_delete_by_code_is_audited_and_outsiders_get_404(api, outsider_api, bad_order):
    url = f"/api/v1/orders/{bad_order.code}/"
    assert outsider_api.delete(url).status_code == 404
    assert api.delete(url).status_code == 204
    assert not Order.objects.filter(pk=bad_order.pk).exists()
    assert AuditEntry.objects.filter(action="order.delete").count() == 1


def test_profile_delete_button(owner_client, member_client, workspace, bad_order):
    page = owner_client.get(f"/w/{workspace.slug}/contacts/{bad_order.contact.code}/")
    html = page.content.decode()
    assert "Delete this order?" in html and "Yes, delete" in html
    url = f"/w/{workspace.slug}/contacts/{bad_order.contact.code}/orders/{bad_order.code}/delete/"
    r = owner_client.post(url)
    assert r.status_code == 302
    assert not Order.objects.filter(pk=bad_order.pk).exists()
    assert AuditEntry.objects.filter(action="order.delete").exists()
