"""Reads for metric values, runs and KPIs; every lookup starts from the workspace (404
otherwise)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from mos.codes import code_or_404 as _code
from mos.models import Workspace
from mos.periods import add_months, month_end, period_start

# --- metrics, runs and KPIs ------------------------------------------------------------------

def metric_values(workspace: Workspace, key: str, grain: str | None = None, from_=None, to=None,
                  dimension: str | None = None, dimension_value: str | None = None) -> QuerySet:
    """The workspace's computed values of one metric, oldest period first."""
    from .models import MetricValue

    qs = MetricValue.objects.filter(workspace=workspace, key=key)
    if grain:
        qs = qs.filter(grain=grain)
    if from_ is not None:
        qs = qs.filter(period__gte=from_)
    if to is not None:
        qs = qs.filter(period__lte=to)
    if dimension is not None:
        qs = qs.filter(dimension=dimension)
    if dimension_value is not None:
        qs = qs.filter(dimension_value=dimension_value)
    return qs


def metric_run_list(workspace: Workspace) -> QuerySet:
    from .models import MetricRun

    return MetricRun.objects.filter(workspace=workspace).select_related("requested_by")


def latest_run(workspace: Workspace):
    """The workspace's most recent metric run (any status), or None."""
    return metric_run_list(workspace).order_by("-created_at", "-id").first()


def values_version(runs: list) -> tuple | None:
    """What the workspace's metric values are a state of, from its most recent runs (newest
    first, as freshness() reads them): the newest run's code, status and end. Values are
    written only by runs, so values read under one version stay true until the next run ends.
    None (read afresh, cache nothing) while a run is pending or running, or before any run."""
    from .models import MetricRun

    if not runs or any(r.status in (MetricRun.Status.PENDING, MetricRun.Status.RUNNING)
                       for r in runs):
        return None
    last = runs[0]
    return (str(last.code), last.status, last.finished_at.isoformat() if last.finished_at
            else "")


READS_CACHE_SECONDS = 24 * 3600  # a new run changes the version, hence the key, before this


def cached_read(workspace: Workspace, version: tuple | None, name: str, args: tuple,
                compute):
    """compute() — the reads of metric values `name` with `args` — kept in the shared cache
    under the values' version (values_version), so the dashboard reads and rolls up a run's
    values once, not on every view. Without a version it is simply compute(); a cache that
    cannot be reached is skipped (the database answers)."""
    import hashlib

    if version is None:
        return compute()
    key = "metric-reads:" + hashlib.sha1(repr((str(workspace.code), version, name, args))
                                         .encode()).hexdigest()
    hit = _cache("get", key)
    if hit is not None:
        return hit
    value = compute()
    _cache("set", key, value, READS_CACHE_SECONDS)
    return value


def _cache(method: str, *args):
    """One call to the shared cache, None when it cannot be reached (a speed-up, never a
    dependency: a selector does not import mos.services' twin of this)."""
    import logging

    from django.core.cache import cache

    try:
        return getattr(cache, method)(*args)
    except Exception as e:  # noqa: BLE001 — redis' ConnectionError/TimeoutError and kin
        logging.getLogger(__name__).warning("cache unavailable (%s on %s), reading afresh: %s",
                                            e.__class__.__name__, method, e)
        return None


def get_metric_run(workspace: Workspace, code):
    from .models import MetricRun

    return get_object_or_404(MetricRun, workspace=workspace, code=_code(code))


def kpi_list(workspace: Workspace) -> QuerySet:
    from .models import KPI

    return (KPI.objects.filter(workspace=workspace).select_related("channel", "segment",
                                                                    "engine__owner")
            .prefetch_related("targets"))


