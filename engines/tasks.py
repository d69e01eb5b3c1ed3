"""Celery tasks of engines beyond the metrics pipeline (engines.metrics.tasks): the weekly
digest. The schedule is in mos/celery.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="engines.tasks.send_weekly_digests_all", ignore_result=True)
def send_weekly_digests_all() -> int:
    """Every workspace's weekly digest (each member at most once per week: DigestSent)."""
    from mos.models import Workspace

    from .digest import send_weekly_digests

    return sum(send_weekly_digests(ws) for ws in Workspace.objects.all())
