"""Writes for metric runs (the pipeline's "recompute now") and KPIs."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit, diff, snapshot
from mos.models import Workspace
from mos.periods import period_start as kpi_period_start
from mos.broker import BROKER_ERRORS
from mos.writes import reject_unknown as _reject_unknown

# --- metric runs (the pipeline's "recompute now") and KPIs ---------------------------------

logger = logging.getLogger(__name__)


def _actor_for(workspace: Workspace, by) -> Actor:
    if isinstance(by, Actor):
        return by
    if by is not None:
        return Actor(workspace=workspace, user=by)
    return Actor.system(workspace)


def _active_run(workspace: Workspace):
    """The workspace's pending/running run, if any. A run whose worker stopped answering
    (running with an expired lease, or pending with no worker within the lease) does not
    block: it is marked failed as interrupted and a new run replaces it."""
    from django.utils import timezone

    from mos.leases import is_stuck

    from .models import MetricRun

    S = MetricRun.Status
    for run in MetricRun.objects.filter(workspace=workspace, status__in=[S.PENDING, S.RUNNING]
                                        ).order_by("-created_at"):
        if not is_stuck(run, S.RUNNING, S.PENDING):
            return run
        # conditional: a worker that just renewed its lease keeps its run
        MetricRun.objects.filter(pk=run.pk, status=run.status,
                                 heartbeat_at=run.heartbeat_at).update(
            status=S.FAILED, finished_at=timezone.now(),
            error=_("Interrupted: the worker stopped answering; a new run replaced it."))
    return None


@transaction.atomic
def _metric_run_create(*, workspace: Workspace, trigger: str, by=None, as_of=None,
                       backfill_from=None):
    """(run, created): a new pending run, or the workspace's run already pending/running."""
    from .models import MetricRun

    # lock the workspace row: two "recompute now" clicks at once create one run
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
    existing = _active_run(workspace)
    if existing is not None:
        return existing, False
    actor = _actor_for(workspace, by)
    run = MetricRun(workspace=workspace, trigger=trigger, requested_by=actor.user, as_of=as_of,
                    backfill_from=backfill_from)
    run.full_clean()
    run.save()
    changes = {"trigger": trigger}
    if as_of:
        changes["as_of"] = as_of.isoformat()
    if backfill_from:
        changes["from"] = backfill_from.isoformat()
    audit(actor, "metrics.recompute", run, changes=changes,
          object_repr=f"metric run {run.code}")
    return run, True


def metric_run_send(run_id: int) -> bool:
    """Send a run's task to the broker; False (and the run marked failed with a human
    message, so it blocks nothing) when the broker cannot be reached."""
    from django.utils import timezone

    from .metrics.tasks import compute_workspace_task
    from .models import MetricRun

    try:
        compute_workspace_task.apply_async((run_id,))
    except BROKER_ERRORS:
        logger.exception("metric run %s: the task queue is unreachable", run_id)
        MetricRun.objects.filter(pk=run_id, status=MetricRun.Status.PENDING).update(
            status=MetricRun.Status.FAILED, finished_at=timezone.now(),
            error=_("The task queue could not be reached, so the run did not start. Try "
                    "again in a minute."))
        return False
    return True


def check_run_dates(*, as_of, backfill_from, today) -> None:
    """as_of within [2000-01-01, today]; a backfill start before it and at most 10 years."""
    from mos.validation import EARLIEST_DATE

    errors = {}
    if as_of is not None and not EARLIEST_DATE <= as_of <= today:
        errors["as_of"] = [_("Choose a day between 2000-01-01 and today.")]
    if backfill_from is not None:
        end = as_of or today
        if not EARLIEST_DATE <= backfill_from <= end:
            errors["backfill_from"] = [_("Choose a day between 2000-01-01 and the as-of day.")]
        elif (end - backfill_from).days > 3660:
            errors["backfill_from"] = [_("A backfill covers at most 10 years.")]
    if errors:
        raise ValidationError(errors)


