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
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Consent, Contact, Event, Order
from crm.selectors import consent_state_for, has_consent
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


class BatchGate:
    """The same gate as blocked_reason() for a batch of enrollments, read in three set-based
    queries per workspace (current consent, suppressed addresses, messages sent in the last 7
    days) instead of three per message. The sender checks again before the backend."""

    def __init__(self, enrollments, now: datetime):
        self.now = now
        self.data: dict[int, tuple] = {}
        by_ws: dict[int, list[Contact]] = {}
        for e in enrollments:
            by_ws.setdefault(e.workspace_id, []).append(e.contact)
        for ws_id, contacts in by_ws.items():
            ids = {c.pk for c in contacts}
            addresses = {a.lower() for c in contacts for a in (c.email, c.phone) if a}
            suppressed = set(Suppression.objects.filter(workspace_id=ws_id).annotate(
                a=Lower("address")).filter(a__in=addresses).values_list("a", flat=True))
            recent = dict(Message.objects.filter(
                contact_id__in=ids, status=Message.Status.SENT,
                sent_at__gte=now - timedelta(days=7)).values("contact_id").annotate(
                n=Count("id")).values_list("contact_id", "n"))
            self.data[ws_id] = (consent_state_for(ws_id, ids), suppressed, recent)

    def blocked(self, flow: Flow, contact: Contact, channel: str, now: datetime) -> str:
        consent, suppressed, recent = self.data[contact.workspace_id]
        to = address_for(contact, channel)
        if not to:
            return Message.Status.NO_ADDRESS
        row = consent.get(contact.pk, {}).get(channel)
        if row is None or row.status != Consent.Status.GRANTED:
            return Message.Status.NO_CONSENT
        if to.lower() in suppressed:
            return Message.Status.SUPPRESSED
        if recent.get(contact.pk, 0) >= flow.frequency_cap:
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


def _advance(enrollment: Enrollment, now: datetime, steps: list[Step],
             gate: BatchGate | None = None) -> list[int]:
    """Run one locked, due enrollment until it waits or ends; the ids of queued messages."""
    flow, contact = enrollment.flow, enrollment.contact
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
            reason = (gate.blocked(flow, contact, channel, now) if gate is not None
                      else blocked_reason(flow, contact, channel, now))
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
    return queued


def _locked_due(ids, now):
    locked = Enrollment.objects.select_for_update(
        skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
        if connection.features.has_select_for_update_of else ())
    return locked.select_related("flow", "flow__workspace", "contact").filter(
        pk__in=ids, state=Enrollment.State.ACTIVE, due_at__lte=now).order_by("pk")


def _send_after_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(lambda: deliver_batch(ids))


@transaction.atomic
def advance_enrollment(enrollment_id: int, *, now: datetime | None = None) -> list[int]:
    """Run one due enrollment until it waits or ends; returns the ids of queued messages
    (sent after the commit). A row another worker holds is skipped (skip_locked)."""
    now = now or timezone.now()
    enrollment = _locked_due([enrollment_id], now).first()
    if enrollment is None:
        return []  # done by someone else meanwhile, not due, or locked by another worker
    queued = _advance(enrollment, now, list(enrollment.flow.steps.order_by("position", "id")))
    _send_after_commit(queued)
    return queued


def due_enrollment_ids(*, now: datetime | None = None, limit: int = 5000,
                       workspace_id: int | None = None) -> list[int]:
    now = now or timezone.now()
    qs = Enrollment.objects.filter(state=Enrollment.State.ACTIVE, due_at__lte=now)
    if workspace_id:
        qs = qs.filter(workspace_id=workspace_id)
    return list(qs.order_by("due_at", "id").values_list("pk", flat=True)[:limit])


ADVANCE_BATCH = 200  # enrollments per transaction (one commit, one send batch after it)


def advance_due(*, now: datetime | None = None, limit: int = 5000,
                workspace_id: int | None = None, batch: int = ADVANCE_BATCH) -> int:
    """Advance every due enrollment, `batch` of them per transaction (row locks, skip
    locked); each batch's queued messages go out together once it commits."""
    now = now or timezone.now()
    done = 0
    ids = due_enrollment_ids(now=now, limit=limit, workspace_id=workspace_id)
    steps_of: dict[int, list[Step]] = {}
    for i in range(0, len(ids), batch):
        with transaction.atomic():
            queued: list[int] = []
            enrollments = list(_locked_due(ids[i:i + batch], now))
            gate = BatchGate(enrollments, now) if len(enrollments) > 1 else None
            for enrollment in enrollments:
                if enrollment.flow_id not in steps_of:
                    steps_of[enrollment.flow_id] = list(
                        enrollment.flow.steps.order_by("position", "id"))
                queued += _advance(enrollment, now, steps_of[enrollment.flow_id], gate)
                done += 1
            _send_after_commit(queued)
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
    return _Renderer()(message)


