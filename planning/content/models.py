"""Content calendar items, the workspace's calendar feed secret, and campaign plans."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.models import Workspace


class ContentItem(models.Model):
    """One piece of content on the calendar: what, where (channel), for whom, by whom, when."""

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    channel = models.ForeignKey("crm.Channel", on_delete=models.RESTRICT, related_name="+",
                                verbose_name=_("channel"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.IDEA)
    publish_on = models.DateField(_("publish on"))
    publish_time = models.TimeField(_("time"), null=True, blank=True,
                                    help_text=_("Empty: an all-day item."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    persona = models.ForeignKey("crm.Persona", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("persona"))
    segment = models.ForeignKey("crm.Segment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("segment"))
    campaign = models.ForeignKey("crm.Campaign", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("campaign"))
    brief = models.TextField(_("brief"), blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True,
                          help_text=_("Where it is published (or the draft)."))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["publish_on", "publish_time", "id"]
        indexes = [models.Index(fields=["workspace", "publish_on"], name="content_ws_day")]

    def __str__(self):
        return self.title


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret in the workspace's iCal feed URL; an admin regenerates it to revoke every
    subscribed calendar at once."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)


class CampaignPlan(models.Model):
    """The plan of a crm campaign (its channel, goal, budget and dates are the campaign's):
    market, segment, targets — and, after the fact, the after-action review (seed 000)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.OneToOneField("crm.Campaign", on_delete=models.CASCADE,
                                    related_name="plan", verbose_name=_("campaign"))
    market = models.CharField(_("market"), max_length=200, blank=True,
                              help_text=_("Where and to whom: country, city, industry…"))
    segment = models.ForeignKey("crm.Segment", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("segment"))
    persona = models.ForeignKey("crm.Persona", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("persona"))
    message = models.TextField(_("key message"), blank=True)
    target_leads = models.PositiveIntegerField(_("target leads"), null=True, blank=True)
    target_customers = models.PositiveIntegerField(_("target customers"), null=True, blank=True)
    target_revenue = models.DecimalField(_("target revenue"), max_digits=14, decimal_places=2,
                                         null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("owner"))
    # after-action review (seed 000): expected, what happened, why, what next
    expected = models.TextField(_("what we expected"), blank=True)
    happened = models.TextField(_("what happened"), blank=True)
    why = models.TextField(_("why"), blank=True)
    next_steps = models.TextField(_("what we do next"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return str(self.campaign)
