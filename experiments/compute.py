"""The nightly computation of experiment results from MOS's own data.

Exposure events are GrowthBook's convention: an event named `experiment_viewed` with the
properties `experiment_id` (the experiment's key) and `variation_id` (the variant's key). A
contact belongs to the variant of their *first* exposure; a contact seen in two variants of
the same experiment is dropped (their outcome says nothing about either arm). Each metric is
measured per contact over the events (by name) or orders that happened at or after that first
exposure:

- proportion: 1 if the contact has at least one such event / non-refund order, else 0;
- mean: the number of such events, or for "order" the order amount (refunds subtract).

The result is one row per (experiment, variant, metric, day of first exposure in the
workspace's time zone): n contacts, the sum and the sum of squares of their values — the
daily rows the analysis sums. The nightly run computes them in the database, in one query
over every running experiment of a workspace (`daily_results_sql`: first exposures, the
outcome join and the per-day sums in SQL; only the daily rows come back). `daily_results` is
the same maths in pandas over whole columns, pure and tested without a database; the tests
check that both give the same rows."""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Min
from django.db.models.fields.json import KT
from django.utils import timezone

from mos.models import Workspace

from .models import Experiment, ExperimentResult, Variant

EXPOSURE_EVENT = "experiment_viewed"
ORDER = "order"
ACTIVE = (Experiment.Status.RUNNING, Experiment.Status.ANALYSING)


CUPED_LOOKBACK_DAYS = 28  # the pre-exposure window of a contact's CUPED covariate


def _unit_values(units: pd.DataFrame, total, hits, positive) -> np.ndarray:
    """A contact's value of a metric from its outcomes in a window (NaN: nothing happened)."""
    is_prop = units["kind"] == "proportion"
    is_order = units["event"] == ORDER
    hits = hits.fillna(0)
    prop_value = np.where(is_order, positive.fillna(False).astype(bool), hits > 0).astype(float)
    mean_value = np.where(is_order, total.fillna(0.0), hits).astype(float)
    return np.where(is_prop, prop_value, mean_value)


def daily_results(exposures: pd.DataFrame, events: pd.DataFrame, orders: pd.DataFrame,
                  metrics: pd.DataFrame, tz: str = "UTC",
                  lookback_days: int = CUPED_LOOKBACK_DAYS) -> pd.DataFrame:
    """Pure: per-contact first exposures × outcomes → daily per-variant n / sum / sum_sq,
    and the CUPED covariate's sums: the same metric measured over the `lookback_days` before
    the contact's first exposure (pre_sum, pre_sum_sq, cross_sum = Σ pre × post).

    exposures: experiment, variant, contact, first_at (one row per contact and variant seen)
    events: contact, name, at · orders: contact, at, amount (negative for refunds)
    metrics: experiment, metric, kind, event
    → experiment, variant, metric, date, n, sum, sum_sq, pre_sum, pre_sum_sq, cross_sum"""
    cols = ["experiment", "variant", "metric", "date", "n", "sum", "sum_sq", "pre_sum",
            "pre_sum_sq", "cross_sum"]
    if exposures.empty or metrics.empty:
        return pd.DataFrame(columns=cols)
    # a contact seen in more than one variant of an experiment is dropped
    arms = exposures.groupby(["experiment", "contact"])["variant"].transform("nunique")
    exp = exposures[arms == 1].groupby(["experiment", "contact", "variant"], as_index=False)[
        "first_at"].min()
    units = exp.merge(metrics, on="experiment")  # one row per contact × metric
    lookback = pd.Timedelta(days=lookback_days)
    parts = []
    for source_name, frame in (("event", events), ("order", orders)):
        if source_name == "event":
            want = units[units["event"] != ORDER]
            if want.empty or frame.empty:
                continue
            joined = want.merge(frame.rename(columns={"name": "event"}), on=["contact",
                                                                               "event"])
            joined["value"] = 1.0
        else:
            want = units[units["event"] == ORDER]
            if want.empty or frame.empty:
                continue
            joined = want.merge(frame, on="contact")
            joined["value"] = joined["amount"].astype(float)
        at = pd.to_datetime(joined["at"], utc=True)
        first = pd.to_datetime(joined["first_at"], utc=True)
        joined["pre"] = at < first
        joined = joined[at >= first - lookback]
        if joined.empty:
            continue
        joined["positive"] = joined["value"] > 0
        agg = joined.groupby(["experiment", "contact", "metric", "pre"], as_index=False).agg(
            total=("value", "sum"), hits=("value", "size"), positive=("positive", "max"))
        parts.append(agg)
    keys = ["experiment", "contact", "metric"]
    outcome_cols = ["total", "hits", "positive"]
    if parts:
        outcome = pd.concat(parts, ignore_index=True)
        post = outcome[~outcome["pre"]].drop(columns="pre")
        pre = outcome[outcome["pre"]].drop(columns="pre").rename(
            columns={c: f"pre_{c}" for c in outcome_cols})
        units = units.merge(post, on=keys, how="left").merge(pre, on=keys, how="left")
    else:
        units = units.assign(**{c: np.nan for c in outcome_cols},
                             **{f"pre_{c}": np.nan for c in outcome_cols})
    units["value"] = _unit_values(units, units["total"], units["hits"], units["positive"])
    units["pre_value"] = _unit_values(units, units["pre_total"], units["pre_hits"],
                                      units["pre_positive"])
    units["value_sq"] = units["value"] ** 2
    units["pre_sq"] = units["pre_value"] ** 2
    units["cross"] = units["pre_value"] * units["value"]
    first = pd.to_datetime(units["first_at"], utc=True).dt.tz_convert(tz)
    units["date"] = first.dt.date
    out = units.groupby(["experiment", "variant", "metric", "date"], as_index=False).agg(
        n=("contact", "size"), sum=("value", "sum"), sum_sq=("value_sq", "sum"),
        pre_sum=("pre_value", "sum"), pre_sum_sq=("pre_sq", "sum"), cross_sum=("cross", "sum"))
    return out[cols]


