"""Celery tasks of the metrics pipeline. The nightly schedule is in mos/celery.py."""

from __future__ import annotations

from celery import group, shared_task


# acks_late + reject_on_worker_lost: a worker killed mid-run leaves the message to be
# redelivered, and the redelivered task takes the run over once its lease has expired.
@shared_task(name="engines.tasks.compute_workspace_task", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def compute_workspace_task(run_id: int) -> str | None:
    """Compute one MetricRun (claimed first: a duplicate delivery does nothing)."""
    from .pipeline import claim_and_compute

    run = claim_and_compute(run_id)
    return run.status if run is not None else None


@shared_task(name="engines.tasks.compute_all_workspaces", ignore_result=True)
def compute_all_workspaces() -> int:
    """Fan out: one nightly run per workspace, computed in parallel as a Celery group."""
    from engines.services import metric_runs_start_nightly

    from . import changes

    changes.forget_deleted_workspaces()  # log rows of workspaces deleted without a signal
    run_ids = metric_runs_start_nightly()
    if run_ids:
        group(compute_workspace_task.s(run_id) for run_id in run_ids).apply_async()
    return len(run_ids)


@shared_task(name="engines.tasks.resend_lost_runs", ignore_result=True)
def resend_lost_runs() -> int:
    """The sweep (every minute, mos/celery.py): re-send runs and imports no worker holds."""
    from crm.bulk.services import bulk_actions_resend_lost
    from crm.importing.jobs import import_jobs_resend_lost
    from engines.services import metric_runs_resend_lost

    return (len(metric_runs_resend_lost()) + len(import_jobs_resend_lost())
            + len(bulk_actions_resend_lost()))
