"""The insights inventory, experiments (template, ICE, variants, decision, after-action review),
their daily results, and the workspace's experiment settings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engines.models import FunnelStage, GrowthEngine
from mos.models import Workspace


class ExperimentSettings(models.Model):
    """Per-workspace choices for experiment analysis."""

    class Correction(models.TextChoices):
        HOLM = "holm", _("Holm–Bonferroni (family-wise error)")
        BH = "bh", _("Benjamini–Hochberg (false discovery rate)")
        NONE = "none", _("No correction")

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="experiment_settings")
    correction = models.CharField(_("multiple-testing correction"), max_length=8,
                                  choices=Correction.choices, default=Correction.HOLM)


class Insight(models.Model):
    """Something we learned about customers that may become a hypothesis."""

    class Source(models.TextChoices):
        INTERVIEW = "interview", _("Customer interview")
        SURVEY = "survey", _("Survey")
        SUPPORT = "support_ticket", _("Support ticket")
        SALES_CALL = "sales_call", _("Sales call")
        HEATMAP = "heatmap", _("Heatmap / session recording")
        ANALYTICS = "analytics", _("Analytics")
        LEAD_FEEDBACK = "lead_feedback", _("Lead feedback")
        DATA_QUALITY = "data_quality", _("Data quality")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="insights")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    text = models.TextField(_("insight"))
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="insights/%Y/%m/",
                                     blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    contacts = models.ManyToManyField("crm.Contact", blank=True, related_name="insights",
                                      verbose_name=_("contacts"))
    segments = models.ManyToManyField("crm.Segment", blank=True, related_name="insights",
                                      verbose_name=_("segments"))
    engine = models.ForeignKey(GrowthEngine, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="insights", verbose_name=_("growth engine"))
    # where a one-click insight came from (so the same finding is not filed twice)
    origin = models.CharField(max_length=80, blank=True, default="")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="insight_ws_created")]
        constraints = [models.UniqueConstraint(
            fields=["workspace", "origin"], condition=~models.Q(origin=""),
            name="insight_origin_unique")]

    def __str__(self):
        return self.text[:80]


class Experiment(models.Model):
    """An experiment written on the template, prioritised by ICE, decided honestly."""

    class Status(models.TextChoices):
        BACKLOG = "backlog", _("Backlog")
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        ANALYSING = "analysing", _("Analysing")
        DECIDED = "decided", _("Decided")
        SCALED = "scaled", _("Scaled")
        ARCHIVED = "archived", _("Archived")

    class Decision(models.TextChoices):
        WIN = "win", _("Win")
        LOSS = "loss", _("Loss")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    class MetricKind(models.TextChoices):
        PROPORTION = "proportion", _("Conversion rate")
        MEAN = "mean", _("Mean per user (e.g. revenue)")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="experiments")
    key = models.SlugField(_("key"), max_length=80,
                           help_text=_("The experiment_id your exposure events send."))
    engine = models.ForeignKey(GrowthEngine, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="experiments", verbose_name=_("growth engine"))
    insight = models.ForeignKey(Insight, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="experiments", verbose_name=_("insight"))
    title = models.CharField(_("title"), max_length=200)
    hypothesis_if = models.TextField(_("if we…"), blank=True)
    hypothesis_then = models.TextField(_("then…"), blank=True)
    hypothesis_because = models.TextField(_("because…"), blank=True)
    funnel_stage = models.CharField(_("funnel stage"), max_length=12,
                                    choices=FunnelStage.choices, default=FunnelStage.ACTIVATION)
    # metrics: {"key": "signup", "kind": "proportion"|"mean", "event": "<event name>"|"order"}
    primary_metric = models.JSONField(_("primary metric"), default=dict, blank=True)
    secondary_metrics = models.JSONField(_("secondary metrics"), default=list, blank=True)
    # guardrails add "direction": "up" (must not fall) or "down" (must not rise)
    guardrail_metrics = models.JSONField(_("guardrail metrics"), default=list, blank=True)
    baseline = models.FloatField(_("baseline"), null=True, blank=True,
                                 help_text=_("The control's rate (0–1) or mean today."))
    baseline_std = models.FloatField(_("baseline standard deviation"), null=True, blank=True)
    mde = models.FloatField(_("minimum detectable effect"), null=True, blank=True,
                            help_text=_("Relative, e.g. 0.10 for +10 %."))
    alpha = models.FloatField(_("alpha"), default=0.05,
                              validators=[MinValueValidator(0.001), MaxValueValidator(0.2)])
    power = models.FloatField(_("power"), default=0.8,
                              validators=[MinValueValidator(0.5), MaxValueValidator(0.99)])
    required_sample = models.PositiveIntegerField(_("required sample per variant"), null=True,
                                                  blank=True)
    expected_duration_days = models.PositiveIntegerField(_("expected duration (days)"),
                                                         null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    impact = models.PositiveSmallIntegerField(
        _("impact"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)])
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)])
    ease = models.PositiveSmallIntegerField(
        _("ease"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.BACKLOG)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices,
                                blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    override_reason = models.TextField(_("reason for calling it early"), blank=True)
    srm_acknowledged_at = models.DateTimeField(null=True, blank=True)
    srm_acknowledged_note = models.TextField(blank=True)
    aar_expected = models.TextField(_("what we expected"), blank=True)
    aar_happened = models.TextField(_("what happened"), blank=True)
    aar_why = models.TextField(_("why"), blank=True)
    aar_next = models.TextField(_("what next"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"],
                                               name="experiment_key_unique")]
        indexes = [models.Index(fields=["workspace", "status"], name="experiment_ws_status")]

    def __str__(self):
        return self.title

    @property
    def ice_score(self) -> int:
        """ICE = impact × confidence × ease (1–1000)."""
        return self.impact * self.confidence * self.ease

    @property
    def metrics(self) -> list[dict]:
        """Every metric with its role: primary first, then secondary, then guardrails."""
        out = []
        if self.primary_metric:
            out.append({**self.primary_metric, "role": "primary"})
        out += [{**m, "role": "secondary"} for m in self.secondary_metrics or []]
        out += [{**m, "role": "guardrail"} for m in self.guardrail_metrics or []]
        return out


class Variant(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="variants")
    key = models.CharField(_("key"), max_length=60,
                           help_text=_("The variation_id your exposure events send."))
    name = models.CharField(_("name"), max_length=120)
    is_control = models.BooleanField(_("control"), default=False)
    share = models.FloatField(_("traffic share"),
                              validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["experiment", "key"],
                                               name="variant_key_unique")]

    def __str__(self):
        return self.name


class ExperimentResult(models.Model):
    """One day of one variant on one metric: exposures (n), sum and sum of squares of the
    per-user metric. Unique per (variant, metric, date): re-sending a day replaces it."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Typed in")
        API = "api", _("API")
        COMPUTED = "computed", _("Computed from MOS data")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="results")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="results")
    metric = models.CharField(max_length=80)
    date = models.DateField()
    n = models.PositiveIntegerField()
    sum = models.FloatField(default=0)
    sum_sq = models.FloatField(default=0)
    # the CUPED covariate (the metric over the days before each user's first exposure):
    # its sum, sum of squares and Σ pre × post; empty for typed-in or posted results
    pre_sum = models.FloatField(null=True, blank=True)
    pre_sum_sq = models.FloatField(null=True, blank=True)
    cross_sum = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["variant", "metric", "date"],
                                               name="experiment_result_unique")]
        indexes = [models.Index(fields=["experiment", "metric", "date"],
                                name="result_exp_metric_date")]
