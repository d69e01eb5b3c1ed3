"""Issue 13 (privacy): export everything MOS holds about a contact, as JSON and CSV, with
formula cells escaped; audited; outsiders 404, members without crm.edit 403."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Consent, Contact, Event, Order
from mos.models import AuditEntry


@pytest.fixture
def nadia(workspace):
    c = Contact.objects.create(workspace=workspace, name="=HYPERLINK(\"http://x\")",
                               email="nadia@example.com", external_id="n-1")
    Event.objects.create(workspace=workspace, contact=c, name="signup",
                         occurred_at=timezone.now(), properties={"plan": "+SUM(1+1)"})
    Order.objects.create(workspace=workspace, contact=c, amount=12, currency="USD",
                         occurred_at=timezone.now())
    Consent.objects.create(workspace=workspace, contact=c, channel="email", status="granted",
                           source="@form")
    return c


def test_json_export_holds_every_kind_of_row(owner_client, workspace, nadia):
    r = owner_client.get(reverse("contact_export_json", args=[workspace.slug, nadia.code]))
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    data = json.loads(r.content)
    assert data["contact"]["email"] == "nadia@example.com"
    assert [e["name"] for e in data["events"]] == ["signup"]
    assert [o["amount"] for o in data["orders"]] == ["12.00"]
    assert [(c["channel"], c["status"], c["source"]) for c in data["consent"]] == [
        ("email", "granted", "@form")]
    assert AuditEntry.objects.filter(action="contact.export").count() == 1
    assert "nadia@example.com" not in json.dumps(
        list(AuditEntry.objects.values_list("changes", flat=True)))


def test_csv_export_escapes_formula_cells(owner_client, workspace, nadia):
    r = owner_client.get(reverse("contact_export_csv", args=[workspace.slug, nadia.code]))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "item", "field", "value"]
    values = {(s, f): v for s, _n, f, v in rows[1:]}
    assert values[("contact", "name")] == "'=HYPERLINK(\"http://x\")"
    assert values[("consent", "source")] == "'@form"
    assert values[("events", "properties")] == '{"plan": "+SUM(1+1)"}'  # starts with {: safe
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values.values())


def test_export_roles_and_tenancy(client_for, add_member, outsider_client, workspace, nadia):
    url = reverse("contact_export_json", args=[workspace.slug, nadia.code])
    assert client_for(add_member("viewer")).get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
