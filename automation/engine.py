"""Running flows: advance the enrollments that are due, one row lock each, and send the
messages their steps queue.

Exactly once. The ledger row of a message (unique on flow, contact, step, occurrence) is
written in the same transaction that moves the enrollment past its send step; the e-mail leaves
only after a sender has claimed that row (UPDATE … SET status='sending' WHERE status='queued',
one row changed). So: a double trigger meets the unique constraint; a worker killed before its
commit leaves the enrollment where it was and nothing sent; a worker killed after sending
leaves a row in 'sending' that no one sends again (at most once is the promise to a customer).

Consent by construction. The gate (current consent for the channel, the suppression list, the
frequency cap, quiet hours in the contact's time zone) is checked at the send step, inside the
enrollment's transaction, and again by the sender right before the backend gets the message:
an unsubscribe during a wait, or between queueing and sending, stops the message."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Consent, Contact, Event, Order
from crm.selectors import has_consent
from mos.actors import Actor
from mos.codes import as_code
from mos.models import Membership

from .models import Enrollment, Flow, Message, Step, Suppression

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "automation.unsubscribe"
CHANNEL_OF = {Step.Kind.SEND_EMAIL: "email", Step.Kind.SEND_SMS: "sms"}
MAX_STEPS_PER_RUN = 50  # a flow of conditions and actions with no wait still ends


# --- the gate -------------------------------------------------------------------------------

def contact_zone(contact: Contact, workspace) -> ZoneInfo:
    name = (contact.properties or {}).get("time_zone") or workspace.timezone or "UTC"
    try:
        return ZoneInfo(str(name))
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(flow: Flow, contact: Contact, now: datetime) -> datetime | None:
    """The end of the contact's quiet hours if `now` falls inside them (their time zone)."""
    if flow.quiet_start == flow.quiet_end:
        return None
    local = now.astimezone(contact_zone(contact, flow.workspace))
    h, start, end = local.hour, flow.quiet_start, flow.quiet_end
    quiet = (h >= start or h < end) if start > end else (start <= h < end)
    if not quiet:
        return None
    resume = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    return resume.astimezone(ZoneInfo("UTC"))


def address_for(contact: Contact, channel: str) -> str:
    return (contact.email if channel == "email" else contact.phone) or ""


def blocked_reason(flow: Flow, contact: Contact, channel: str, now: datetime) -> str:
    """'' when the message may go; else the ledger status saying why it may not."""
    to = address_for(contact, channel)
    if not to:
        return Message.Status.NO_ADDRESS
    if not has_consent(contact, channel):
        return Message.Status.NO_CONSENT
    if Suppression.objects.filter(workspace_id=flow.workspace_id,
                                  address__iexact=to).exists():
        return Message.Status.SUPPRESSED
    recent = Message.objects.filter(contact=contact, sent_at__gte=now - timedelta(days=7),
                                    status=Message.Status.SENT).count()
    if recent >= flow.frequency_cap:
        return Message.Status.CAPPED
    return ""


# --- conversion -----------------------------------------------------------------------------

def goal_met(flow: Flow, contact: Contact, since: datetime) -> bool:
    """Has the contact reached the flow's goal since `since`?"""
    if flow.goal == Flow.Goal.STAGE:
        return bool(flow.goal_value) and contact.stage_changes.filter(
            to_stage=flow.goal_value, at__gte=since).exists()
    if flow.goal == Flow.Goal.EVENT:
        return Event.objects.filter(workspace_id=flow.workspace_id, contact=contact,
                                    name=flow.goal_value, occurred_at__gte=since).exists()
    # a renewal is the subscription running on, not a decision the flow could have caused
    return Order.objects.filter(contact=contact, occurred_at__gte=since).exclude(
        kind__in=[Order.Kind.REFUND, Order.Kind.RENEWAL]).exists()


# --- steps ----------------------------------------------------------------------------------

