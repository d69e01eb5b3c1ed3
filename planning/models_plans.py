"""Plans judged by MOS's numbers (plan14): the SOSTAC plan and its published versions, the
quarterly bets, checklists started from the 30-60-90 / 14-day MVP templates, and the monthly
budget reallocation. Business rules live in planning/services_plans.py."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace

# seed 003: the 8P service marketing mix
SERVICE_MIX = [
    ("product", _("Product")), ("price", _("Price")), ("promotion", _("Promotion")),
    ("place", _("Place")), ("process", _("Process")),
    ("physical", _("Physical evidence")), ("people", _("People")),
    ("performance", _("Performance")),
]


class SostacPlan(models.Model):
    """The live (editable) SOSTAC plan; publishing freezes a copy as a PlanVersion."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=160)
    starts = models.DateField(_("starts"))
    ends = models.DateField(_("ends"))
    situation = models.TextField(_("situation: where are we now?"), blank=True)
    diagnostics = models.JSONField(_("diagnostic answers"), default=dict, blank=True)
    segments = models.ManyToManyField("crm.Segment", blank=True, related_name="+",
                                      verbose_name=_("segments"))
    personas = models.ManyToManyField("crm.Persona", blank=True, related_name="+",
                                      verbose_name=_("personas"))
    positioning = models.TextField(_("positioning"), blank=True)
    service_mix = models.JSONField(_("8P service mix"), default=dict, blank=True)
    channels = models.ManyToManyField("crm.Channel", blank=True, related_name="+",
                                      verbose_name=_("channels"))
    campaigns = models.ManyToManyField("crm.Campaign", blank=True, related_name="+",
                                       verbose_name=_("campaigns"))
    tactics = models.TextField(_("tactics: messages and content"), blank=True)
    control = models.TextField(_("control: who measures, how and when"), blank=True)
    version = models.PositiveIntegerField(default=0)  # the last published version number
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts", "-id"]

    def __str__(self):
        return self.title


class PlanObjective(models.Model):
    """Objectives: a KPI with the target the plan commits to (SMART: by a date)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(SostacPlan, on_delete=models.CASCADE, related_name="objectives")
    kpi = models.ForeignKey("engines.KPI", on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("KPI"))
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    due = models.DateField(_("by"))

    class Meta:
        ordering = ["due", "id"]


class PlanAction(models.Model):
    """Action: who does what by when."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(SostacPlan, on_delete=models.CASCADE, related_name="actions")
    what = models.CharField(_("what"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    due = models.DateField(_("due"))
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        ordering = ["due", "id"]


class PlanVersion(models.Model):
    """A published, immutable copy of a SOSTAC plan with the numbers it showed."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(SostacPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"],
                                               name="plan_version_unique")]


class QuarterlyBet(models.Model):
    """Seed 001: 3–5 bets a quarter tied to the North Star, scored at the quarter's end."""

    class Score(models.TextChoices):
        HIT = "hit", _("Hit")
        PARTIAL = "partial", _("Partly")
        MISS = "miss", _("Missed")
        NO_DATA = "no_data", _("No data")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    quarter = models.DateField(_("quarter"))  # its first day
    title = models.CharField(_("bet"), max_length=200)
    expected_effect = models.TextField(_("expected effect"), blank=True)
    kpi = models.ForeignKey("engines.KPI", on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="+", verbose_name=_("KPI"))
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    expected = models.FloatField(_("expected value"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    engine = models.ForeignKey("engines.GrowthEngine", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("engine"))
    experiments = models.ManyToManyField("experiments.Experiment", blank=True,
                                         related_name="+", verbose_name=_("experiments"))
    actual = models.FloatField(_("actual"), null=True, blank=True)
    score = models.CharField(_("score"), max_length=8, choices=Score.choices, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-quarter", "id"]


class Checklist(models.Model):
    """A plan started from a template (30-60-90, 14-day MVP) with owners and due dates."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(_("template"), max_length=20)
    title = models.CharField(_("title"), max_length=160, blank=True)  # blank: the template's
    starts = models.DateField(_("start date"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts", "-id"]

    @property
    def display_title(self) -> str:
        """The team's own title, else the template's in the reader's language."""
        from .checklists import TEMPLATES

        return self.title or str(TEMPLATES.get(self.template, {}).get("title", self.template))


class ChecklistItem(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    item_key = models.CharField(max_length=40, blank=True)  # template item: label translated
    text = models.CharField(_("item"), max_length=200, blank=True)  # a person's own words
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("owner"))
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]


class BudgetPlan(models.Model):
    """Next month's channel split proposed from the numbers, accepted or edited by the team."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # the month the split is for (first day)
    basis_month = models.DateField(_("based on"))
    total = models.DecimalField(_("total budget"), max_digits=14, decimal_places=2)
    max_step = models.DecimalField(_("largest step"), max_digits=4, decimal_places=2,
                                   default=0.2)
    floor_share = models.DecimalField(_("minimum share per channel"), max_digits=4,
                                      decimal_places=2, default=0.05)
    proposal = models.JSONField(default=list)  # [{channel, name, current, proposed, …}]
    accepted = models.JSONField(default=dict, blank=True)  # {channel key: amount}
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PROPOSED)
    note = models.TextField(_("note"), blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["workspace", "month"],
                                               name="budget_plan_month_unique")]