def get_kpi(workspace: Workspace, code):
    """The workspace's KPI, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(kpi_list(workspace), code=_code(code))


TREND_PERIODS = 8


def _kpi_periods(grain: str, last_day, n: int) -> list:
    """The n KPI periods (their first days) ending with the one that is complete by last_day:
    the week/month/quarter holding last_day (week: the last full week up to it)."""
    if grain == "week":
        end = period_start("week", last_day - timedelta(days=6))
        return [end - timedelta(weeks=i) for i in range(n - 1, -1, -1)]
    step = 3 if grain == "quarter" else 1
    end = period_start(grain, last_day)
    return [add_months(end, -step * i) for i in range(n - 1, -1, -1)]


def kpi_status(workspace: Workspace, period, version: tuple | None = None) -> list[dict]:
    """Each KPI of the workspace for `period` (a date, or anything with .start/.end months as
    the dashboard's Period): actual value, target (the period's KPITarget, else the KPI's),
    attainment, good/bad in the KPI's direction, guardrail breach, and the trend of the last 8
    periods as [(period start, value or None)]. Four queries whatever the number of KPIs;
    with the values' `version` (values_version) the values read are cached under it."""
    from .metrics.registry import REGISTRY
    from .metrics.rollup import roll_up
    from .models import MetricValue

    last_day = period if isinstance(period, date) else month_end(period.end)
    kpis = list(kpi_list(workspace))
    if not kpis:
        return []
    plans = {k.pk: _kpi_periods(k.grain, last_day, TREND_PERIODS) for k in kpis}
    first = min(p[0] for p in plans.values())
    keys = set()
    for k in kpis:  # a ratio KPI over several months is divided from its inputs' sums
        keys |= {k.metric_key, *_ratio_inputs(k.metric_key)}
    dims = {_kpi_dimension(k)[0] for k in kpis}  # no other dimension's rows are read
    whole = hasattr(period, "months")  # the dashboard's Period: every KPI over its months
    extra = [m for m in (period.months if whole else []) if m < first]

    def read() -> list[tuple]:
        records = list(MetricValue.objects.filter(
            workspace=workspace, key__in=keys, grain__in=["week", "month"],
            dimension__in=dims, period__gte=first, period__lte=last_day).values_list(
            "key", "grain", "period", "dimension", "dimension_value", "value"))
        if extra:  # a long custom range reaches before the trend's first period
            records += list(MetricValue.objects.filter(
                workspace=workspace, key__in=keys, grain="month", dimension__in=dims,
                period__gte=extra[0], period__lt=first).values_list(
                "key", "grain", "period", "dimension", "dimension_value", "value"))
        return records

    records = cached_read(workspace, version, "kpi-values",
                          (sorted(keys), sorted(dims), first, last_day, extra[:1]), read)
    # One dict lookup per (KPI, period): week and month values are stored as they are shown.
    stored = {(k, g, p, d, dv): v for k, g, p, d, dv, v in records if p >= first}
    # the monthly rows by (key, dimension), as roll_up reads them: a KPI's few rows each
    monthly: dict[tuple[str, str], list[tuple]] = {}
    for k, g, p, d, dv, v in records:
        if g == "month":
            monthly.setdefault((k, d), []).append((k, p, d, dv, v))

    def value_of(kpi, start) -> float | None:
        dim, dim_value = _kpi_dimension(kpi)
        if kpi.grain in ("week", "month"):
            v = stored.get((kpi.metric_key, kpi.grain, start, dim, dim_value))
            return None if v is None else float(v)
        months = [add_months(start, i) for i in range(3)]  # a quarter, from the KPI's own rows
        values = roll_up(monthly.get((kpi.metric_key, dim), []), {0: months}, [dim])[(0, dim)]
        v = values.get((kpi.metric_key, dim_value))
        return None if v is None else float(v)

    out = []
    for kpi in kpis:  # a handful of KPIs, over frames already in memory
        starts = plans[kpi.pk]
        trend = [(s, value_of(kpi, s)) for s in starts]
        current_start, actual = trend[-1]
        d = REGISTRY.get(kpi.metric_key)
        unit = d.unit if d else ""
        targets = {t.period: t.target for t in kpi.targets.all()}
        target = targets.get(current_start, kpi.target)
        target = float(target) if target is not None else None
        if whole and kpi.grain in ("month", "quarter"):
            actual, target = _kpi_over_period(kpi, period, monthly, targets,
                                              bool(d and d.additive))
        if unit == "count" and target is not None:
            target = float(round(target))  # a count target is a whole number (22, not 22.05)
        attainment = good = None
        status = ""
        if actual is not None and target is not None:
            if kpi.direction == kpi.Direction.UP:
                attainment = actual / target if target else None
                good = actual >= target
            else:
                attainment = target / actual if actual else None
                good = actual <= target
            status = target_status(actual, target, kpi.direction, unit)
        lo, hi = kpi.guardrail_min, kpi.guardrail_max
        breach = actual is not None and ((lo is not None and actual < float(lo))
                                         or (hi is not None and actual > float(hi)))
        out.append({
            "kpi": kpi, "key": kpi.metric_key, "label": d.label if d else kpi.metric_key,
            "unit": unit, "period": current_start, "status": status,
            "to_date": bool(whole and period.to_date and kpi.grain in ("month", "quarter")),
            "period_end": (current_start + timedelta(days=6) if kpi.grain == "week" else None),
            "actual": actual, "target": target, "attainment": attainment, "good": good,
            "guardrail_breach": breach, "trend": trend,
        })
    return out


def metric_definitions() -> list[dict]:
    """The registry grouped by family for the definitions page: one entry per metric (per-model
    keys collapse to their base), with its ratio's inputs named by their labels."""
    from .metrics.registry import REGISTRY

    families: dict[str, list] = {}
    seen = set()
    for key in sorted(REGISTRY):
        d = REGISTRY[key]
        base = key.rsplit(".", 1)[0] if d.model else key
        if base in seen:
            continue
        seen.add(base)
        ratio = None
        if d.ratio is not None:
            label = lambda k: REGISTRY[k].label if k in REGISTRY else k  # noqa: E731
            ratio = {"numerator": label(d.ratio.numerator),
                     "denominator": label(d.ratio.denominator), "scale": d.ratio.scale}
        families.setdefault(d.family, []).append(
            {"key": base, "label": d.label, "unit": d.unit, "direction": d.direction,
             "description": d.description, "additive": d.additive, "ratio": ratio,
             "per_model": bool(d.model)})
    return [{"family": f, "metrics": ms} for f, ms in sorted(families.items())]


ON_TARGET_TOLERANCE = 0.02  # within 2 % of the target reads "on target"


def target_status(actual: float, target: float, direction: str, unit: str = "") -> str:
    """"better", "on" or "worse" than target, in the metric's direction (for a cost, below
    the target is better). Counts compare as whole numbers."""
    if direction not in ("up", "down"):
        return ""
    if unit == "count":
        actual, target = round(actual), round(target)
    if abs(actual - target) <= ON_TARGET_TOLERANCE * abs(target):
        return "on"
    return "better" if (actual > target) == (direction == "up") else "worse"


def _ratio_inputs(key: str) -> set[str]:
    """The stored keys a ratio metric is divided from (empty for other metrics)."""
    from .metrics.registry import REGISTRY

    d = REGISTRY.get(key)
    if d is None or d.ratio is None:
        return set()
    return {k for k in (d.ratio.numerator, d.ratio.denominator, d.ratio.when_positive) if k}


def _kpi_dimension(kpi) -> tuple[str, str]:
    """The (dimension, dimension value) a KPI's values are stored under."""
    if kpi.scope == kpi.Scope.CHANNEL:
        return "channel", kpi.channel.key if kpi.channel_id else ""
    if kpi.scope == kpi.Scope.SEGMENT:
        return "segment", str(kpi.segment.code) if kpi.segment_id else ""
    return "", ""


def _kpi_over_period(kpi, period, monthly: dict, targets: dict, additive: bool):
    """(actual, target) of a month- or quarter-grain KPI over the dashboard period's months:
    the actual rolled up as the registry declares it (sums, recomputed ratios, last value)
    from the KPI's key and its ratio's inputs (`monthly`: monthly rows by (key, dimension));
    the target from each month's share — monthly targets summed for a sum and averaged
    otherwise, a quarter's target split in three for a sum — and for a period still running
    the last month's share of a sum pro-rated by the days passed."""
    from .metrics.rollup import roll_up

    dim, dim_value = _kpi_dimension(kpi)
    months = period.months
    rows = [r for key in sorted({kpi.metric_key, *_ratio_inputs(kpi.metric_key)})
            for r in monthly.get((key, dim), [])]
    actual = roll_up(rows, {0: months}, [dim])[(0, dim)].get((kpi.metric_key, dim_value))
    actual = None if actual is None else float(actual)
    shares = []
    for m in months:
        if kpi.grain == "quarter":
            t = targets.get(period_start("quarter", m), kpi.target)
            t = None if t is None else float(t) / (3 if additive else 1)
        else:
            t = targets.get(m, kpi.target)
            t = None if t is None else float(t)
        if t is None:
            return actual, None
        shares.append(t)
    if additive:
        shares[-1] *= period.elapsed_share
        return actual, sum(shares)
    return actual, sum(shares) / len(shares)


# --- growth engines ------------------------------------------------------------------------

def engine_list(workspace: Workspace, *, active_only: bool = False) -> QuerySet:
    from .models import GrowthEngine

    qs = GrowthEngine.objects.filter(workspace=workspace).select_related(
        "owner", "main_kpi").prefetch_related("channels")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "name", "id")


def get_engine(workspace: Workspace, code):
    """The workspace's growth engine, or 404 (also for other workspaces' codes)."""
    return get_object_or_404(engine_list(workspace), code=_code(code))


def engine_checkins(engine, limit: int = 20) -> list:
    return list(engine.checkins.select_related("author").order_by("-week", "-id")[:limit])


def engine_kpis(workspace: Workspace, engine, period) -> list[dict]:
    """The engine's KPIs (its main KPI and those scoped to it) with actual vs target and trend."""
    ids = set(engine.kpis.values_list("pk", flat=True))
    if engine.main_kpi_id:
        ids.add(engine.main_kpi_id)
    return [k for k in kpi_status(workspace, period) if k["kpi"].pk in ids]