def _condition_holds(step: Step, enrollment: Enrollment, contact: Contact) -> bool:
    cfg = step.config or {}
    field, value = cfg.get("field"), cfg.get("value")
    if field == "stage":
        values = value if isinstance(value, list) else [value]
        result = contact.stage in values
    elif field == "event":
        result = Event.objects.filter(workspace_id=contact.workspace_id, contact=contact,
                                      name=value,
                                      occurred_at__gte=enrollment.enrolled_at).exists()
    elif field == "order":
        result = Order.objects.filter(contact=contact,
                                      occurred_at__gte=enrollment.enrolled_at).exists()
    elif field == "property":
        result = (contact.properties or {}).get(cfg.get("name")) == value
    elif field == "consent":
        result = has_consent(contact, value or "email")
    else:
        result = False
    return not result if cfg.get("negate") else result


def _run_action(step: Step, enrollment: Enrollment, contact: Contact, now: datetime) -> None:
    cfg = step.config or {}
    actor = Actor.system(enrollment.flow.workspace)
    if step.kind == Step.Kind.MOVE_STAGE:
        if cfg.get("to_stage") and contact.stage != cfg["to_stage"]:
            crm_services.contact_change_stage(actor=actor, contact=contact,
                                              to_stage=cfg["to_stage"],
                                              reason=_("Flow: %s") % enrollment.flow.name)
    elif step.kind == Step.Kind.SET_OWNER:
        member = Membership.objects.filter(workspace_id=contact.workspace_id,
                                           user__email__iexact=cfg.get("owner", "")).first()
        if member:
            Contact.objects.filter(pk=contact.pk).update(owner=member.user, updated_at=now)
            contact.owner = member.user
    elif step.kind == Step.Kind.CREATE_TASK:
        # a CRM task activity, so the rep has one to-do list (My day) for flows and people
        from crm.activities.services import activity_create

        activity_create(actor=actor, kind="task", contact=contact, owner=contact.owner,
                        subject=(cfg.get("title") or str(step.get_kind_display()))[:200],
                        due_at=now + timedelta(days=int(cfg.get("due_days") or 1)),
                        source=f"flow:{enrollment.flow.code}")
    elif step.kind == Step.Kind.ADD_TO_SEGMENT:
        # a segment is a saved filter: the flow tags the contact, and a segment filtering on
        # that property ({"properties": {"<tag>": true}}) holds them
        tag = cfg.get("tag")
        if tag:
            props = dict(contact.properties or {})
            props[tag] = True
            Contact.objects.filter(pk=contact.pk).update(properties=props, updated_at=now)
            contact.properties = props
    elif step.kind == Step.Kind.WEBHOOK:
        transaction.on_commit(lambda: post_webhook(cfg.get("url", ""), {
            "flow": str(enrollment.flow.code), "contact": str(contact.code),
            "step": str(step.code), "occurrence": enrollment.occurrence}))


def post_webhook(url: str, payload: dict) -> None:
    """POST the payload; a failing endpoint is logged, never retried into a loop."""
    if not url.startswith(("http://", "https://")):
        return
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=5).close()  # noqa: S310 — http(s) only, above
    except Exception as e:  # noqa: BLE001
        logger.warning("automation webhook %s failed: %s", url, e)


def _queue_message(step: Step, enrollment: Enrollment, contact: Contact, channel: str,
                   status: str, now: datetime) -> Message | None:
    lang = "ar" if (contact.language or "").lower().startswith("ar") else "en"
    subject = (step.config or {}).get(f"subject_{lang}") or (step.config or {}).get(
        "subject_en", "")
    try:
        with transaction.atomic():
            return Message.objects.create(
                workspace_id=contact.workspace_id, flow=enrollment.flow, contact=contact,
                step=step, occurrence=enrollment.occurrence, channel=channel, status=status,
                to=address_for(contact, channel)[:254], language=lang,
                subject=subject[:200], created_at=now)
    except IntegrityError:  # already in the ledger: this step was done for this occurrence
        return None


