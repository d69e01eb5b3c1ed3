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
from mos.leases import LeasedJob
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
    engine = models.ForeignKey("GrowthEngine", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="kpis", verbose_name=_("growth engine"),
                               help_text=_("The engine this KPI measures, if any."))
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


class MetricRun(LeasedJob):
    LEASE_RUNNING, LEASE_READY = "running", "pending"

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
    # the lease fields come from mos.leases.LeasedJob: a run not heard from can be taken over
    # by a redelivered task or replaced by a new request
    # what to compute (issue 11): as of a past day, or a backfill of [backfill_from, as_of]
    as_of = models.DateField(null=True, blank=True)
    backfill_from = models.DateField(null=True, blank=True)
    skipped = models.JSONField(default=dict, blank=True)  # rows left out: {table: count}
    # {family: digest of its inputs}; a later run over the same window skips the families
    # whose digest did not change (pipeline.py, "incremental runs")
    fingerprint = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

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


class FunnelStage(models.TextChoices):
    """The five AARRR stages an engine or an experiment works on."""

    ACQUISITION = "acquisition", _("Acquisition")
    ACTIVATION = "activation", _("Activation")
    RETENTION = "retention", _("Retention")
    REVENUE = "revenue", _("Revenue")
    REFERRAL = "referral", _("Referral")


class GrowthEngine(models.Model):
    """One of the workspace's 2–4 growth engines: an owner, a main KPI, a weekly improvement."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="engines")
    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    description = models.TextField(_("description"), blank=True)
    funnel_stages = models.JSONField(_("funnel stages"), default=list, blank=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="engines",
                                      verbose_name=_("channels"))
    main_kpi = models.ForeignKey("KPI", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("main KPI"))
    weekly_commitment = models.CharField(_("weekly improvement"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"],
                                               name="engine_name_unique")]

    def __str__(self):
        return self.name

    def get_funnel_stages_display(self) -> list[str]:
        labels = dict(FunnelStage.choices)
        return [str(labels.get(s, s)) for s in self.funnel_stages]


class EngineCheckIn(models.Model):
    """The weekly check-in of an engine: what changed, what we learned, the next step."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    engine = models.ForeignKey(GrowthEngine, on_delete=models.CASCADE, related_name="checkins")
    week = models.DateField(_("week of"))
    what_changed = models.TextField(_("what changed"))
    what_we_learned = models.TextField(_("what we learned"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "-id"]


class ModelFit(models.Model):
    """What a run's models fitted, so anyone can audit them: parameters, log-likelihood, the
    number of customers (or paths) fitted, the history used, and — for BG/NBD — a holdout
    check: fitted on the history up to as_of − holdout, the repeat purchases it predicted for
    the holdout days against those that happened."""

    class Kind(models.TextChoices):
        BGNBD = "bgnbd", _("BG/NBD (purchase frequency)")
        GAMMA_GAMMA = "gamma_gamma", _("Gamma-Gamma (spend per purchase)")
        MARKOV = "markov", _("Markov-chain attribution")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(MetricRun, on_delete=models.CASCADE, related_name="model_fits")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict)
    loglik = models.FloatField(null=True, blank=True)
    n = models.PositiveIntegerField(default=0)
    history_from = models.DateField(null=True, blank=True)
    history_to = models.DateField(null=True, blank=True)
    holdout_days = models.PositiveIntegerField(default=0)
    holdout_predicted = models.FloatField(null=True, blank=True)
    holdout_actual = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)  # e.g. Markov's transition matrix
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "kind"]
        constraints = [models.UniqueConstraint(fields=["run", "kind"], name="model_fit_unique")]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="model_fit_ws")]


class ContactPrediction(models.Model):
    """A contact's latest BG/NBD + Gamma-Gamma prediction, replaced by every run (set-based)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE,
                                   related_name="prediction")
    run = models.ForeignKey(MetricRun, null=True, on_delete=models.SET_NULL, related_name="+")
    p_alive = models.FloatField()
    expected_purchases_12m = models.FloatField()
    predicted_clv = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "p_alive"], name="prediction_ws_alive")]
