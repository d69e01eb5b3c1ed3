"""Nightly (mos.celery beat): each workspace's retention policy, one task per workspace."""

from celery import group, shared_task

from mos.models import Workspace

from . import retention
from .models import RetentionPolicy


@shared_task(name="crm.tasks.apply_retention")
def apply_retention(workspace_id: int) -> dict:
    ws = Workspace.objects.filter(pk=workspace_id).first()
    return retention.retention_apply(workspace=ws) if ws else {}


@shared_task(name="crm.tasks.apply_retention_all")
def apply_retention_all() -> int:
    ids = list(RetentionPolicy.objects.filter(
        workspace__isnull=False).values_list("workspace_id", flat=True))
    if ids:
        group(apply_retention.s(i) for i in ids).apply_async()
    return len(ids)
