"""Celery tasks: draft the month that just closed (beat, on the 1st), one task per workspace."""

from __future__ import annotations

from celery import group, shared_task


@shared_task
def draft_closed_month(workspace_id: int) -> str | None:
    """Draft last month's report of one workspace unless it has one (idempotent)."""
    from mos.actors import Actor
    from mos.models import Workspace

    from . import selectors, services
    from .models import MonthlyReport

    ws = Workspace.objects.filter(pk=workspace_id).first()
    if ws is None:
        return None
    month = selectors.last_closed_month()
    if MonthlyReport.objects.filter(workspace=ws, month=month).exists():
        return None
    return str(services.report_draft(workspace=ws, month=month, actor=Actor.system(ws)).code)


@shared_task
def draft_closed_month_all() -> int:
    """Fan out one draft task per workspace."""
    from mos.models import Workspace

    ids = list(Workspace.objects.values_list("pk", flat=True))
    if ids:
        group(draft_closed_month.s(i) for i in ids).apply_async()
    return len(ids)