def metric_run_start(*, workspace: Workspace, trigger: str, by=None, sync: bool | None = None,
                     as_of=None, backfill_from=None):
    """Start recomputing the workspace's metrics (as of a past day, or a backfill from a day),
    or return the run already pending/running.

    sync=None follows Celery: with eager tasks (the embedded default, tests) the run is computed
    here and returned finished; otherwise its task is sent once the transaction commits. If the
    broker is unreachable the run comes back failed with a human message (never a 500)."""
    from django.conf import settings

    from mos.periods import workspace_today

    if as_of is not None or backfill_from is not None:
        check_run_dates(as_of=as_of, backfill_from=backfill_from,
                        today=workspace_today(workspace))
    run, created = _metric_run_create(workspace=workspace, trigger=trigger, by=by, as_of=as_of,
                                      backfill_from=backfill_from)
    if not created:
        return run
    if sync is None:
        sync = bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))
    if sync:
        from .metrics.pipeline import claim_and_compute

        claim_and_compute(run.pk)
    else:
        run_id = run.pk
        transaction.on_commit(lambda: metric_run_send(run_id))
    run.refresh_from_db()
    return run


def metric_runs_start_nightly() -> list[int]:
    """One nightly run per workspace (a workspace already computing keeps its run); the ids of
    the runs created, for the caller to fan out."""
    from .models import MetricRun

    ids = []
    for ws in Workspace.objects.order_by("pk"):  # one row per tenant, not per contact
        run, created = _metric_run_create(workspace=ws, trigger=MetricRun.Trigger.NIGHTLY)
        if created:
            ids.append(run.pk)
    return ids


def metric_runs_resend_lost() -> list[int]:
    """The sweep: re-send runs that no worker holds — pending past the lease (the task was
    never sent, or was lost) or running with an expired lease (the worker died). The claim
    in the task decides who computes; a duplicate send is harmless."""
    from django.db.models import Q
    from django.utils import timezone

    from mos.leases import expired_q, lease

    from .models import MetricRun

    S = MetricRun.Status
    now = timezone.now()
    ids = list(MetricRun.objects.filter(
        Q(status=S.PENDING, created_at__lt=now - lease()) | expired_q(S.RUNNING, now))
        .values_list("pk", flat=True)[:500])
    for run_id in ids:
        if not metric_run_send(run_id):
            break
    return ids


KPI_FIELDS = ["name", "metric_key", "scope", "channel", "segment", "grain", "direction",
              "target", "guardrail_min", "guardrail_max", "is_north_star", "position", "engine"]


def _check_kpi(kpi, targets) -> None:
    from .metrics.registry import REGISTRY

    errors = {}
    if kpi.metric_key and kpi.metric_key not in REGISTRY:
        errors["metric_key"] = [_("Unknown metric.")]
    ws_id = kpi.workspace_id
    if kpi.scope == kpi.Scope.CHANNEL:
        if kpi.channel_id is None:
            errors["channel"] = [_("Choose the channel this KPI is for.")]
        elif kpi.channel.workspace_id != ws_id:
            errors["channel"] = [_("Not found in this workspace.")]
    elif kpi.channel_id is not None:
        errors["channel"] = [_("Only a channel KPI has a channel.")]
    if kpi.scope == kpi.Scope.SEGMENT:
        if kpi.segment_id is None:
            errors["segment"] = [_("Choose the segment this KPI is for.")]
        elif kpi.segment.workspace_id != ws_id:
            errors["segment"] = [_("Not found in this workspace.")]
    elif kpi.segment_id is not None:
        errors["segment"] = [_("Only a segment KPI has a segment.")]
    if (kpi.guardrail_min is not None and kpi.guardrail_max is not None
            and kpi.guardrail_min > kpi.guardrail_max):
        errors["guardrail_max"] = [_("The maximum must not be below the minimum.")]
    if targets is not None:
        periods = [t["period"] for t in targets]
        if any(p is None for p in periods) or any(t.get("target") is None for t in targets):
            errors["targets"] = [_("Give both a period and a target for every row.")]
        elif len({kpi_period_start(kpi.grain, p) for p in periods}) != len(periods):
            errors["targets"] = [_("Give one target per period.")]
    if errors:
        raise ValidationError(errors)


