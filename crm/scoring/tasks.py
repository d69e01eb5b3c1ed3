"""Celery tasks of lead scoring: they take ids and call the recompute."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.scoring.score_contacts")
def score_contacts_task(workspace_id: int, contact_ids: list[int]) -> int:
    """Rescore some contacts (after their new events)."""
    from mos.models import Workspace

    from .services import scores_recompute

    ws = Workspace.objects.filter(pk=workspace_id).first()
    return scores_recompute(ws, contact_ids) if ws else 0


@shared_task(name="crm.scoring.score_workspace")
def score_workspace_task(workspace_id: int) -> int:
    """Rescore every contact of one workspace (rules changed, nightly decay)."""
    from mos.models import Workspace

    from .services import scores_recompute

    ws = Workspace.objects.filter(pk=workspace_id).first()
    return scores_recompute(ws) if ws else 0


@shared_task(name="crm.scoring.score_all_workspaces")
def score_all_workspaces_task() -> int:
    """Nightly: one rescore task per workspace that has scoring rules (recency decays)."""
    from ..models import ScoringRule

    ids = sorted(set(ScoringRule.objects.filter(active=True)
                     .values_list("workspace_id", flat=True)))
    for ws_id in ids:
        score_workspace_task.delay(ws_id)
    return len(ids)