# --- loading ---------------------------------------------------------------------------------

def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def load_inputs(workspace: Workspace, experiments: list[Experiment], now=None) -> dict:
    """The frames daily_results needs, grouped in SQL (one row per contact and arm)."""
    from crm.models import Event, Order

    now = now or timezone.now()
    by_key = {e.key: e for e in experiments}
    since = min((e.started_at or now) for e in experiments)
    since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    pre_since = since - dt.timedelta(days=CUPED_LOOKBACK_DAYS)  # the CUPED covariate's window
    exposed = (Event.objects.filter(workspace=workspace, name=EXPOSURE_EVENT,
                                    contact__isnull=False, occurred_at__gte=since,
                                    occurred_at__lte=now)
               .annotate(exp_key=KT("properties__experiment_id"),
                         var_key=KT("properties__variation_id")))
    if connection.vendor == "postgresql":
        # text IN (…): PostgreSQL hashes a long list; the jsonb form compares one by one
        exposed = exposed.filter(exp_key__in=list(by_key))
    else:  # SQLite cannot compare the extracted text with IN; the JSON lookup can
        exposed = exposed.filter(properties__experiment_id__in=list(by_key))
    exposures = _frame(
        exposed.order_by()
        .values_list("exp_key", "var_key", "contact_id").annotate(first_at=Min("occurred_at")),
        ["experiment", "variant", "contact", "first_at"])
    metric_rows = [(e.key, m["key"], m["kind"], m["event"]) for e in experiments
                   for m in e.metrics]
    metrics = pd.DataFrame(metric_rows, columns=["experiment", "metric", "kind", "event"])
    names = sorted({m[3] for m in metric_rows if m[3] != ORDER})
    events = pd.DataFrame(columns=["contact", "name", "at"])
    orders = pd.DataFrame(columns=["contact", "at", "amount"])
    if not exposures.empty:
        if names:
            # each contact's conversion events after the earliest exposure window start
            events = _frame(Event.objects.filter(
                workspace=workspace, name__in=names, contact__isnull=False,
                occurred_at__gte=pre_since, occurred_at__lte=now,
                contact_id__in=Event.objects.filter(
                    workspace=workspace, name=EXPOSURE_EVENT, occurred_at__gte=since,
                    contact__isnull=False).values("contact_id"))
                .order_by().values_list("contact_id", "name", "occurred_at"),
                ["contact", "name", "at"])
        if (metrics["event"] == ORDER).any():
            orders = _frame(Order.objects.filter(
                workspace=workspace, occurred_at__gte=pre_since, occurred_at__lte=now,
                status__in=Order.COUNTED_STATUSES,
                contact_id__in=Event.objects.filter(
                    workspace=workspace, name=EXPOSURE_EVENT, occurred_at__gte=since,
                    contact__isnull=False).values("contact_id"))
                .order_by().values_list("contact_id", "occurred_at", "amount", "kind"),
                ["contact", "at", "amount", "kind"])
            orders["amount"] = orders["amount"].astype(float)
            orders.loc[orders["kind"] == Order.Kind.REFUND, "amount"] *= -1
            orders = orders.drop(columns="kind")
    # exposures before an experiment started do not count
    if not exposures.empty:
        starts = pd.Series({k: e.started_at for k, e in by_key.items() if e.started_at})
        start = pd.to_datetime(exposures["experiment"].map(starts), utc=True)
        first = pd.to_datetime(exposures["first_at"], utc=True)
        exposures = exposures[start.isna() | (first >= start.dt.floor("D"))]
    return {"exposures": exposures, "events": events, "orders": orders, "metrics": metrics}