def _finish(enrollment: Enrollment, state: str, reason: str, now: datetime) -> None:
    enrollment.state = state
    enrollment.exit_reason = reason
    enrollment.finished_at = now
    enrollment.due_at = None


@transaction.atomic
def advance_enrollment(enrollment_id: int, *, now: datetime | None = None) -> list[int]:
    """Run one due enrollment until it waits or ends; returns the ids of queued messages
    (sent after the commit). A row another worker holds is skipped (skip_locked)."""
    now = now or timezone.now()
    locked = Enrollment.objects.select_for_update(
        skip_locked=connection.features.has_select_for_update_skip_locked)
    enrollment = locked.select_related("flow", "flow__workspace", "contact").filter(
        pk=enrollment_id, state=Enrollment.State.ACTIVE, due_at__lte=now).first()
    if enrollment is None:
        return []  # done by someone else meanwhile, not due, or locked by another worker
    flow, contact = enrollment.flow, enrollment.contact
    steps = list(flow.steps.order_by("position", "id"))
    queued: list[int] = []
    if flow.status != Flow.Status.ACTIVE:
        enrollment.due_at = now + timedelta(hours=1)  # paused: look again later
        enrollment.save(update_fields=["due_at"])
        return []
    for _i in range(MAX_STEPS_PER_RUN):
        if flow.exit_on_goal and goal_met(flow, contact, enrollment.enrolled_at):
            enrollment.converted_at = enrollment.converted_at or now
            _finish(enrollment, Enrollment.State.EXITED, "goal", now)
            break
        if enrollment.step_index >= len(steps):
            _finish(enrollment, Enrollment.State.DONE, "", now)
            break
        step = steps[enrollment.step_index]
        if step.kind == Step.Kind.WAIT:
            cfg = step.config or {}
            enrollment.step_index += 1
            enrollment.due_at = now + timedelta(days=float(cfg.get("days") or 0),
                                                hours=float(cfg.get("hours") or 0))
            if enrollment.due_at > now:
                break
            continue
        if step.kind == Step.Kind.CONDITION:
            if not _condition_holds(step, enrollment, contact):
                _finish(enrollment, Enrollment.State.EXITED, "condition", now)
                break
            enrollment.step_index += 1
            continue
        if step.kind in CHANNEL_OF:
            channel = CHANNEL_OF[step.kind]
            reason = blocked_reason(flow, contact, channel, now)
            if not reason:
                resume = quiet_until(flow, contact, now)
                if resume is not None:  # quiet hours: defer, the step runs when they end
                    enrollment.due_at = resume
                    break
            msg = _queue_message(step, enrollment, contact, channel,
                                 reason or Message.Status.QUEUED, now)
            if msg is not None and not reason:
                queued.append(msg.pk)
            enrollment.step_index += 1
            continue
        _run_action(step, enrollment, contact, now)
        enrollment.step_index += 1
    enrollment.save(update_fields=["state", "step_index", "due_at", "finished_at",
                                   "exit_reason", "converted_at"])
    if queued:
        ids = list(queued)
        transaction.on_commit(lambda: [deliver(i) for i in ids])
    return queued


def due_enrollment_ids(*, now: datetime | None = None, limit: int = 5000,
                       workspace_id: int | None = None) -> list[int]:
    now = now or timezone.now()
    qs = Enrollment.objects.filter(state=Enrollment.State.ACTIVE, due_at__lte=now)
    if workspace_id:
        qs = qs.filter(workspace_id=workspace_id)
    return list(qs.order_by("due_at", "id").values_list("pk", flat=True)[:limit])


def advance_due(*, now: datetime | None = None, limit: int = 5000,
                workspace_id: int | None = None) -> int:
    """Advance every due enrollment (each in its own transaction and row lock)."""
    now = now or timezone.now()
    done = 0
    for pk in due_enrollment_ids(now=now, limit=limit, workspace_id=workspace_id):
        advance_enrollment(pk, now=now)
        done += 1
    return done


