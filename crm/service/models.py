"""Complaints and suggestions, CSAT/NPS surveys and their answers (imported by crm.models)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace


def _new_code():
    import uuid

    return uuid.uuid4()


class Complaint(models.Model):
    """A complaint or a suggestion a customer made, and how the team handled it."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    class Via(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("E-mail")
        CHAT = "chat", _("Chat / messaging")
        SOCIAL = "social", _("Social media")
        IN_PERSON = "in_person", _("In person")
        OTHER = "other", _("Other")

    code = models.UUIDField(default=_new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("crm.Contact", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="complaints", verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.COMPLAINT)
    via = models.CharField(_("received via"), max_length=12, choices=Via.choices,
                           default=Via.PHONE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("what the customer said"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("handled by"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    handling_minutes = models.PositiveIntegerField(
        _("handling time (minutes)"), null=True, blank=True,
        help_text=_("Time spent with the customer (the call's length for a phone call)."))
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["workspace", "received_at"], name="complaint_ws_at")]
        constraints = [models.CheckConstraint(
            condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("received_at")),
            name="complaint_resolved_after_received")]

    def __str__(self):
        return self.subject

    @property
    def hours_to_resolution(self) -> float | None:
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.received_at).total_seconds() / 3600


class Survey(models.Model):
    """A CSAT (1–5) or NPS (0–10) question sent to a segment's contacts; each answers once
    on a public page through a signed link of their own."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10: would you recommend us?)")
        CSAT = "csat", _("CSAT (1–5: how satisfied are you?)")

    code = models.UUIDField(default=_new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.NPS)
    name = models.CharField(_("name"), max_length=200)
    question = models.CharField(
        _("question"), max_length=300, blank=True,
        help_text=_("Empty: the standard question of the kind, in the contact's language."))
    segment = models.ForeignKey("crm.Segment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("segment"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_count = models.PositiveIntegerField(_("recipients"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        return (0, 10) if self.kind == self.Kind.NPS else (1, 5)


class SurveyAnswer(models.Model):
    """One contact's answer to one survey (at most one: a second submit is refused)."""

    code = models.UUIDField(default=_new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE,
                                related_name="survey_answers")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["survey", "contact"],
                                               name="survey_answer_once")]
        indexes = [models.Index(fields=["workspace", "answered_at"], name="survey_answer_ws_at")]

    def __str__(self):
        return f"{self.survey_id}: {self.score}"

    @property
    def category(self) -> str:
        """promoter / passive / detractor (NPS), satisfied / neutral / unsatisfied (CSAT)."""
        if self.survey.kind == Survey.Kind.NPS:
            return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"
        return "satisfied" if self.score >= 4 else "neutral" if self.score == 3 else "unsatisfied"

    @property
    def is_low(self) -> bool:
        return self.category in ("detractor", "unsatisfied")