def _kpi_snapshot(kpi) -> dict:
    snap = snapshot(kpi, [f for f in KPI_FIELDS if f not in ("channel", "segment", "engine")])
    snap["engine"] = str(kpi.engine.code) if kpi.engine_id else None
    snap["channel"] = kpi.channel.key if kpi.channel_id else None
    snap["segment"] = str(kpi.segment.code) if kpi.segment_id else None
    return snap


def _save_kpi(kpi, targets) -> None:
    from .models import KPI, KPITarget

    kpi.full_clean(validate_constraints=False)
    if kpi.is_north_star:  # one North Star per workspace: the new one replaces the old
        KPI.objects.filter(workspace_id=kpi.workspace_id, is_north_star=True).exclude(
            pk=kpi.pk).update(is_north_star=False)
    kpi.save()
    if targets is not None:
        KPITarget.objects.filter(kpi=kpi).delete()
        KPITarget.objects.bulk_create([
            KPITarget(kpi=kpi, period=kpi_period_start(kpi.grain, t["period"]),
                      target=t["target"]) for t in targets])


@transaction.atomic
def kpi_create(*, actor: Actor, targets: list[dict] | None = None, **fields):
    """A new KPI (with per-period targets [{period, target}]); a new North Star unsets the old."""
    from .models import KPI

    _reject_unknown(fields, KPI_FIELDS, "KPI")
    kpi = KPI(workspace=actor.workspace, **fields)
    _check_kpi(kpi, targets)
    _save_kpi(kpi, targets or [])
    changes = _kpi_snapshot(kpi)
    changes["targets"] = len(targets or [])
    audit(actor, "kpi.create", kpi, changes=changes)
    return kpi


@transaction.atomic
def kpi_update(*, actor: Actor, kpi, targets: list[dict] | None = None, **fields):
    """Change a KPI; `targets`, when given, replace all its per-period targets."""
    _reject_unknown(fields, KPI_FIELDS, "KPI")
    before = _kpi_snapshot(kpi)
    for k, v in fields.items():
        setattr(kpi, k, v)
    _check_kpi(kpi, targets)
    _save_kpi(kpi, targets)
    changes = diff(before, _kpi_snapshot(kpi))
    if targets is not None:
        changes["targets"] = len(targets)
    if changes:
        audit(actor, "kpi.update", kpi, changes=changes)
    return kpi


@transaction.atomic
def kpi_move(*, actor: Actor, kpi, up: bool) -> None:
    """Swap the KPI with its neighbour in the list order (the North Star stays first); the
    whole list is renumbered 0, 1, 2… so equal positions never leave the order undefined."""
    from .models import KPI

    rows = list(KPI.objects.select_for_update().filter(workspace_id=kpi.workspace_id)
                .order_by("-is_north_star", "position", "name", "id"))
    i = next(n for n, k in enumerate(rows) if k.pk == kpi.pk)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(rows) or rows[j].is_north_star != rows[i].is_north_star:
        return
    rows[i], rows[j] = rows[j], rows[i]
    for n, k in enumerate(rows):
        if k.position != n:
            k.position = n
            k.save(update_fields=["position"])
    audit(actor, "kpi.move", kpi, changes={"position": [i, j]})


@transaction.atomic
def kpi_delete(*, actor: Actor, kpi) -> None:
    audit(actor, "kpi.delete", kpi, changes=_kpi_snapshot(kpi))
    kpi.delete()


# --- growth engines and their weekly check-ins ---------------------------------------------

ENGINE_FIELDS = ["name", "owner", "description", "funnel_stages", "main_kpi",
                 "weekly_commitment", "is_active"]
ENGINES_FOCUS = 4  # seed 000: a workspace runs 2–4 growth engines


def engine_focus_warning() -> str:
    return _("Seed 000 recommends 2–4 growth engines: each one needs an owner who improves it "
             "every week, and a fifth spreads the team too thin to improve any of them. "
             "Create it anyway?")


