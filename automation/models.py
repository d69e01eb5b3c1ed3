"""Lifecycle automation: flows (a trigger, an ordered list of steps, an exit rule, a holdout),
enrollments (where each contact is in a flow; the database is the truth, so a flow's state
survives restarts), the message ledger (unique per flow, contact, step and occurrence: a
message is never sent twice), the suppression list and the tasks flows create for reps."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Stage
from mos.models import Workspace


def new_code():
    return uuid.uuid4()


class Flow(models.Model):
    class Trigger(models.TextChoices):
        STAGE_CHANGE = "stage_change", _("Lifecycle stage change")
        EVENT = "event", _("Event")
        SEGMENT_ENTRY = "segment_entry", _("Segment entry")
        DATE_PROPERTY = "date_property", _("Date property")
        SCHEDULE = "schedule", _("Schedule")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    class Goal(models.TextChoices):
        STAGE = "stage", _("Reaches a lifecycle stage")
        EVENT = "event", _("Does an event")
        ORDER = "order", _("Places an order (not a renewal)")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(_("name"), max_length=120)
    template = models.CharField(_("template"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    # stage_change: {"to_stage"}; event: {"event"}; segment_entry: {"segment": code};
    # date_property: {"property", "offset_days"}; schedule: {"every_days", "segment"?}
    trigger_config = models.JSONField(_("trigger settings"), default=dict, blank=True)
    # the contact leaves the flow once the goal is met (conversion) or they lose consent
    goal = models.CharField(_("conversion goal"), max_length=10, choices=Goal.choices,
                            default=Goal.STAGE)
    goal_value = models.CharField(_("goal stage or event"), max_length=100, blank=True)
    exit_on_goal = models.BooleanField(_("exit when the goal is met"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    holdout_share = models.FloatField(_("holdout share"), default=0.10)
    frequency_cap = models.PositiveSmallIntegerField(
        _("frequency cap (messages per contact per 7 days)"), default=3)
    quiet_start = models.PositiveSmallIntegerField(_("quiet hours start"), default=21)
    quiet_end = models.PositiveSmallIntegerField(_("quiet hours end"), default=8)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_share__gte=0) & Q(holdout_share__lte=0.5),
                                   name="flow_holdout_share_0_50"),
            models.CheckConstraint(condition=Q(quiet_start__lte=23) & Q(quiet_end__lte=23),
                                   name="flow_quiet_hours_0_23"),
        ]

    def __str__(self):
        return self.name


class Step(models.Model):
    class Kind(models.TextChoices):
        WAIT = "wait", _("Wait")
        CONDITION = "condition", _("Condition")
        SEND_EMAIL = "send_email", _("Send e-mail")
        SEND_SMS = "send_sms", _("Send SMS")
        MOVE_STAGE = "move_stage", _("Move stage")
        SET_OWNER = "set_owner", _("Set owner")
        CREATE_TASK = "create_task", _("Create a task for the owner")
        ADD_TO_SEGMENT = "add_to_segment", _("Add to segment")
        WEBHOOK = "webhook", _("Webhook")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # wait: {"days", "hours"}; condition: {"field", "op", "value"} (false: the contact exits);
    # send_*: {"subject_en", "body_en", "subject_ar", "body_ar"}; move_stage: {"to_stage"};
    # set_owner: {"owner": e-mail}; create_task: {"title", "due_days"};
    # add_to_segment: {"tag"}; webhook: {"url"}
    config = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        ordering = ["flow", "position", "id"]

    def __str__(self):
        return f"{self.position + 1}. {self.get_kind_display()}"


class Enrollment(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("In the flow")
        HOLDOUT = "holdout", _("Held out")
        DONE = "done", _("Finished")
        EXITED = "exited", _("Exited")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="enrollments")
    occurrence = models.PositiveIntegerField(default=1)
    holdout = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    step_index = models.PositiveSmallIntegerField(default=0)  # the next step to run
    due_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=40, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["flow", "contact", "occurrence"],
                                               name="enrollment_once_per_occurrence")]
        indexes = [models.Index(fields=["state", "due_at"], name="enrollment_due")]


class Message(models.Model):
    """The message ledger. The row is written (status queued) in the same transaction that
    moves the enrollment past its send step, and a sender claims it (queued → sending) before
    it hands it to the e-mail backend: a retry, a killed worker or a double trigger meets the
    unique constraint or a claimed row, never a second send."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Claimed by a sender")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NO_CONSENT = "no_consent", _("Not sent: no consent")
        SUPPRESSED = "suppressed", _("Not sent: suppressed")
        CAPPED = "capped", _("Not sent: frequency cap")
        NO_ADDRESS = "no_address", _("Not sent: no address")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="messages")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="messages")
    occurrence = models.PositiveIntegerField(default=1)
    channel = models.CharField(max_length=8)  # email, sms
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    to = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # a sender's batch: claimed rows carry its token (queued → claimed → sending → sent)
    claim = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["flow", "contact", "step", "occurrence"],
                                               name="message_once_per_step_occurrence")]
        indexes = [models.Index(fields=["contact", "sent_at"], name="message_contact_sent"),
                   models.Index(fields=["status", "created_at"], name="message_status"),
                   models.Index(fields=["claim"], name="message_claim")]


class Suppression(models.Model):
    """An address never written to (bounces, complaints, a person's request)."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(_("e-mail or phone"), max_length=254)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["workspace", "address"],
                                               name="suppression_unique_address")]


class Task(models.Model):
    """A to-do for the contact's owning rep, created by a flow's step."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tasks")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="automation_tasks")
    flow = models.ForeignKey(Flow, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due_on", "id"]


STAGE_KEYS = [s for s, _label in Stage.choices]
