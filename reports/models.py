"""The one-page monthly report (seed 000), its Stop/Start/Continue decisions and edit history.

A draft renders live from the metrics; publishing stores every number the page showed in
`snapshot`, so a later recompute or backfill never changes a published page. A published report
is changed only by superseding it with a new version."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace

SUMMARY_MAX_LINES = 5
HIGHLIGHTS = 3  # top wins, top problems, next month's experiments


def validate_summary(value: str):
    """Seed 000: an executive summary of at most five lines."""
    lines = [ln for ln in (value or "").splitlines() if ln.strip()]
    if len(lines) > SUMMARY_MAX_LINES:
        raise ValidationError(
            _("The executive summary has at most %(max)d lines (this one has %(n)d)."),
            params={"max": SUMMARY_MAX_LINES, "n": len(lines)}, code="too_long")


class MonthlyReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    month = models.DateField(_("month"))  # its first day
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    summary = models.TextField(_("executive summary"), blank=True,
                               validators=[validate_summary])
    # [{"text": str, "numbers": {...}}]: text blank → the sentence is written from the numbers
    # in the reader's language; a person's words replace it.
    wins = models.JSONField(_("top wins"), default=list, blank=True)
    problems = models.JSONField(_("top problems"), default=list, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)  # every number shown, at publish
    next_experiments = models.ManyToManyField("experiments.Experiment", blank=True,
                                              through="ReportExperiment", related_name="+")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="superseded_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "month", "version"],
                                    name="report_month_version_unique"),
            # one live version per month: at most one draft and one published
            models.UniqueConstraint(fields=["workspace", "month"], condition=Q(status="draft"),
                                    name="report_one_draft_per_month"),
            models.UniqueConstraint(fields=["workspace", "month"],
                                    condition=Q(status="published"),
                                    name="report_one_published_per_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} v{self.version}"

    @property
    def slug(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class ReportDecision(models.Model):
    """A Stop / Start / Continue decision: tracked until done or dropped, carried into the next
    month's report while open. Decisions recorded in a weekly review have no report yet: the
    month's draft picks them up."""

    class Kind(models.TextChoices):
        STOP = "stop", _("Stop")
        START = "start", _("Start")
        CONTINUE = "continue", _("Continue")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(MonthlyReport, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="decisions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    rationale = models.TextField(_("rationale"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    result_note = models.TextField(_("result"), blank=True)
    # the numbers the proposal came from, e.g. {"channel": "google_ads", "cac": 212.5, ...}
    source = models.JSONField(default=dict, blank=True)
    proposed = models.BooleanField(default=False)  # drafted by MOS, not yet touched by a person
    engine = models.ForeignKey("engines.GrowthEngine", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="decisions",
                               verbose_name=_("growth engine"))
    carried_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="carried_to")
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"


class ReportEdit(models.Model):
    """Who changed what on a report, and when (shown under the page, never printed)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="edits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(max_length=80)  # summary, wins.1, decision:<code>.status, publish…
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]


class ReportExperiment(models.Model):
    """Next month's experiments on a report, in order (the top of the ICE backlog when drafted)."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE,
                               related_name="experiment_links")
    experiment = models.ForeignKey("experiments.Experiment", on_delete=models.CASCADE,
                                   related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "experiment"],
                                               name="report_experiment_unique")]
