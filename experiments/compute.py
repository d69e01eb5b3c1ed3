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
daily rows the analysis sums. Loading is SQL grouped per contact; the maths is pandas over
whole columns (`daily_results` is pure and tested without a database)."""

from __future__ import annotations

import datetime as dt
import time

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
    inputs = load_inputs(workspace, experiments, now=now)
    loaded = time.perf_counter()
    df = daily_results(inputs["exposures"], inputs["events"], inputs["orders"],
                       inputs["metrics"], tz=workspace.timezone or "UTC")
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
