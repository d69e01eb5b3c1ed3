"""Celery tasks for experiments. The nightly schedule is in mos/celery.py."""

from __future__ import annotations

from celery import group, shared_task


@shared_task(name="experiments.tasks.compute_experiment_results", ignore_result=True)
def compute_experiment_results(workspace_id: int) -> int:
    """Recompute one workspace's experiment results from its events and orders."""
    from mos.models import Workspace

    from .compute import compute_workspace_results

    ws = Workspace.objects.filter(pk=workspace_id).first()
    if ws is None:
        return 0
    return compute_workspace_results(workspace=ws)["rows"]


@shared_task(name="experiments.tasks.compute_all_experiment_results", ignore_result=True)
def compute_all_experiment_results() -> int:
    """Fan out: one task per workspace with a running or analysing experiment."""
    from .compute import ACTIVE
    from .models import Experiment

    ids = sorted(set(Experiment.objects.filter(status__in=ACTIVE).values_list(
        "workspace_id", flat=True)))
    if ids:
        group(compute_experiment_results.s(i) for i in ids).apply_async()
    return len(ids)