# --- sending --------------------------------------------------------------------------------

def unsubscribe_token(message: Message) -> str:
    # no timestamp: the link in an old e-mail must keep working, and body and header agree
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(message.code))


def unsubscribe_url(message: Message) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("automation_unsubscribe",
                                                   args=[unsubscribe_token(message)])


def message_for_token(token: str) -> Message | None:
    try:
        code = as_code(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except signing.BadSignature:
        return None
    if code is None:
        return None
    return Message.objects.select_related("contact", "flow", "flow__workspace").filter(
        code=code).first()


def render_message(message: Message) -> tuple[str, str]:
    """(subject, body) in the contact's language, with their name and the unsubscribe link."""
    cfg = message.step.config or {}
    lang = message.language or "en"
    subject = cfg.get(f"subject_{lang}") or cfg.get("subject_en", "")
    body = cfg.get(f"body_{lang}") or cfg.get("body_en", "")
    ctx = Context({"name": message.contact.name or "", "workspace": message.flow.workspace.name},
                  autoescape=False)
    with translation.override(lang):
        text = Template(body).render(ctx)
        if message.channel == "email":
            text += "\n\n-- \n" + _("Unsubscribe: %(url)s") % {"url": unsubscribe_url(message)}
        else:
            text += " " + _("Reply STOP to opt out.")
    return Template(subject).render(ctx), text


def sms_backend():
    return import_string(getattr(settings, "AUTOMATION_SMS_BACKEND",
                                 "automation.providers.OutboxSms"))()


def deliver(message_id: int) -> bool:
    """Claim a queued message and send it; False when someone else has it or it may no
    longer go (consent withdrawn, suppressed since it was queued)."""
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING)
    if claimed != 1:
        return False
    msg = Message.objects.select_related("contact", "flow", "flow__workspace", "step").get(
        pk=message_id)
    now = timezone.now()
    if not has_consent(msg.contact, msg.channel):
        msg.status = Message.Status.NO_CONSENT
    elif Suppression.objects.filter(workspace_id=msg.workspace_id,
                                    address__iexact=msg.to).exists():
        msg.status = Message.Status.SUPPRESSED
    if msg.status != Message.Status.SENDING:
        msg.save(update_fields=["status"])
        return False
    subject, body = render_message(msg)
    try:
        if msg.channel == "email":
            url = unsubscribe_url(msg)
            email = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [msg.to],
                                           headers={"List-Unsubscribe": f"<{url}>",
                                                    "List-Unsubscribe-Post":
                                                        "List-Unsubscribe=One-Click"})
            email.send()
        else:
            sms_backend().send(msg.to, body)
    except Exception as e:  # noqa: BLE001 — the provider failed; the row says so, no resend
        msg.status, msg.error = Message.Status.FAILED, str(e)[:300]
        msg.save(update_fields=["status", "error"])
        return False
    msg.status, msg.sent_at = Message.Status.SENT, now
    msg.save(update_fields=["status", "sent_at"])
    return True


def deliver_queued(*, older_than_seconds: int = 60) -> int:
    """Send messages queued but never claimed (the worker died between commit and send)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = Message.objects.filter(status=Message.Status.QUEUED, created_at__lte=cutoff
                                 ).values_list("pk", flat=True)[:5000]
    return sum(deliver(i) for i in list(ids))


@transaction.atomic
def unsubscribe(message: Message, *, source: str = "unsubscribe link") -> None:
    """Withdraw the contact's consent for the message's channel (the consent ledger) and
    mark the message; a second click changes nothing."""
    contact = message.contact
    if has_consent(contact, message.channel):
        crm_services.consent_record(actor=Actor.system(message.flow.workspace), contact=contact,
                                    channel=message.channel, status=Consent.Status.WITHDRAWN,
                                    source=f"{source}: {message.flow.name}"[:100])
    if message.unsubscribed_at is None:
        Message.objects.filter(pk=message.pk).update(unsubscribed_at=timezone.now())
