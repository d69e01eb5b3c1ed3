"""Alerts and digests (issue 15): in-app notifications, each member's choices, and the record
that makes the weekly digest go out once per member and week. Imported by mos.models."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    GUARDRAIL_BREACH = "guardrail_breach", _("A KPI breaks its guardrail")
    KPI_OFF_PACE = "kpi_off_pace", _("A KPI is far off its pace")
    RUN_FAILED = "run_failed", _("The nightly metrics run failed")
    EXPERIMENT_SRM = "experiment_srm", _("A running experiment has a sample-ratio mismatch")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest of my engines")


class Notification(models.Model):
    """One alert for one member; dedupe_key keeps a condition from notifying twice."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("mos.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    # False when the member turned in-app alerts of this kind off: the row still records that
    # the condition was notified (by e-mail), so it is not sent again
    shown = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "user", "dedupe_key"],
                                               condition=~Q(dedupe_key=""),
                                               name="notification_dedupe")]
        indexes = [models.Index(fields=["user", "workspace", "read_at"],
                                name="notification_unread")]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """What a member gets of one kind: in the app, by e-mail (no row: both)."""

    workspace = models.ForeignKey("mos.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user", "kind"],
                                               name="notification_pref_unique")]


class DigestSent(models.Model):
    """The weekly digest of `week` (its Monday) went to this member: sent once per week."""

    workspace = models.ForeignKey("mos.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    week = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user", "week"],
                                               name="digest_once_per_week")]
