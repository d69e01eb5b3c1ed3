"""Celery task of the bulk actions: takes the id, the service claims and processes it."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.tasks.bulk_action_run", acks_late=True, reject_on_worker_lost=True)
def bulk_action_run(action_id: int) -> None:
    """Process a queued bulk action (claimed with the lease: a second delivery does nothing)."""
    from .services import bulk_action_process

    bulk_action_process(action_id)
