"""The dashboard's one-pass roll-up (rollup.roll_up: both periods, every dimension, plain
rows) gives the numbers the per-period pandas roll-up gave, by hand and on random frames; and
a run's values are read once per run, afresh once another run has finished."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timezone

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Channel
from engines import dashboard
from engines.metrics import rollup
from engines.models import MetricRun, MetricValue

M = {m: date(2026, m, 1) for m in range(1, 7)}
Q1, Q2 = [M[1], M[2], M[3]], [M[4], M[5], M[6]]


def test_a_quarter_and_the_quarter_before_by_hand():
    """Q2 spend 100 + 200 + 300 = 600 for 1 + 3 + 2 = 6 new customers: CAC 600 / 6 = 100,
    not the mean of the monthly CACs (100 + 66.7 + 150) / 3 = 105.6. Q1 spend 50 + 50 + 50 =
    150 for 0 + 1 + 2 = 3: CAC 50. Churn (a point-in-time rate) is June's 0.04 in Q2 and
    March's 0.06 in Q1. Per channel over Q2: google 400 / 4 = 100, seo 200 / 0 customers has
    no CAC. A campaign row is in no dimension asked for."""
    rows = []
    for m, spend, cust in ((1, 50, 0), (2, 50, 1), (3, 50, 2), (4, 100, 1), (5, 200, 3),
                           (6, 300, 2)):
        rows += [("spend", M[m], "", "", float(spend)), ("new_customers", M[m], "", "",
                                                         float(cust))]
        if cust:
            rows.append(("cac", M[m], "", "", spend / cust))
    rows += [("churn", M[3], "", "", 0.06), ("churn", M[5], "", "", 0.05),
             ("churn", M[6], "", "", 0.04), ("churn", M[2], "", "", 0.09)]
    rows += [("spend", M[4], "channel", "google", 150.0), ("spend", M[6], "channel", "google",
                                                           250.0),
             ("new_customers", M[5], "channel", "google", 4.0),
             ("spend", M[5], "channel", "seo", 200.0),
             ("new_customers", M[5], "channel", "seo", 0.0),
             ("spend", M[5], "campaign", "spring", 999.0)]
    got = rollup.roll_up(rows, {"cur": Q2, "prev": Q1}, ["", "channel"])
    cur, prev, chan = got[("cur", "")], got[("prev", "")], got[("cur", "channel")]
    assert (cur[("spend", "")], cur[("new_customers", "")]) == (600, 6)
    assert cur[("cac", "")] == pytest.approx(100.0)
    assert (prev[("spend", "")], prev[("new_customers", "")]) == (150, 3)
    assert prev[("cac", "")] == pytest.approx(50.0)
    assert (cur[("churn", "")], prev[("churn", "")]) == (0.04, 0.06)
    assert chan[("spend", "google")] == 400 and chan[("cac", "google")] == pytest.approx(100)
    assert chan[("spend", "seo")] == 200 and ("cac", "seo") not in chan
    assert not any(dv == "spring" for _k, dv in chan)
    assert ("cur", "campaign") not in got
    # the old path (a pandas aggregate per period and dimension) gives the same numbers
    df = pd.DataFrame.from_records(rows, columns=["key", "period", "dimension",
                                                  "dimension_value", "value"])
    for (name, dim), months in ((("cur", ""), Q2), (("prev", ""), Q1),
                                (("cur", "channel"), Q2)):
        assert rollup.lookup(rollup._aggregate_pandas(df, months, dim, {})) == pytest.approx(
            got[(name, dim)])


KEYS = ["spend", "clicks", "impressions", "new_customers", "revenue", "orders", "leads",
        "paying_customers", "arpa", "ltv_subscription", "cohort_size", "cac", "roas", "ctr",
        "aov", "cpl", "ltv_cac"]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or math.isclose(a[k], b[k], rel_tol=1e-12)
        for k in a)


@pytest.mark.parametrize("seed", range(100))
def test_one_pass_equals_a_pandas_aggregate_per_period_and_dimension(seed):
    rng = random.Random(seed)
    rows = {}
    for _ in range(rng.randint(1, 200)):
        value = rng.choice([0.0, 1.0, 2.5, 10.0, 120.0, float("nan"), rng.random() * 50])
        slot = (rng.choice(KEYS), rng.choice(list(M.values())),
                rng.choice(["", "channel", "stage"]), rng.choice(["", "a", "b"]))
        rows[slot] = value  # one value per (key, month, dimension value), as stored
    rows = [(*slot, v) for slot, v in rows.items()]
    periods = {"cur": rng.choice([Q2, [M[6]], [M[2], M[3], M[4], M[5]]]), "prev": Q1}
    aliases = rng.choice([{}, {"": {"ltv": "ltv_subscription"}}])
    got = rollup.roll_up(rows, periods, ["", "channel", "stage"], aliases)
    df = pd.DataFrame.from_records(rows, columns=["key", "period", "dimension",
                                                  "dimension_value", "value"])
    for name, months in periods.items():
        for dim in ("", "channel", "stage"):
            old = rollup.lookup(rollup._aggregate_pandas(df, months, dim, aliases.get(dim, {})))
            assert _same(got[(name, dim)], old), (seed, name, dim)


def _mv(ws, key, period, value, dimension="", dimension_value=""):
    MetricValue.objects.update_or_create(
        workspace=ws, key=key, grain="month", period=period, dimension=dimension,
        dimension_value=dimension_value, defaults={"value": value})


def _run(ws, status=MetricRun.Status.SUCCEEDED, minute=0):
    when = datetime(2026, 11, 1, 3, minute, tzinfo=timezone.utc)
    return MetricRun.objects.create(workspace=ws, trigger="manual", status=status,
                                    created_at=when, started_at=when, finished_at=when)


def _value_reads(fn) -> tuple:
    with CaptureQueriesContext(connection) as cq:
        out = fn()
    return out, sum('"engines_metricvalue"' in q["sql"] and '"value"' in q["sql"]
                    for q in cq.captured_queries)


@pytest.mark.django_db
def test_a_runs_values_are_read_once_and_afresh_after_the_next_run(workspace):
    Channel.objects.create(workspace=workspace, key="google", name="Google")
    for m, spend in ((4, 100), (5, 200), (6, 300)):
        _mv(workspace, "spend", M[m], spend)
        _mv(workspace, "new_customers", M[m], 2)
    _run(workspace, minute=1)
    params = {"period": "quarter", "quarter": "2026-Q2"}
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, params))
    head = {h["key"]: h["value"] for h in data["headline"]}
    assert (head["spend"], head["cac"], reads) == (600, 100, 1)  # 600 / 6
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, params))
    assert reads == 0 and {h["key"]: h["value"] for h in data["headline"]}["spend"] == 600
    # a run starts: values are being replaced, so they are read afresh, and not kept
    running = _run(workspace, MetricRun.Status.RUNNING, minute=2)
    _mv(workspace, "spend", M[6], 900)
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, params))
    assert reads == 1 and {h["key"]: h["value"] for h in data["headline"]}["spend"] == 1200
    # it finishes: the new values (spend 1,200, CAC 200) are read once more, then kept
    running.status = MetricRun.Status.SUCCEEDED
    running.save()
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, params))
    head = {h["key"]: h["value"] for h in data["headline"]}
    assert (head["spend"], head["cac"], reads) == (1200, 200, 1)
    assert _value_reads(lambda: dashboard.dashboard_data(workspace, params))[1] == 0


@pytest.mark.django_db
def test_values_without_any_run_are_read_every_time(workspace):
    _mv(workspace, "revenue", M[6], 10)
    params = {"month": "2026-06"}
    assert _value_reads(lambda: dashboard.dashboard_data(workspace, params))[1] == 1
    _mv(workspace, "revenue", M[6], 25)
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, params))
    assert reads == 1 and {h["key"]: h["value"] for h in data["headline"]}["revenue"] == 25


@pytest.mark.django_db
def test_a_cache_that_cannot_be_reached_is_read_around(workspace, monkeypatch):
    """Redis down: the dashboard reads the values itself instead of answering 500."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    _mv(workspace, "revenue", M[6], 40)
    _run(workspace)
    data, reads = _value_reads(lambda: dashboard.dashboard_data(workspace, {"month": "2026-06"}))
    assert reads == 1 and {h["key"]: h["value"] for h in data["headline"]}["revenue"] == 40
