"""Celery tasks of the CSV import: they take ids, load the objects and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.tasks.import_run", acks_late=True, reject_on_worker_lost=True)
def import_run(job_id: int) -> None:
    """Process a confirmed CSV import (ImportJob) in chunks, recording progress. Safe to
    deliver twice: the service claims the job with a conditional UPDATE and returns if another
    run already has it."""
    from .jobs import import_job_process

    import_job_process(job_id)