def _check_engine(engine, channels) -> None:
    from .models import FunnelStage, GrowthEngine

    errors = {}
    ws_id = engine.workspace_id
    if not isinstance(engine.funnel_stages, list) or any(
            s not in FunnelStage.values for s in engine.funnel_stages):
        errors["funnel_stages"] = [_("Choose stages from the funnel.")]
    if engine.main_kpi_id and engine.main_kpi.workspace_id != ws_id:
        errors["main_kpi"] = [_("Not found in this workspace.")]
    if engine.owner_id and not engine.owner.memberships.filter(workspace_id=ws_id).exists():
        errors["owner"] = [_("The owner must be a member of this workspace.")]
    if channels is not None and any(c.workspace_id != ws_id for c in channels):
        errors["channels"] = [_("Not found in this workspace.")]
    if engine.name and GrowthEngine.objects.filter(workspace_id=ws_id, name=engine.name).exclude(
            pk=engine.pk).exists():
        errors["name"] = [_("This workspace already has an engine with this name.")]
    if errors:
        raise ValidationError(errors)


def _engine_snapshot(engine) -> dict:
    snap = snapshot(engine, [f for f in ENGINE_FIELDS if f not in ("owner", "main_kpi")])
    snap["owner"] = engine.owner.email if engine.owner_id else None
    snap["main_kpi"] = str(engine.main_kpi.code) if engine.main_kpi_id else None
    return snap


@transaction.atomic
def engine_create(*, actor: Actor, channels=None, confirm_over_focus: bool = False, **fields):
    """A new growth engine. A fifth active engine needs confirm_over_focus=True (seed 000)."""
    from .models import GrowthEngine

    _reject_unknown(fields, ENGINE_FIELDS, "engine")
    engine = GrowthEngine(workspace=actor.workspace, **fields)
    _check_engine(engine, channels)
    engine.full_clean(validate_constraints=False)
    active = GrowthEngine.objects.filter(workspace=actor.workspace, is_active=True).count()
    if engine.is_active and active >= ENGINES_FOCUS and not confirm_over_focus:
        raise ValidationError({"confirm_over_focus": [engine_focus_warning()]},
                              code="confirm_needed")
    engine.save()
    if channels:
        engine.channels.set(channels)
    changes = _engine_snapshot(engine)
    changes["channels"] = sorted(c.key for c in channels or [])
    if engine.is_active and active >= ENGINES_FOCUS:
        changes["over_focus_confirmed"] = active + 1
    audit(actor, "engine.create", engine, changes=changes)
    return engine


@transaction.atomic
def engine_update(*, actor: Actor, engine, channels=None, confirm_over_focus: bool = False,
                  **fields):
    """Change an engine; `channels`, when given, replace its channels."""
    from .models import GrowthEngine

    _reject_unknown(fields, ENGINE_FIELDS, "engine")
    before = _engine_snapshot(engine)
    before["channels"] = sorted(engine.channels.values_list("key", flat=True))
    reactivating = fields.get("is_active") and not engine.is_active
    for k, v in fields.items():
        setattr(engine, k, v)
    _check_engine(engine, channels)
    engine.full_clean(validate_constraints=False)
    if reactivating and not confirm_over_focus and GrowthEngine.objects.filter(
            workspace_id=engine.workspace_id, is_active=True).count() >= ENGINES_FOCUS:
        raise ValidationError({"confirm_over_focus": [engine_focus_warning()]},
                              code="confirm_needed")
    engine.save()
    if channels is not None:
        engine.channels.set(channels)
    after = _engine_snapshot(engine)
    after["channels"] = sorted(engine.channels.values_list("key", flat=True))
    changes = diff(before, after)
    if changes:
        audit(actor, "engine.update", engine, changes=changes)
    return engine


@transaction.atomic
def engine_checkin_create(*, actor: Actor, engine, week, what_changed: str,
                          what_we_learned: str = "", next_step: str = ""):
    """Record the engine's weekly check-in (kept as history, newest first)."""
    from .models import EngineCheckIn

    checkin = EngineCheckIn(workspace=engine.workspace, engine=engine,
                            week=kpi_period_start("week", week), what_changed=what_changed,
                            what_we_learned=what_we_learned, next_step=next_step,
                            author=actor.user)
    checkin.full_clean()
    checkin.save()
    audit(actor, "engine.checkin", engine, changes={"week": checkin.week,
                                                    "what_changed": what_changed[:200]})
    return checkin