def sms_backend():
    return import_string(getattr(settings, "AUTOMATION_SMS_BACKEND",
                                 "automation.providers.OutboxSms"))()


CLAIM_BATCH = 500  # messages one sender claims in one statement
SEND_CHUNK = 100  # messages handed to the backend between two ledger commits
CLAIM_LEASE = timedelta(minutes=10)  # a claim older than this belongs to a dead sender


def claim_messages(*, ids=None, limit: int = CLAIM_BATCH, created_before=None,
                   now: datetime | None = None) -> uuid.UUID:
    """Claim up to `limit` queued messages (queued → claimed) in one UPDATE; on PostgreSQL
    the rows are picked FOR UPDATE SKIP LOCKED, so concurrent senders take disjoint batches.
    Returns the claim token the claimed rows carry."""
    now = now or timezone.now()
    token = uuid.uuid4()
    table = Message._meta.db_table
    where, params = ["status = %s"], [Message.Status.QUEUED]
    if ids is not None:
        ids = [int(i) for i in ids]
        if not ids:
            return token
        where.append("id IN (%s)" % ", ".join(["%s"] * len(ids)))
        params += ids
    if created_before is not None:
        where.append("created_at <= %s")
        params.append(Message._meta.get_field("created_at").get_db_prep_value(
            created_before, connection))
    values = [Message.Status.CLAIMED,
              Message._meta.get_field("claim").get_db_prep_value(token, connection),
              Message._meta.get_field("claimed_at").get_db_prep_value(now, connection)]
    if connection.vendor == "postgresql":
        # the batch is picked once, in a MATERIALIZED CTE: as `id IN (SELECT … LIMIT n FOR
        # UPDATE SKIP LOCKED)` the planner may run the sub-select once per outer row, and each
        # run skips the rows the previous one locked, so more than n rows were claimed
        sql = (f"WITH picked AS MATERIALIZED (SELECT id FROM {table} "
               f"WHERE {' AND '.join(where)} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
               f"UPDATE {table} AS m SET status = %s, claim = %s, claimed_at = %s "
               f"FROM picked WHERE m.id = picked.id")
        args = [*params, limit, *values]
    else:  # SQLite: one writer at a time, no row locks to skip
        sql = (f"UPDATE {table} SET status = %s, claim = %s, claimed_at = %s WHERE status = %s "
               f"AND id IN (SELECT id FROM {table} WHERE {' AND '.join(where)} "
               f"ORDER BY id LIMIT %s)")
        args = [*values, Message.Status.QUEUED, *params, limit]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, args)
    return token


def _gate_batch(messages: list[Message], now: datetime) -> dict[int, str]:
    """{message id: blocking status} for a claimed batch, in a few set-based queries per
    workspace: current consent per contact and channel, the suppression list, the frequency
    cap (sent in the last 7 days, counting the batch's own earlier messages)."""
    blocked: dict[int, str] = {}
    by_ws: dict[int, list[Message]] = {}
    for m in messages:
        by_ws.setdefault(m.workspace_id, []).append(m)
    for ws_id, msgs in by_ws.items():
        contact_ids = {m.contact_id for m in msgs}
        consent = consent_state_for(ws_id, contact_ids)
        addresses = {m.to.lower() for m in msgs if m.to}
        suppressed = set(Suppression.objects.filter(workspace_id=ws_id).annotate(
            a=Lower("address")).filter(a__in=addresses).values_list("a", flat=True))
        recent = dict(Message.objects.filter(
            contact_id__in=contact_ids, status=Message.Status.SENT,
            sent_at__gte=now - timedelta(days=7)).values("contact_id").annotate(
            n=Count("id")).values_list("contact_id", "n"))
        for m in sorted(msgs, key=lambda m: m.pk):
            row = consent.get(m.contact_id, {}).get(m.channel)
            if not m.to:
                blocked[m.pk] = Message.Status.NO_ADDRESS
            elif row is None or row.status != Consent.Status.GRANTED:
                blocked[m.pk] = Message.Status.NO_CONSENT
            elif m.to.lower() in suppressed:
                blocked[m.pk] = Message.Status.SUPPRESSED
            elif recent.get(m.contact_id, 0) >= m.flow.frequency_cap:
                blocked[m.pk] = Message.Status.CAPPED
            else:
                recent[m.contact_id] = recent.get(m.contact_id, 0) + 1
    return blocked


class _Renderer:
    """Compiles each step's subject and body once per batch."""

    def __init__(self):
        self.cache: dict[tuple, tuple[Template, Template]] = {}

    def __call__(self, message: Message) -> tuple[str, str]:
        cfg = message.step.config or {}
        lang = message.language or "en"
        key = (message.step_id, lang)
        if key not in self.cache:
            self.cache[key] = (
                Template(cfg.get(f"subject_{lang}") or cfg.get("subject_en", "")),
                Template(cfg.get(f"body_{lang}") or cfg.get("body_en", "")))
        subject_t, body_t = self.cache[key]
        ctx = Context({"name": message.contact.name or "",
                       "workspace": message.flow.workspace.name}, autoescape=False)
        with translation.override(lang):
            text = body_t.render(ctx)
            if message.channel == "email":
                text += "\n\n-- \n" + _("Unsubscribe: %(url)s") % {
                    "url": unsubscribe_url(message)}
            else:
                text += " " + _("Reply STOP to opt out.")
        return subject_t.render(ctx), text


