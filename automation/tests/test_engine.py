"""Flows against a real SMTP server (aiosmtpd, started by the test): messages in the contact's
language with a working one-click unsubscribe, consent enforced under every trigger, and the
fault drills (duplicate trigger, unsubscribe during a wait, worker killed mid-flow) sending no
duplicate and nothing without consent."""

from __future__ import annotations

import email
import socket
from datetime import datetime, timedelta, timezone as dt_tz
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from automation import engine, services, triggers
from automation.models import Enrollment, Flow, Message, Suppression
from crm import services as crm_services
from crm.models import Consent, Contact, Event, Segment, StageChange

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


NOON = datetime(2026, 3, 10, 12, 0, tzinfo=dt_tz.utc)  # not in anyone's quiet hours (UTC)


def _subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def _body(msg) -> str:
    part = msg.get_payload(decode=True) if not msg.is_multipart() else \
        msg.get_payload()[0].get_payload(decode=True)
    return part.decode(msg.get_content_charset() or "utf-8")


def _contact(ws, email_addr, *, consent="granted", language="en", stage="subscriber", **kw):
    c = Contact.objects.create(workspace=ws, email=email_addr, name=email_addr.split("@")[0],
                               language=language, stage=stage, **kw)
    if consent:
        Consent.objects.create(workspace=ws, contact=c, channel="email", status=consent,
                               at=NOON - timedelta(days=30))
    return c


SEND = {"kind": "send_email", "config": {"subject_en": "Welcome {{ name }}",
                                         "body_en": "Hello {{ name }}",
                                         "subject_ar": "أهلاً {{ name }}",
                                         "body_ar": "مرحباً {{ name }}"}}
SEND2 = {"kind": "send_email", "config": {"subject_en": "Second", "body_en": "Again"}}


def _flow(actor, *, steps=None, trigger="stage_change", cfg=None, holdout=0.0, **kw):
    flow = services.flow_create(actor=actor, name="F", trigger=trigger,
                                trigger_config=cfg or {"to_stage": "lead"}, goal="order",
                                holdout_share=holdout, steps=steps or [SEND], **kw)
    services.flow_set_status(actor=actor, flow=flow, status="active")
    Flow.objects.filter(pk=flow.pk).update(activated_at=NOON - timedelta(days=1))
    flow.refresh_from_db()
    return flow


def _run(flow, now, capture):
    with capture(execute=True):
        triggers.evaluate_flow(flow, now=now)
        engine.advance_due(now=now)


def _to_lead(actor, contact, at=NOON - timedelta(hours=1)):
    crm_services.contact_change_stage(actor=actor, contact=contact, to_stage="lead", at=at)


