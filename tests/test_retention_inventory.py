"""Issue 13: the retention policy deletes old raw events and clears old sent messages'
content while every stored metric value stays; it is edited by admins only, audited and run
nightly; the field inventory is generated from the models and every personal field has a
declared purpose."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from automation import services as automation_services
from automation.models import Message
from crm import inventory, retention
from crm.models import Contact, Event, Order, RetentionPolicy
from crm.tasks import apply_retention_all
from engines.models import MetricValue
from engines.services import metric_run_start
from mos.models import AuditEntry, Role

pytestmark = pytest.mark.django_db


def _values(ws):
    return {(m.key, m.grain, m.period, m.dimension, m.dimension_value): m.value
            for m in MetricValue.objects.filter(workspace=ws)}


def test_old_raw_rows_go_and_metric_values_stay(workspace, owner_actor, owner_client):
    ws = workspace
    now = timezone.now()
    c = Contact.objects.create(workspace=ws, email="a@example.com", stage="customer")
    old, recent = now - timedelta(days=600), now - timedelta(days=10)
    for when in (old, old + timedelta(days=1), recent):
        Event.objects.create(workspace=ws, contact=c, name="login", occurred_at=when)
    Order.objects.create(workspace=ws, contact=c, amount=Decimal("40"), currency="USD",
                         occurred_at=old)
    # the metrics as computed back then, and today
    assert metric_run_start(workspace=ws, trigger="manual",
                            as_of=(old + timedelta(days=30)).date()).status == "succeeded"
    assert metric_run_start(workspace=ws, trigger="manual").status == "succeeded"
    before = _values(ws)
    assert before

    flow = automation_services.flow_create(
        actor=owner_actor, name="W", trigger="event", trigger_config={"event": "login"},
        goal="order", steps=[{"kind": "send_email",
                              "config": {"subject_en": "Hi", "body_en": "Hello"}}])
    step = flow.steps.first()
    m_old = Message.objects.create(workspace=ws, flow=flow, contact=c, step=step,
                                   channel="email", status="sent", to="a@example.com",
                                   subject="Hi", created_at=now - timedelta(days=40))
    m_new = Message.objects.create(workspace=ws, flow=flow, contact=c, step=step, occurrence=2,
                                   channel="email", status="sent", to="a@example.com",
                                   subject="Hi", created_at=now - timedelta(days=3))

    r = owner_client.post(reverse("privacy", args=[ws.slug]),
                          {"raw_events_months": "3", "message_content_days": "30"})
    assert r.status_code == 200 and "Between 14 and 240 months" in r.content.decode()
    r = owner_client.post(reverse("privacy", args=[ws.slug]),
                          {"raw_events_months": "18", "message_content_days": "30"})
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="retention.update").count() == 1

    assert apply_retention_all() == 1  # the nightly task (eager in tests)
    assert list(Event.objects.filter(workspace=ws).values_list("occurred_at", flat=True)) == [
        recent]
    assert Order.objects.count() == 1  # orders are not raw events: revenue stays
    m_old.refresh_from_db()
    m_new.refresh_from_db()
    assert (m_old.to, m_old.subject, m_old.status) == ("", "", "sent")
    assert m_new.to == "a@example.com"
    policy = RetentionPolicy.objects.get(workspace=ws)
    assert policy.last_run == {"events_deleted": 2, "message_contents_cleared": 1}
    assert AuditEntry.objects.filter(action="retention.apply").count() == 1

    # tonight's metrics run: every stored value is what it was
    assert metric_run_start(workspace=ws, trigger="manual").status == "succeeded"
    assert _values(ws) == before


def test_only_admins_edit_the_policy_and_everyone_reads_the_inventory(
        workspace, add_member, client_for):
    marketer = client_for(add_member(Role.MARKETER))
    url = reverse("privacy", args=[workspace.slug])
    page = marketer.get(url).content.decode()
    assert "Field inventory" in page and "crm_contact.email" in page
    assert "Save policy" not in page
    assert marketer.post(url, {"raw_events_months": "20"}).status_code == 403
    assert not RetentionPolicy.objects.filter(raw_events_months=20).exists()


def test_every_personal_field_has_a_declared_purpose():
    assert inventory.undeclared_fields() == [], (
        "New personal fields: declare their purpose in crm/inventory.py PURPOSES (or why "
        "they are not personal in NOT_PERSONAL)")
    assert inventory.stale_declarations() == []
    keys = {row["key"] for row in inventory.field_inventory()}
    assert {"crm.contact.email", "crm.leadfeedback.note", "automation.message.to"} <= keys


def test_months_before_handles_month_ends():
    from datetime import datetime

    assert retention.months_before(datetime(2026, 3, 31, 5), 1) == datetime(2026, 2, 28, 5)
    assert retention.months_before(datetime(2026, 1, 15), 14) == datetime(2024, 11, 15)