def _email(message: Message, subject: str, body: str, connection_) -> EmailMultiAlternatives:
    url = unsubscribe_url(message)
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [message.to],
                                  connection=connection_,
                                  headers={"List-Unsubscribe": f"<{url}>",
                                           "List-Unsubscribe-Post":
                                               "List-Unsubscribe=One-Click"})


def send_claimed(token: uuid.UUID) -> int:
    """Send the messages claimed under `token`: one gate for the batch, one SMTP connection,
    the ledger marked in bulk per chunk (claimed → sending before a chunk leaves, → sent
    after). A sender killed mid-batch leaves 'claimed' rows (never handed over: the sweeper
    re-queues them after CLAIM_LEASE) and at most one chunk of 'sending' rows (perhaps
    delivered: never sent again)."""
    messages = list(Message.objects.filter(claim=token, status=Message.Status.CLAIMED)
                    .select_related("contact", "flow", "flow__workspace", "step")
                    .order_by("pk"))
    if not messages:
        return 0
    now = timezone.now()
    blocked = _gate_batch(messages, now)
    with transaction.atomic():
        by_status: dict[str, list[int]] = {}
        for pk, status in blocked.items():
            by_status.setdefault(status, []).append(pk)
        for status, pks in by_status.items():
            Message.objects.filter(pk__in=pks, claim=token).update(status=status)
    todo = [m for m in messages if m.pk not in blocked]
    render = _Renderer()
    sent_total = 0
    mail_connection = get_connection() if any(m.channel == "email" for m in todo) else None
    try:
        if mail_connection is not None:
            # opened here, so send_messages() keeps it open for the whole batch
            mail_connection.open()
        for i in range(0, len(todo), SEND_CHUNK):
            chunk = todo[i:i + SEND_CHUNK]
            pks = [m.pk for m in chunk]
            moved = Message.objects.filter(pk__in=pks, claim=token,
                                           status=Message.Status.CLAIMED).update(
                status=Message.Status.SENDING)
            if moved != len(pks):  # a lease ran out and the sweeper took some back
                mine = set(Message.objects.filter(pk__in=pks, claim=token,
                                                  status=Message.Status.SENDING)
                           .values_list("pk", flat=True))
                chunk = [m for m in chunk if m.pk in mine]
            sent, failed = [], {}
            for m in chunk:
                try:
                    subject, body = render(m)
                    if m.channel == "email":
                        mail_connection.send_messages([_email(m, subject, body,
                                                              mail_connection)])
                    else:
                        sms_backend().send(m.to, body)
                    sent.append(m.pk)
                except Exception as e:  # noqa: BLE001 — the row says so, no resend
                    failed[m.pk] = str(e)[:300]
                    if m.channel == "email":
                        try:  # a broken connection is reopened for the next message
                            mail_connection.close()
                            mail_connection.open()
                        except Exception:  # noqa: BLE001, S110
                            pass
            with transaction.atomic():
                Message.objects.filter(pk__in=sent).update(status=Message.Status.SENT,
                                                           sent_at=now)
                for pk, err in failed.items():
                    Message.objects.filter(pk=pk).update(status=Message.Status.FAILED,
                                                         error=err)
            sent_total += len(sent)
    finally:
        if mail_connection is not None:
            mail_connection.close()
    return sent_total


def deliver_batch(ids=None, *, limit: int = CLAIM_BATCH, created_before=None) -> int:
    """Claim queued messages (these ids, or any) and send them; how many were sent."""
    return send_claimed(claim_messages(ids=ids, limit=limit, created_before=created_before))


def deliver(message_id: int) -> bool:
    """Claim one queued message and send it; False when someone else has it or it may no
    longer go (consent withdrawn, suppressed since it was queued)."""
    return deliver_batch([message_id]) == 1


def deliver_queued(*, older_than_seconds: int = 60) -> int:
    """Send messages queued but never sent: those a dead worker queued and never claimed,
    and those a dead sender claimed but never handed over (lease expired)."""
    now = timezone.now()
    Message.objects.filter(status=Message.Status.CLAIMED, claimed_at__lt=now - CLAIM_LEASE
                           ).update(status=Message.Status.QUEUED, claim=None, claimed_at=None)
    cutoff = now - timedelta(seconds=older_than_seconds)
    total = 0
    for _i in range(1000):  # bounded: each pass claims a new batch
        token = claim_messages(created_before=cutoff)
        if not Message.objects.filter(claim=token).exists():
            break
        total += send_claimed(token)
    return total


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
