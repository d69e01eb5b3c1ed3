"""KPIs with targets; computed metric values and runs (channels, campaigns and spend are
crm's)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Channel
from mos.models import Workspace


class KPI(models.Model):
    """A metric the workspace is judged by, with a target, a direction and guardrails."""

    class Scope(models.TextChoices):
        WORKSPACE = "workspace", _("Whole workspace")
        CHANNEL = "channel", _("Channel")
        SEGMENT = "segment", _("Segment")

    class Grain(models.TextChoices):
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("name"), max_length=120)
    metric_key = models.CharField(_("metric"), max_length=80)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices,
                             default=Scope.WORKSPACE)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="kpis")
    segment = models.ForeignKey("crm.Segment", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="kpis")
    grain = models.CharField(_("target period"), max_length=8, choices=Grain.choices,
                             default=Grain.MONTH)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices,
                                 default=Direction.UP)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4, null=True,
                                 blank=True)
    guardrail_min = models.DecimalField(_("guardrail minimum"), max_digits=16, decimal_places=4,
                                        null=True, blank=True)
    guardrail_max = models.DecimalField(_("guardrail maximum"), max_digits=16, decimal_places=4,
                                        null=True, blank=True)
    is_north_star = models.BooleanField(_("North Star Metric"), default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_north_star", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace"],
                                               condition=Q(is_north_star=True),
                                               name="one_north_star_per_workspace")]

    def __str__(self):
        return self.name


class KPITarget(models.Model):
    """A KPI's target for one period (overrides the KPI's default target)."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="targets")
    period = models.DateField(_("period start"))
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)

    class Meta:
        ordering = ["period"]
        constraints = [models.UniqueConstraint(fields=["kpi", "period"],
                                               name="kpi_target_period_unique")]


class MetricRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("Recompute now")
        API = "api", _("API")
        SEED = "seed", _("Demo set-up")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="metric_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=60, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)  # seconds per step
    error = models.TextField(blank=True)  # a human message (the dashboard shows it)
    error_detail = models.TextField(blank=True)  # the traceback: log and admins only
    # the lease (issue 8): a worker holding the run renews heartbeat_at; a run not heard from
    # for LEASE seconds can be taken over by a redelivered task or replaced by a new request
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # what to compute (issue 11): as of a past day, or a backfill of [backfill_from, as_of]
    as_of = models.DateField(null=True, blank=True)
    backfill_from = models.DateField(null=True, blank=True)
    skipped = models.JSONField(default=dict, blank=True)  # rows left out: {table: count}

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    @property
    def interrupted(self) -> bool:
        """Pending or running but not heard from within the lease (the worker died, or the
        task never reached one): the sweep re-sends it; a new request replaces it."""
        from mos.leases import is_stuck

        return is_stuck(self, self.Status.RUNNING, self.Status.PENDING)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class MetricValue(models.Model):
    """One computed number. Recomputing replaces, never duplicates (the unique key)."""

    class Grain(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    grain = models.CharField(max_length=5, choices=Grain.choices)
    period = models.DateField()
    dimension = models.CharField(max_length=20, blank=True, default="")
    dimension_value = models.CharField(max_length=200, blank=True, default="")
    value = models.FloatField()
    run = models.ForeignKey(MetricRun, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["workspace", "key", "grain", "period", "dimension", "dimension_value"],
            name="metric_value_unique")]