def test_sends_in_the_contacts_language_with_a_working_one_click_unsubscribe(
        smtp, workspace, owner_actor, client, django_capture_on_commit_callbacks):
    en = _contact(workspace, "sam@example.test")
    ar = _contact(workspace, "layla@example.test", language="ar")
    flow = _flow(owner_actor, steps=[SEND, {"kind": "wait", "config": {"days": 2}}, SEND2])
    for c in (en, ar):
        _to_lead(owner_actor, c)
    _run(flow, NOON, django_capture_on_commit_callbacks)

    assert len(smtp.messages) == 2
    (m_en,), (m_ar,) = smtp.to("sam@example.test"), smtp.to("layla@example.test")
    assert _subject(m_en) == "Welcome sam" and "Hello sam" in _body(m_en)
    assert _subject(m_ar) == "أهلاً layla" and "مرحباً layla" in _body(m_ar)
    url = "".join(m_ar["List-Unsubscribe"].split()).strip("<>")
    assert m_ar["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in _body(m_ar)

    # the link needs no login: GET shows one button (link scanners change nothing) …
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and not Consent.objects.filter(
        contact=ar, status="withdrawn").exists()
    # … and the mail client's one-click POST (no CSRF token) writes the consent ledger
    assert client.post("/" + path).status_code == 200
    row = Consent.objects.filter(contact=ar).order_by("-at", "-id").first()
    assert row.status == "withdrawn" and row.channel == "email" and "unsubscribe" in row.source
    assert client.post("/" + path).status_code == 200  # a second click changes nothing
    assert Consent.objects.filter(contact=ar, status="withdrawn").count() == 1
    assert client.get("/unsubscribe/forged-token/").status_code == 404

    # two days later only the contact who kept consent gets the second message
    _run(flow, NOON + timedelta(days=2, hours=1), django_capture_on_commit_callbacks)
    assert [_subject(m) for m in smtp.to("sam@example.test")] == ["Welcome sam", "Second"]
    assert len(smtp.to("layla@example.test")) == 1
    assert Message.objects.get(contact=ar, step__position=2).status == "no_consent"
    assert Message.objects.filter(flow=flow, unsubscribed_at__isnull=False).count() == 1


def test_zero_messages_reach_opted_out_contacts_under_every_trigger(
        smtp, workspace, owner_actor, django_capture_on_commit_callbacks):
    seg = Segment.objects.create(workspace=workspace, name="Gold",
                                 filters={"properties": {"tier": "gold"}})
    flows = {
        "stage_change": _flow(owner_actor, cfg={"to_stage": "lead"}),
        "event": _flow(owner_actor, trigger="event", cfg={"event": "trial_started"}),
        "segment_entry": _flow(owner_actor, trigger="segment_entry",
                               cfg={"segment": str(seg.code)}),
        "date_property": _flow(owner_actor, trigger="date_property",
                               cfg={"property": "renewal", "offset_days": 0}),
        "schedule": _flow(owner_actor, trigger="schedule",
                          cfg={"every_days": 7, "inactive_days": 30}),
    }
    people = {"never": None, "withdrawn": "withdrawn", "ok": "granted", "late": "granted"}
    contacts = {}
    for who, consent in people.items():
        c = _contact(workspace, f"{who}@example.test", consent=consent,
                     properties={"tier": "gold", "renewal": "2026-03-01"})
        _to_lead(owner_actor, c)
        Event.objects.create(workspace=workspace, contact=c, name="trial_started",
                             occurred_at=NOON - timedelta(hours=2))
        contacts[who] = c
    # "late" withdraws after the trial event and the stage change, before the flows run
    crm_services.consent_record(actor=owner_actor, contact=contacts["late"], channel="email",
                                status="withdrawn", source="form")
    # the schedule trigger selects the inactive: make them inactive for 30 days
    Event.objects.filter(workspace=workspace).update(occurred_at=NOON - timedelta(days=40))
    for name, flow in flows.items():
        if name == "event":
            Event.objects.filter(workspace=workspace).update(occurred_at=NOON - timedelta(hours=2))
        _run(flow, NOON, django_capture_on_commit_callbacks)
        if name == "event":
            Event.objects.filter(workspace=workspace).update(occurred_at=NOON - timedelta(days=40))
        assert Enrollment.objects.filter(flow=flow).count() == 4, name

    recipients = sorted(m["To"] for m in smtp.messages)
    # the frequency cap (3 a week) stops the 4th and 5th flow for the one who consented
    assert recipients == ["ok@example.test"] * 3
    assert not Message.objects.filter(status="sent").exclude(
        contact=contacts["ok"]).exists()
    assert Message.objects.filter(status="no_consent").count() == 15  # 3 people × 5 flows
    assert Message.objects.filter(contact=contacts["ok"], status="capped").count() == 2


def test_duplicate_trigger_and_killed_worker_send_once(
        smtp, workspace, owner_actor, django_capture_on_commit_callbacks):
    c = _contact(workspace, "once@example.test")
    flow = _flow(owner_actor, steps=[SEND, {"kind": "wait", "config": {"hours": 1}}, SEND2])
    _to_lead(owner_actor, c)
    # double trigger: the stage changes twice, the trigger is evaluated three times
    crm_services.contact_change_stage(actor=owner_actor, contact=c, to_stage="mql",
                                      at=NOON - timedelta(minutes=50))
    _to_lead(owner_actor, c, at=NOON - timedelta(minutes=40))
    for _ in range(3):
        triggers.evaluate_flow(flow, now=NOON)
    assert triggers.enroll(flow, [c.pk], now=NOON) == 0
    assert Enrollment.objects.filter(flow=flow).count() == 1
    enr = Enrollment.objects.get(flow=flow)

    # worker killed after its transaction committed but before it sent: the row is queued
    engine.advance_enrollment(enr.pk, now=NOON)  # on_commit never runs here: "killed"
    assert Message.objects.get().status == "queued" and smtp.messages == []
    # the next run re-reads the same due enrollments: nothing is queued twice
    engine.advance_enrollment(enr.pk, now=NOON)
    engine.advance_due(now=NOON)
    assert Message.objects.count() == 1
    # the sweeper sends the orphan once; two sweepers racing send it once
    assert engine.deliver_queued(older_than_seconds=0) == 1
    assert engine.deliver_queued(older_than_seconds=0) == 0
    assert engine.deliver(Message.objects.get().pk) is False
    assert len(smtp.messages) == 1

    # a worker killed after sending, before marking sent: the row stays 'sending', never resent
    later = NOON + timedelta(hours=2)
    engine.advance_enrollment(enr.pk, now=later)
    second = Message.objects.get(step__position=2)
    Message.objects.filter(pk=second.pk).update(status="sending")
    assert engine.deliver_queued(older_than_seconds=0) == 0
    with django_capture_on_commit_callbacks(execute=True):
        engine.advance_due(now=later + timedelta(days=1))
    assert len(smtp.messages) == 1 and Message.objects.count() == 2
    enr.refresh_from_db()
    assert enr.state == "done"


def test_unsubscribe_between_queueing_and_sending_stops_the_message(
        smtp, workspace, owner_actor):
    c = _contact(workspace, "late@example.test")
    flow = _flow(owner_actor)
    _to_lead(owner_actor, c)
    triggers.evaluate_flow(flow, now=NOON)
    engine.advance_due(now=NOON)  # queued, not yet sent (callbacks not run)
    msg = Message.objects.get()
    engine.unsubscribe(msg)
    assert engine.deliver(msg.pk) is False
    msg.refresh_from_db()
    assert msg.status == "no_consent" and smtp.messages == []


def test_suppression_quiet_hours_and_holdout(smtp, workspace, owner_actor,
                                              django_capture_on_commit_callbacks):
    sup = _contact(workspace, "bounced@example.test")
    night = _contact(workspace, "riyadh@example.test",
                     properties={"time_zone": "Asia/Riyadh"})  # 12:00 UTC + 3 = 15:00
    services.suppression_add(actor=owner_actor, address="Bounced@Example.test")
    flow = _flow(owner_actor, quiet_start=14, quiet_end=9)
    for c in (sup, night):
        _to_lead(owner_actor, c)
    _run(flow, NOON, django_capture_on_commit_callbacks)
    assert smtp.messages == []
    assert Message.objects.get(contact=sup).status == "suppressed"
    enr = Enrollment.objects.get(contact=night)
    # deferred to 09:00 Riyadh time the next day = 06:00 UTC
    assert enr.due_at == datetime(2026, 3, 11, 6, 0, tzinfo=dt_tz.utc)
    _run(flow, enr.due_at, django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp.messages] == ["riyadh@example.test"]
    assert Suppression.objects.count() == 1


def test_holdout_is_fixed_per_contact_and_receives_nothing(
        smtp, workspace, owner_actor, django_capture_on_commit_callbacks):
    flow = _flow(owner_actor, holdout=0.5)
    cs = [_contact(workspace, f"h{i}@example.test") for i in range(40)]
    for c in cs:
        _to_lead(owner_actor, c)
    _run(flow, NOON, django_capture_on_commit_callbacks)
    held = set(Enrollment.objects.filter(flow=flow, holdout=True)
               .values_list("contact__email", flat=True))
    assert 8 <= len(held) <= 32  # 50 % of 40, far from all or none
    assert held.isdisjoint(m["To"] for m in smtp.messages)
    assert len(smtp.messages) == 40 - len(held)
    for c in cs:  # the draw is a pure function of flow and contact
        assert (triggers.holdout_draw(flow.code, c.code) < 0.5) == (c.email in held)


def test_flow_stats_count_conversions_and_lift(workspace, owner_actor):
    from crm.models import Order

    flow = _flow(owner_actor)
    treated = [_contact(workspace, f"t{i}@example.test") for i in range(10)]
    held = [_contact(workspace, f"h{i}@example.test") for i in range(5)]
    for i, c in enumerate(treated + held):
        Enrollment.objects.create(workspace=workspace, flow=flow, contact=c,
                                  holdout=c in held, enrolled_at=NOON,
                                  state="holdout" if c in held else "active")
    for c in treated[:4] + held[:1]:  # 4/10 treated, 1/5 held out
        Order.objects.create(workspace=workspace, contact=c, amount=10, currency="USD",
                             occurred_at=NOON + timedelta(days=1))
    Order.objects.create(workspace=workspace, contact=treated[5], amount=10, currency="USD",
                         occurred_at=NOON - timedelta(days=1))  # before enrolling: no
    from automation.selectors import flow_stats

    s = flow_stats(flow)
    assert (s["treated"], s["treated_conv"], s["holdout"], s["holdout_conv"]) == (10, 4, 5, 1)
    # lift 0.4 - 0.2 = 0.2; se = sqrt(.4*.6/10 + .2*.8/5) = sqrt(.056) = 0.236643;
    # 1.959964 * 0.236643 = 0.463811
    assert s["lift"]["lift"] == pytest.approx(0.2)
    assert s["lift"]["low"] == pytest.approx(0.2 - 0.463811, abs=1e-5)
    assert s["lift"]["high"] == pytest.approx(0.2 + 0.463811, abs=1e-5)
    assert not s["lift"]["significant"]


def test_actions_move_stage_task_tag_and_condition_exit(workspace, owner_actor, owner):
    c = _contact(workspace, "act@example.test", owner=owner)
    d = _contact(workspace, "cust@example.test")
    flow = _flow(owner_actor, steps=[
        {"kind": "condition", "config": {"field": "stage", "value": ["lead"]}},
        {"kind": "move_stage", "config": {"to_stage": "mql"}},
        {"kind": "create_task", "config": {"title": "Call them"}},
        {"kind": "add_to_segment", "config": {"tag": "nurtured"}}])
    _to_lead(owner_actor, c)
    _to_lead(owner_actor, d)
    crm_services.contact_change_stage(actor=owner_actor, contact=d, to_stage="customer")
    triggers.evaluate_flow(flow, now=NOON)
    engine.advance_due(now=NOON)
    c.refresh_from_db()
    assert c.stage == "mql" and c.properties["nurtured"] is True
    task = c.activities.get()  # a CRM task activity: the rep's one to-do list
    assert (task.kind, task.owner, task.subject, task.done_at) == ("task", owner, "Call them", None)
    assert task.due_at is not None
    assert StageChange.objects.filter(contact=c, to_stage="mql").exists()
    e = Enrollment.objects.get(contact=d)
    assert e.state == "exited" and e.exit_reason == "condition"


def test_lift_interval_by_hand():
    from automation.lift import lift_interval

    r = lift_interval(30, 100, 10, 50)
    # se = sqrt(.3*.7/100 + .2*.8/50) = sqrt(.0053) = .0728011; × 1.959964 = .1426876
    assert r["lift"] == pytest.approx(0.1)
    assert r["low"] == pytest.approx(-0.0426876, abs=1e-6)
    assert r["high"] == pytest.approx(0.2426876, abs=1e-6)
    assert lift_interval(1, 0, 1, 1) is None
