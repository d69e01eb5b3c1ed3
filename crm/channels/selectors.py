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


def channel_list(workspace: Workspace) -> QuerySet:
    return Channel.objects.filter(workspace=workspace).order_by("name", "id")


def campaign_list(workspace: Workspace, *, channel: Channel | None = None) -> QuerySet:
    qs = Campaign.objects.filter(workspace=workspace).select_related("channel")
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs.order_by("-starts_on", "name", "id")
