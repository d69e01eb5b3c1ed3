"""Reads for channels and campaigns; every lookup starts from the workspace (404 otherwise)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mos.codes import code_or_404 as _code
from mos.models import Workspace

from crm.models import Campaign, Channel


def get_channel(workspace: Workspace, code) -> Channel:
    """The workspace's channel, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(Channel, workspace=workspace, code=_code(code))


def get_campaign(workspace: Workspace, code) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("channel"), workspace=workspace,
                             code=_code(code))


def channel_by_key(workspace: Workspace, key: str) -> Channel | None:
    """The workspace's channel with this key, or None (imports and ingest map keys often)."""
    if not key:
        return None
    return Channel.objects.filter(workspace=workspace, key=str(key).strip()).first()


def channel_list(workspace: Workspace, *, archived: bool | None = None) -> QuerySet:
    """The workspace's channels (archived=False: the live ones, True: the archived ones)."""
    qs = Channel.objects.filter(workspace=workspace)
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    return qs.order_by("name", "id")


def channel_page_list(workspace: Workspace, *, archived: bool = False) -> QuerySet:
    """The channels page: each channel with its number of campaigns."""
    from django.db.models import Count

    return channel_list(workspace, archived=archived).annotate(n_campaigns=Count("campaigns"))


def campaign_list(workspace: Workspace, *, channel: Channel | None = None,
                  archived: bool | None = None) -> QuerySet:
    qs = Campaign.objects.filter(workspace=workspace).select_related("channel")
    if channel is not None:
        qs = qs.filter(channel=channel)
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    return qs.order_by("-starts_on", "name", "id")