# --- the same in SQL: one query for every experiment of a workspace -------------------------

def _json_rows(alias: str, columns: list[tuple[str, str]]) -> str:
    """A JSON array parameter as a table (PostgreSQL json_to_recordset, SQLite json_each)."""
    if connection.vendor == "postgresql":
        spec = ", ".join(f"{c} {t}" for c, t in columns)
        return f"SELECT * FROM json_to_recordset(%s::json) AS {alias}({spec})"
    picks = ", ".join(f"json_extract(value, '$.{c}') AS {c}" for c, _t in columns)
    return f"SELECT {picks} FROM json_each(%s)"


def _sql_time(value):
    """A datetime as the backend stores it (SQLite: naive UTC text, compared as text)."""
    return connection.ops.adapt_datetimefield_value(value)


def daily_results_sql(workspace: Workspace, experiments: list[Experiment], now=None,
                      lookback_days: int = CUPED_LOOKBACK_DAYS) -> pd.DataFrame:
    """`daily_results` of `load_inputs`, computed in the database in one query over all the
    experiments: each contact's first exposure per experiment (exposures before the
    experiment's start day and contacts seen in two arms dropped), its conversion events and
    orders after it (and in the CUPED window before it) counted per contact, and the values
    summed per experiment × variant × metric × local day of first exposure. Only the daily
    rows come back to Python. PostgreSQL and SQLite."""
    from crm.models import Event, Order

    cols = ["experiment", "variant", "metric", "date", "n", "sum", "sum_sq", "pre_sum",
            "pre_sum_sq", "cross_sum"]
    now = now or timezone.now()
    metric_rows = [{"exp_key": e.key, "metric": m["key"], "kind": m["kind"],
                    "event": m["event"]} for e in experiments for m in e.metrics]
    if not experiments or not metric_rows:
        return pd.DataFrame(columns=cols)
    since = min((e.started_at or now) for e in experiments)
    since = since.replace(hour=0, minute=0, second=0, microsecond=0)
    pg = connection.vendor == "postgresql"

    def start_of(e):
        if not e.started_at:
            return None
        day = e.started_at.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        return day.isoformat() if pg else _sql_time(day)

    keys = [{"key": e.key, "start": start_of(e)} for e in experiments]
    tz = workspace.timezone or "UTC"
    params: list = [json.dumps(keys), json.dumps(metric_rows)]
    if pg:
        def jx(col, key):
            return f"{col}->>'{key}'"
        window = f"um.first_at - interval '{int(lookback_days)} days'"
        day_of = "CAST((v.first_at AT TIME ZONE %s) AS date)"
        days_cte, days_join = "", ""
    else:
        def jx(col, key):
            return f"json_extract({col}, '$.{key}')"
        # datetime() drops the fraction of a second; the stored text keeps it after char 19
        window = (f"datetime(um.first_at, '-{int(lookback_days)} days') "
                  "|| substr(um.first_at, 20)")
        # SQLite has no time zones: each local day's [start, end) in stored UTC text
        zone = ZoneInfo(tz)
        day = since.astimezone(zone).date() - dt.timedelta(days=1)
        last = now.astimezone(zone).date() + dt.timedelta(days=1)
        days = []
        while day <= last:
            lo = dt.datetime.combine(day, dt.time(), zone)
            hi = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
            days.append({"d": day.isoformat(), "lo": _sql_time(lo), "hi": _sql_time(hi)})
            day += dt.timedelta(days=1)
        params.append(json.dumps(days))
        days_cte = ", days AS (" + _json_rows("d", [("d", "text"), ("lo", "text"),
                                                    ("hi", "text")]) + ")"
        days_join = "JOIN days ON v.first_at >= days.lo AND v.first_at < days.hi"
        day_of = "days.d"
    event_t, order_t = Event._meta.db_table, Order._meta.db_table
    counted = ", ".join("%s" for _ in Order.COUNTED_STATUSES)
    value = """CASE WHEN a.kind = 'proportion' THEN
                 CASE WHEN a.event = '{o}' THEN a.{p}positive
                      WHEN a.{p}hits > 0 THEN 1 ELSE 0 END
               ELSE CASE WHEN a.event = '{o}' THEN a.{p}total ELSE a.{p}hits END END"""
    post_value = value.format(o=ORDER, p="")
    pre_value = value.format(o=ORDER, p="pre_")
    signed = f"CASE WHEN o.kind = '{Order.Kind.REFUND}' THEN -o.amount ELSE o.amount END"
    real = "DOUBLE PRECISION" if pg else "REAL"
    sql = f"""
WITH keys AS ({_json_rows("k", [("key", "text"), ("start", "timestamptz" if pg else "text")])}),
metrics AS ({_json_rows("m", [("exp_key", "text"), ("metric", "text"), ("kind", "text"),
                              ("event", "text")])}){days_cte},
seen AS (
  SELECT {jx("e.properties", "experiment_id")} AS exp_key,
         {jx("e.properties", "variation_id")} AS var_key,
         e.contact_id AS contact, MIN(e.occurred_at) AS first_at
  FROM {event_t} e
  WHERE e.workspace_id = %s AND e.name = %s AND e.contact_id IS NOT NULL
    AND e.occurred_at >= %s AND e.occurred_at <= %s
    AND {jx("e.properties", "experiment_id")} IN (SELECT key FROM keys)
  GROUP BY 1, 2, 3
),
units AS (
  SELECT s.exp_key, MIN(s.var_key) AS var_key, s.contact, MIN(s.first_at) AS first_at
  FROM seen s JOIN keys k ON k.key = s.exp_key
  WHERE s.var_key IS NOT NULL AND (k.start IS NULL OR s.first_at >= k.start)
  GROUP BY s.exp_key, s.contact
  HAVING COUNT(*) = 1
),
um AS (
  SELECT u.exp_key, u.var_key, u.contact, u.first_at, m.metric, m.kind, m.event
  FROM units u JOIN metrics m ON m.exp_key = u.exp_key
),
a AS (
  -- one row per contact × metric: its outcome events (or orders) after and in the CUPED
  -- window before its first exposure, counted in one LEFT JOIN and one grouping (a metric
  -- reads either events or orders, so the two joins never multiply each other's rows)
  SELECT um.exp_key, um.var_key, um.contact, um.metric, um.kind, um.event, um.first_at,
         SUM(CASE WHEN g.occurred_at >= um.first_at THEN 1 ELSE 0 END) AS hits,
         SUM(CASE WHEN g.occurred_at < um.first_at THEN 1 ELSE 0 END) AS pre_hits,
         SUM(CASE WHEN o.occurred_at >= um.first_at THEN {signed} ELSE 0 END) AS total,
         SUM(CASE WHEN o.occurred_at < um.first_at THEN {signed} ELSE 0 END) AS pre_total,
         MAX(CASE WHEN o.occurred_at >= um.first_at AND {signed} > 0 THEN 1 ELSE 0 END)
           AS positive,
         MAX(CASE WHEN o.occurred_at < um.first_at AND {signed} > 0 THEN 1 ELSE 0 END)
           AS pre_positive
  FROM um
  LEFT JOIN {event_t} g ON um.event <> '{ORDER}' AND g.contact_id = um.contact
    AND g.name = um.event AND g.workspace_id = %s
    AND g.name IN (SELECT m2.event FROM metrics m2 WHERE m2.event <> '{ORDER}')
    AND g.occurred_at >= {window} AND g.occurred_at <= %s
  LEFT JOIN {order_t} o ON um.event = '{ORDER}' AND o.contact_id = um.contact
    AND o.workspace_id = %s AND o.status IN ({counted})
    AND o.occurred_at >= {window} AND o.occurred_at <= %s
  GROUP BY um.exp_key, um.var_key, um.contact, um.metric, um.kind, um.event, um.first_at
),
v AS (
  SELECT a.exp_key, a.var_key, a.metric, a.first_at,
         CAST({post_value} AS {real}) AS y, CAST({pre_value} AS {real}) AS x
  FROM a
)
SELECT v.exp_key, v.var_key, v.metric, {day_of} AS day, COUNT(*), SUM(v.y), SUM(v.y * v.y),
       SUM(v.x), SUM(v.x * v.x), SUM(v.x * v.y)
FROM v {days_join}
GROUP BY v.exp_key, v.var_key, v.metric, {day_of}
"""
    params += [workspace.pk, EXPOSURE_EVENT, _sql_time(since), _sql_time(now),
               workspace.pk, _sql_time(now),
               workspace.pk, *Order.COUNTED_STATUSES, _sql_time(now)]
    if pg:
        params += [tz, tz]
    with transaction.atomic(), connection.cursor() as cur:
        if pg:
            # the CTEs' row counts are unknown to the planner (it guesses a few dozen units),
            # and a nested loop per contact over 10M events is the slow plan: hash joins
            cur.execute("SET LOCAL enable_nestloop = off")
            # the same misestimate makes it sort the ~10M contact × metric rows (several
            # times) for merge joins and grouping; hashing them is faster (measured at 10M)
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("SET LOCAL work_mem = '256MB'")  # hash, not sort, the groupings
        cur.execute(sql, params)
        rows = cur.fetchall()
    df = pd.DataFrame.from_records(rows, columns=cols)
    if not df.empty and not pg:
        df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


