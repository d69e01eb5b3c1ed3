"""Writes for channels and campaigns (spend arrives through crm.ingest and crm.importing)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.writes import audited_create, audited_update
from mos.models import Workspace

from crm.models import Campaign, Channel

CHANNEL_FIELDS = ["key", "name", "kind", "utm_sources", "is_paid"]
CAMPAIGN_FIELDS = ["channel", "name", "utm_campaign", "external_id", "budget", "starts_on",
                   "ends_on", "goal"]
PAID_KINDS = {Channel.Kind.PAID_SEARCH, Channel.Kind.PAID_SOCIAL}
# utm_source values that usually mean each default channel
DEFAULT_UTM_SOURCES = {
    Channel.Kind.SEO: ["google_organic", "bing_organic"],
    Channel.Kind.PAID_SEARCH: ["google", "google_ads", "bing", "bing_ads"],
    Channel.Kind.PAID_SOCIAL: ["facebook", "instagram", "meta", "linkedin", "tiktok", "snapchat",
                               "x", "twitter"],
    Channel.Kind.ORGANIC_SOCIAL: ["social"],
    Channel.Kind.EMAIL: ["email", "newsletter"],
    Channel.Kind.CONTENT: ["blog", "content"],
    Channel.Kind.REFERRAL: ["referral"],
    Channel.Kind.PARTNERSHIPS: ["partner"],
    Channel.Kind.DIRECT: ["direct"],
    Channel.Kind.OTHER: [],
}


def _clean_utm_sources(fields: dict) -> dict:
    if "utm_sources" in fields:
        value = fields["utm_sources"] or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError({"utm_sources": [_("Give a list of utm_source values.")]})
        fields["utm_sources"] = list(dict.fromkeys(v.strip().lower() for v in value
                                                   if v.strip()))
    return fields


def _check_key_free(workspace: Workspace, key: str, exclude_pk=None) -> None:
    qs = Channel.objects.filter(workspace=workspace, key=key)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"key": [_("This workspace already has a channel with this key.")]})


def _validate_channel(channel: Channel) -> None:
    channel.full_clean(validate_constraints=False)  # the key's uniqueness: a field error below
    _check_key_free(channel.workspace, channel.key, exclude_pk=channel.pk)


@transaction.atomic
def channel_create(*, actor: Actor, **fields) -> Channel:
    """A new marketing channel."""
    return audited_create(actor, Channel, CHANNEL_FIELDS, "channel.create",
                          _clean_utm_sources(dict(fields)), validate=_validate_channel)


@transaction.atomic
def channel_update(*, actor: Actor, channel: Channel, **fields) -> Channel:
    return audited_update(actor, channel, CHANNEL_FIELDS, "channel.update",
                          _clean_utm_sources(dict(fields)), validate=_validate_channel)


def _check_campaign(workspace: Workspace, campaign: Campaign) -> None:
    errors = {}
    if campaign.channel_id and campaign.channel.workspace_id != workspace.pk:
        errors["channel"] = [_("Not found in this workspace.")]
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = [_("The end date is before the start date.")]
    if campaign.utm_campaign and Campaign.objects.filter(
            workspace=workspace, utm_campaign=campaign.utm_campaign).exclude(
            pk=campaign.pk).exists():
        errors["utm_campaign"] = [_("Another campaign already uses this UTM campaign.")]
    if campaign.budget is not None and campaign.budget < 0:
        errors["budget"] = [_("The budget cannot be negative.")]
    if errors:
        raise ValidationError(errors)


def _validate_campaign(campaign: Campaign) -> None:
    _check_campaign(campaign.workspace, campaign)  # tenancy and the friendly messages first
    campaign.full_clean()


@transaction.atomic
def campaign_create(*, actor: Actor, **fields) -> Campaign:
    """A new campaign on one of the workspace's channels."""
    return audited_create(actor, Campaign, CAMPAIGN_FIELDS, "campaign.create", fields,
                          validate=_validate_campaign)


@transaction.atomic
def campaign_update(*, actor: Actor, campaign: Campaign, **fields) -> Campaign:
    return audited_update(actor, campaign, CAMPAIGN_FIELDS, "campaign.update", fields,
                          validate=_validate_campaign)


@transaction.atomic
def channel_archive(*, actor: Actor, channel: Channel, archived: bool = True) -> Channel:
    """Archive (or restore) a channel: its spend and history stay; forms stop offering it."""
    return _set_archived(actor, channel, archived, "channel")


@transaction.atomic
def campaign_archive(*, actor: Actor, campaign: Campaign, archived: bool = True) -> Campaign:
    """Archive (or restore) a campaign."""
    return _set_archived(actor, campaign, archived, "campaign")


def _set_archived(actor: Actor, obj, archived: bool, what: str):
    from django.utils import timezone

    from mos.audit import audit

    if bool(obj.archived_at) == archived:
        return obj
    obj.archived_at = timezone.now() if archived else None
    obj.save(update_fields=["archived_at"])
    audit(actor, f"{what}.archive" if archived else f"{what}.restore", obj)
    return obj


def ensure_default_channels(workspace: Workspace) -> list[Channel]:
    """Create the ten standard channels (key = kind) that the workspace lacks; idempotent.
    Returns every channel of the workspace."""
    existing = set(Channel.objects.filter(workspace=workspace).values_list("key", flat=True))
    with translation.override("en"):
        rows = [Channel(workspace=workspace, key=kind.value, name=str(kind.label),
                        kind=kind.value, is_paid=kind in PAID_KINDS,
                        utm_sources=DEFAULT_UTM_SOURCES.get(kind, []))
                for kind in Channel.Kind if kind.value not in existing]
    if rows:
        Channel.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Channel.objects.filter(workspace=workspace))
