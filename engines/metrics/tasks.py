"""Celery tasks of the metrics pipeline. The nightly schedule is in mos/celery.py."""

from __future__ import annotations

from celery import group, shared_task


@shared_task(name="engines.tasks.compute_workspace_task", ignore_result=True)
def compute_workspace_task(run_id: int) -> str | None:
    """Compute one MetricRun (claimed first: a duplicate delivery does nothing)."""
    from .pipeline import claim_and_compute

    run = claim_and_compute(run_id)
    return run.status if run is not None else None


@shared_task(name="engines.tasks.compute_all_workspaces", ignore_result=True)
def compute_all_workspaces() -> int:
    """Fan out: one nightly run per workspace, computed in parallel as a Celery group."""
    from engines.services import metric_runs_start_nightly

    run_ids = metric_runs_start_nightly()
    if run_ids:
        group(compute_workspace_task.s(run_id) for run_id in run_ids).apply_async()
    return len(run_ids)