@transaction.atomic
def compute_workspace_results(*, workspace: Workspace, now=None,
                              experiments: list[Experiment] | None = None) -> dict:
    """Recompute the `computed` daily results of the workspace's running and analysing
    experiments (or of `experiments`) from its events and orders; replaces the previous
    computed rows in one transaction (running it twice gives the same rows)."""
    started = time.perf_counter()
    if experiments is None:
        experiments = Experiment.objects.filter(workspace=workspace, status__in=ACTIVE)
    experiments = [e for e in experiments if e.primary_metric and e.workspace_id == workspace.pk]
    if not experiments:
        return {"experiments": 0, "rows": 0, "seconds": 0.0}
    df = daily_results_sql(workspace, experiments, now=now)
    loaded = time.perf_counter()
    variant_ids = {(v.experiment.key, v.key): (v.experiment_id, v.pk) for v in
                   Variant.objects.filter(experiment__in=experiments).select_related(
                       "experiment").only("key", "experiment__key")}
    stamp = timezone.now()
    rows = []
    for r in df.itertuples(index=False):  # one row per experiment × variant × metric × day
        ids = variant_ids.get((r.experiment, r.variant))
        if ids is None:  # an exposure to a variant the experiment does not have
            continue
        rows.append(ExperimentResult(
            workspace=workspace, experiment_id=ids[0], variant_id=ids[1], metric=r.metric,
            date=r.date, n=int(r.n), sum=float(r.sum), sum_sq=float(r.sum_sq),
            pre_sum=float(r.pre_sum), pre_sum_sq=float(r.pre_sum_sq),
            cross_sum=float(r.cross_sum),
            source=ExperimentResult.Source.COMPUTED, updated_at=stamp))
    ExperimentResult.objects.filter(experiment__in=experiments,
                                    source=ExperimentResult.Source.COMPUTED).delete()
    ExperimentResult.objects.bulk_create(
        rows, batch_size=5000, update_conflicts=True,
        unique_fields=["variant", "metric", "date"],
        update_fields=["n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum", "source",
                       "updated_at"])
    return {"experiments": len(experiments), "rows": len(rows),
            "seconds": round(time.perf_counter() - started, 3),
            "load_seconds": round(loaded - started, 3)}
