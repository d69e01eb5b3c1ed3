"""Issue 13: every consent row records its lawful basis and source; the history is on the
profile and in the API (read), scoped to the workspace."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Consent, Contact

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


@pytest.fixture
def rana(workspace):
    return Contact.objects.create(workspace=workspace, name="Rana", email="rana@example.com")


def test_api_records_the_basis_and_reads_the_history_newest_first(api, outsider_api, rana):
    r = api.post(f"{URL}{rana.code}/consent/", {"channel": "email", "status": "granted",
                                                "lawful_basis": "contract",
                                                "source": "order form",
                                                "at": "2026-01-05T10:00:00Z"}, format="json")
    assert r.status_code == 201 and r.json()["lawful_basis"] == "contract"
    api.post(f"{URL}{rana.code}/consent/", {"channel": "email", "status": "withdrawn",
                                            "source": "phone call",
                                            "at": "2026-02-01T10:00:00Z"}, format="json")
    bad = api.post(f"{URL}{rana.code}/consent/", {"channel": "email", "status": "granted",
                                                  "lawful_basis": "because"}, format="json")
    assert bad.status_code == 400 and "lawful_basis" in bad.json()["error"]["fields"]
    hist = api.get(f"{URL}{rana.code}/consent-history/")
    assert hist.status_code == 200
    assert [(h["status"], h["lawful_basis"], h["source"]) for h in hist.json()] == [
        ("withdrawn", "consent", "phone call"), ("granted", "contract", "order form")]
    assert outsider_api.get(f"{URL}{rana.code}/consent-history/").status_code == 404


def test_bulk_consent_takes_a_basis(api, rana):
    r = api.post("/api/v1/consent/bulk", {"rows": [{"contact": str(rana.code), "channel": "sms",
                                           "status": "granted",
                                           "lawful_basis": "legitimate_interest"},
                                          {"contact": str(rana.code), "channel": "sms",
                                           "status": "granted", "lawful_basis": "x"}]},
                 format="json")
    assert r.status_code == 200
    assert [row["status"] for row in r.json()["results"]] == ["created", "rejected"]
    assert Consent.objects.get(contact=rana).lawful_basis == "legitimate_interest"


def test_profile_grants_with_a_basis_and_shows_the_history(owner_client, workspace, rana):
    url = reverse("contact_consent", args=[workspace.slug, rana.code])
    owner_client.post(url, {"channel": "email", "status": "granted",
                            "lawful_basis": "legitimate_interest"})
    row = Consent.objects.get(contact=rana)
    assert row.lawful_basis == "legitimate_interest" and row.source == "mos:profile"
    page = owner_client.get(reverse("contact_detail", args=[workspace.slug, rana.code]))
    html = page.content.decode()
    assert "Consent history (1 entry)" in html and "Legitimate interest" in html
