"""Issue 13, erasure: an admin erases a contact (profile and API); personal data goes, the
month's revenue and customers (every metric) stay identical, the ledger keeps no personal
data, and a later import of the same e-mail is refused unless it carries a new consent."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from automation import services as automation_services
from automation.models import Message
from crm.models import (Activity, Complaint, Consent, Contact, ContactMerge, ErasureRecord, Event, LeadFeedback,
                        Order, StageChange)
from engines.models import MetricValue
from engines.services import metric_run_start
from mos.models import AuditEntry, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(workspace, owner_actor):
    ws = workspace
    day = timezone.now() - timedelta(days=20)
    made = {}
    for who, amount in (("amal", "250.00"), ("omar", "100.00")):
        c = Contact.objects.create(workspace=ws, name=who.title(), email=f"{who}@example.com",
                                   phone="+966 50 123 00" + str(len(made)), stage="customer",
                                   country="SA", external_id=f"x-{who}",
                                   properties={"note": f"{who} likes tea"})
        StageChange.objects.create(workspace=ws, contact=c, from_stage="lead",
                                   to_stage="customer", at=day)
        Order.objects.create(workspace=ws, contact=c, amount=Decimal(amount), currency="USD",
                             occurred_at=day)
        Event.objects.create(workspace=ws, contact=c, name="login", occurred_at=day,
                             anonymous_id=f"anon-{who}")
        Consent.objects.create(workspace=ws, contact=c, channel="email", status="granted",
                               source=f"{who}'s sign-up form")
        LeadFeedback.objects.create(workspace=ws, contact=c, quality=4, outcome="converted",
                                    reason="liked the demo", note=f"call {who} at home")
        Activity.objects.create(workspace=ws, contact=c, kind="call", at=day,
                                subject=f"Call with {who}", body=f"{who} is moving house",
                                call_outcome="connected", duration_seconds=300,
                                external_id=f"call-{who}")
        Complaint.objects.create(workspace=ws, contact=c, subject=f"{who} got a broken cup",
                                 body=f"{who} wants a refund", resolution=f"refunded {who}")
        made[who] = c
    ContactMerge.objects.create(workspace=ws, survivor=made["amal"], merged_code=made["omar"].code,
                                merged_snapshot={"email": "amal.old@example.com"},
                                matched_on="email")
    flow = automation_services.flow_create(actor=owner_actor, name="W", trigger="event",
                                           trigger_config={"event": "login"}, goal="order",
                                           steps=[{"kind": "send_email",
                                                   "config": {"subject_en": "Hi", "body_en": "Hello"}}])
    Message.objects.create(workspace=ws, flow=flow, contact=made["amal"],
                           step=flow.steps.first(), channel="email", status="sent",
                           to="amal@example.com", subject="Hi Amal")
    return made


def _metrics(ws):
    run = metric_run_start(workspace=ws, trigger="manual")
    assert run.status == "succeeded", run.error
    return {(m.key, m.grain, m.period, m.dimension, m.dimension_value): round(m.value, 9)
            for m in MetricValue.objects.filter(workspace=ws)}


def test_erasure_keeps_every_metric_and_removes_the_personal_data(
        workspace, owner_client, people):
    before = _metrics(workspace)
    month = max(k for k in before if k[0] == "revenue" and k[1] == "month" and not k[3])
    assert before[month] == 350.0  # 250 + 100, by hand
    amal = people["amal"]
    r = owner_client.post(reverse("contact_erase", args=[workspace.slug, amal.code]),
                          {"reason": "asked by e-mail"})
    assert r.status_code == 302

    after = _metrics(workspace)
    assert after == before  # revenue, customers, funnel: identical
    assert after[month] == 350.0
    assert after[("new_customers",) + month[1:]] == 2.0

    amal.refresh_from_db()
    assert amal.erased_at is not None
    assert (amal.name, amal.email, amal.phone, amal.external_id, amal.properties) == (
        "", "", "", "", {})
    assert amal.country == "SA" and amal.stage == "customer"  # aggregates' dimensions stay
    assert Order.objects.filter(contact=amal).count() == 1
    assert not Event.objects.filter(contact=amal).exclude(anonymous_id="").exists()
    fb = LeadFeedback.objects.get(contact=amal)
    assert (fb.note, fb.reason) == ("", "")
    call = Activity.objects.get(contact=amal)  # the call stays (handling time), its words go
    assert (call.subject, call.body, call.external_id) == ("", "", "")
    assert (call.kind, call.duration_seconds) == ("call", 300)
    complaint = Complaint.objects.get(contact=amal)  # counted in the service metrics still
    assert (complaint.body, complaint.resolution) == ("", "")
    assert ContactMerge.objects.get(survivor=amal).merged_snapshot == {}
    assert Message.objects.get(contact=amal).to == ""
    latest = Consent.objects.filter(contact=amal).order_by("-at", "-id").first()
    assert latest.status == "withdrawn"
    # nothing of hers is left anywhere a person can read it
    everywhere = json.dumps([
        list(Contact.objects.filter(pk=amal.pk).values()),
        list(Consent.objects.filter(contact=amal).values("source")),
        list(AuditEntry.objects.values("changes", "object_repr")),
        list(ErasureRecord.objects.values()),
        list(Message.objects.filter(contact=amal).values("to", "subject")),
        list(Activity.objects.filter(contact=amal).values()),
        list(Complaint.objects.filter(contact=amal).values()),
    ], default=str)
    for secret in ("amal@example.com", "Amal", "123 000", "tea", "x-amal", "anon-amal",
                   "call amal", "amal.old", "moving house", "call-amal", "broken cup", "refunded amal"):
        assert secret not in everywhere, secret
    rec = ErasureRecord.objects.get()
    assert rec.email_hash and rec.kept["orders"] == 1 and rec.reason == "asked by e-mail"
    assert AuditEntry.objects.filter(action="contact.erase").count() == 1
    # Omar is untouched
    assert Contact.objects.get(pk=people["omar"].pk).email == "omar@example.com"
    page = owner_client.get(reverse("contact_detail", args=[workspace.slug, amal.code]))
    assert "personal data was erased" in page.content.decode()


def test_import_of_an_erased_email_is_refused_unless_consent_is_given_again(
        workspace, api, people, owner_client):
    owner_client.post(reverse("contact_erase", args=[workspace.slug, people["amal"].code]))
    r = api.post("/api/v1/contacts/bulk", {"rows": [
        {"email": " AMAL@example.com ", "name": "Amal"},
        {"phone": "+966 50 123 000", "name": "Amal by phone"},
        {"email": "new@example.com", "name": "New"}]}, format="json")
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["rejected", "rejected", "created"]
    assert res[0]["code"] == "erased" and "consent" in res[0]["errors"]["email"][0]
    assert res[1]["code"] == "erased" and "phone" in res[1]["errors"]
    one = api.post("/api/v1/contacts/", {"email": "amal@example.com"}, format="json")
    assert one.status_code == 400 and "email" in one.json()["error"]["fields"]
    # with a new consent the person comes back, the consent recorded, the block lifted
    r = api.post("/api/v1/contacts/bulk", {"rows": [
        {"email": "amal@example.com", "name": "Amal", "consent": {"email": "granted"}}]},
        format="json")
    assert r.json()["results"][0]["status"] == "created"
    back = Contact.objects.get(email="amal@example.com")
    row = Consent.objects.get(contact=back)
    assert (row.status, row.lawful_basis, row.source) == ("granted", "consent", "import")
    assert ErasureRecord.objects.get().lifted_at is not None
    bad = api.post("/api/v1/contacts/bulk", {"rows": [
        {"email": "z@example.com", "consent": {"fax": "granted"}}]}, format="json")
    assert bad.json()["results"][0]["code"] == "invalid"


def test_changing_a_contact_to_an_erased_email_or_phone_is_refused(
        workspace, api, people, owner_client):
    owner_client.post(reverse("contact_erase", args=[workspace.slug, people["amal"].code]))
    omar = people["omar"]
    r = api.patch(f"/api/v1/contacts/{omar.code}/", {"email": "Amal@Example.com"},
                  format="json")
    assert r.status_code == 400 and "email" in r.json()["error"]["fields"]
    r = api.patch(f"/api/v1/contacts/{omar.code}/", {"phone": "+966 50 123 000"},
                  format="json")
    assert r.status_code == 400 and "phone" in r.json()["error"]["fields"]
    omar.refresh_from_db()
    assert (omar.email, omar.phone) == ("omar@example.com", "+966 50 123 001")
    # other changes to a contact are not affected
    r = api.patch(f"/api/v1/contacts/{omar.code}/", {"city": "Jeddah"}, format="json")
    assert r.status_code == 200


def test_only_admins_erase(workspace, add_member, client_for, api, people):
    lead = add_member(Role.GROWTH_LEAD)
    c = client_for(lead)
    url = reverse("contact_erase", args=[workspace.slug, people["omar"].code])
    assert c.post(url).status_code == 403
    assert "Erase…" not in c.get(reverse("contact_detail", args=[
        workspace.slug, people["omar"].code])).content.decode()
    # an API key (an integration, growth-lead rights) may not erase either
    assert api.post(f"/api/v1/contacts/{people['omar'].code}/erase/", {},
                    format="json").status_code == 403
    assert not ErasureRecord.objects.exists()


def test_admin_erases_through_the_api_once(workspace, owner, people):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_login(owner)
    url = f"/api/v1/contacts/{people['omar'].code}/erase/"
    r = c.post(url, {"reason": "DSAR 7"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["kept"] == {"orders": 1, "events": 1, "stage_changes": 1}
    again = c.post(url, {}, format="json")
    assert again.status_code == 400
