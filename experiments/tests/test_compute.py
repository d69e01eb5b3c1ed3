"""The nightly computation on a small hand-built event set."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.utils import timezone

from crm.models import Contact, Event, Order
from experiments import services
from experiments.compute import compute_workspace_results, daily_results
from experiments.models import Experiment, ExperimentResult

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _at(days=0, hours=0):
    return T0 + dt.timedelta(days=days, hours=hours)


def test_daily_results_by_hand():
    exposures = pd.DataFrame([
        ("e", "control", 1, _at(0)), ("e", "control", 1, _at(1)),  # one contact, seen twice
        ("e", "control", 2, _at(0)),
        ("e", "b", 3, _at(1)),
        ("e", "b", 4, _at(1)), ("e", "control", 4, _at(1, 2)),  # both arms: dropped
    ], columns=["experiment", "variant", "contact", "first_at"])
    events = pd.DataFrame([
        (1, "signup", _at(0, 1)), (1, "signup", _at(2)),  # converts twice
        (2, "signup", _at(-1)),  # before exposure: does not count
        (3, "signup", _at(1, 1)),
        (4, "signup", _at(2)),
    ], columns=["contact", "name", "at"])
    orders = pd.DataFrame([(3, _at(3), 30.0), (3, _at(4), -10.0), (2, _at(2), 5.0)],
                          columns=["contact", "at", "amount"])
    metrics = pd.DataFrame([("e", "signup", "proportion", "signup"),
                            ("e", "signups", "mean", "signup"),
                            ("e", "revenue", "mean", "order")],
                           columns=["experiment", "metric", "kind", "event"])
    df = daily_results(exposures, events, orders, metrics).set_index(
        ["variant", "metric", "date"]).sort_index()
    d0, d1 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
    # control: contacts 1 and 2, both first seen on day 0; 1 converted (twice), 2 did not
    assert df.loc[("control", "signup", d0)][["n", "sum", "sum_sq"]].tolist() == [2, 1, 1]
    assert df.loc[("control", "signups", d0)][["n", "sum", "sum_sq"]].tolist() == [2, 2, 4]
    assert df.loc[("control", "revenue", d0)][["n", "sum", "sum_sq"]].tolist() == [2, 5, 25]
    # b: contact 3 on day 1 converted once, revenue 30 − 10 refund
    assert df.loc[("b", "signup", d1)][["n", "sum", "sum_sq"]].tolist() == [1, 1, 1]
    assert df.loc[("b", "revenue", d1)][["n", "sum", "sum_sq"]].tolist() == [1, 20, 400]
    assert ("control", "signup", d1) not in df.index  # contact 4 dropped


def test_compute_workspace_results_writes_computed_rows_idempotently(workspace, owner_actor):
    exp = services.experiment_create(
        actor=owner_actor, title="Shorter form", key="short-form",
        primary_metric={"key": "signup", "kind": "proportion", "event": "signup"})
    Experiment.objects.filter(pk=exp.pk).update(status="running", started_at=_at(-1))
    contacts = [Contact.objects.create(workspace=workspace, email=f"c{i}@x.test")
                for i in range(5)]
    arms = ["control", "control", "treatment", "treatment", "treatment"]
    for c, arm in zip(contacts, arms):
        Event.objects.create(workspace=workspace, contact=c, name="experiment_viewed",
                             occurred_at=_at(0),
                             properties={"experiment_id": "short-form", "variation_id": arm})
    for c in (contacts[0], contacts[2], contacts[3]):
        Event.objects.create(workspace=workspace, contact=c, name="signup", occurred_at=_at(1))
    # another experiment's exposure and an anonymous one are ignored
    Event.objects.create(workspace=workspace, contact=contacts[1], name="experiment_viewed",
                         occurred_at=_at(0), properties={"experiment_id": "other",
                                                         "variation_id": "control"})
    now = _at(5)
    for _ in range(2):
        out = compute_workspace_results(workspace=workspace, now=now)
        assert out["rows"] == 2
    rows = {r.variant.key: (r.n, r.sum, r.sum_sq, r.source) for r in
            ExperimentResult.objects.filter(experiment=exp).select_related("variant")}
    assert rows == {"control": (2, 1.0, 1.0, "computed"),
                    "treatment": (3, 2.0, 2.0, "computed")}


# --- CUPED: each contact's value of the metric over the days before first exposure ------------

def test_daily_results_cuped_covariate_by_hand():
    exposures = pd.DataFrame([("e", "control", 1, _at(0)), ("e", "control", 2, _at(0)),
                              ("e", "b", 3, _at(0))],
                             columns=["experiment", "variant", "contact", "first_at"])
    events = pd.DataFrame([
        (1, "signup", _at(1)), (1, "signup", _at(2)),  # post 2, pre 0
        (2, "signup", _at(-1)), (2, "signup", _at(-27)),  # pre 2 (both inside 28 days)
        (2, "signup", _at(-29)),  # outside the pre window
        (2, "signup", _at(3)),  # post 1
        (3, "signup", _at(-2)),  # pre 1, post 0
    ], columns=["contact", "name", "at"])
    orders = pd.DataFrame([(3, _at(-5), 8.0), (3, _at(-40), 100.0), (3, _at(1), 20.0)],
                          columns=["contact", "at", "amount"])
    metrics = pd.DataFrame([("e", "signups", "mean", "signup"),
                            ("e", "revenue", "mean", "order")],
                           columns=["experiment", "metric", "kind", "event"])
    df = daily_results(exposures, events, orders, metrics).set_index(
        ["variant", "metric"]).sort_index()
    cols = ["n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum"]
    # control: (pre, post) = (0, 2) and (2, 1): Σy 3, Σy² 5, Σx 2, Σx² 4, Σxy 2
    assert df.loc[("control", "signups")][cols].tolist() == [2, 3, 5, 2, 4, 2]
    # b: (1, 0)
    assert df.loc[("b", "signups")][cols].tolist() == [1, 0, 0, 1, 1, 0]
    # revenue of contact 3: pre 8 (the order 40 days back is outside), post 20
    assert df.loc[("b", "revenue")][cols].tolist() == [1, 20, 400, 8, 64, 160]
    assert df.loc[("control", "revenue")][cols].tolist() == [2, 0, 0, 0, 0, 0]


def test_compute_stores_the_covariate_and_the_page_shows_the_variance_reduction(
        workspace, owner_actor, owner_client):
    """Hand-made: control (pre, post) = (0,1) (2,3) (4,5); treatment (0,2) (2,4) (4,7).
    Pooled: cov(x, y) = 18/5, var(x) = 16/5 → theta = 1.125; var(y) = 70/15; var(y') =
    var(y) + theta² var(x) − 2 theta cov = 0.61667 → variance reduced by 86.8 %. Both arms have
    pre mean 2, so the adjusted means stay 3 and 13/3: relative effect 4/9."""
    import numpy as np

    from experiments import stats
    from experiments.analysis import experiment_analysis

    exp = services.experiment_create(
        actor=owner_actor, title="Onboarding mail", key="onboard",
        primary_metric={"key": "signups", "kind": "mean", "event": "signup"})
    Experiment.objects.filter(pk=exp.pk).update(status="running", started_at=_at(-1))
    pairs = {"control": [(0, 1), (2, 3), (4, 5)], "treatment": [(0, 2), (2, 4), (4, 7)]}
    i = 0
    for arm, units in pairs.items():
        for pre, post in units:
            c = Contact.objects.create(workspace=workspace, email=f"u{i}@x.test")
            i += 1
            Event.objects.create(workspace=workspace, contact=c, name="experiment_viewed",
                                 occurred_at=_at(0), properties={"experiment_id": "onboard",
                                                                 "variation_id": arm})
            for k in range(pre):
                Event.objects.create(workspace=workspace, contact=c, name="signup",
                                     occurred_at=_at(-3 - k))
            for k in range(post):
                Event.objects.create(workspace=workspace, contact=c, name="signup",
                                     occurred_at=_at(1, k))
    compute_workspace_results(workspace=workspace, now=_at(5))
    rows = {r.variant.key: (r.n, r.sum, r.sum_sq, r.pre_sum, r.pre_sum_sq, r.cross_sum)
            for r in ExperimentResult.objects.filter(experiment=exp).select_related("variant")}
    assert rows == {"control": (3, 9.0, 35.0, 6.0, 20.0, 26.0),
                    "treatment": (3, 13.0, 69.0, 6.0, 20.0, 36.0)}
    exp.refresh_from_db()
    a = experiment_analysis(exp)
    block = a["metrics"][0]
    assert block["cuped"]["theta"] == pytest.approx(1.125)
    assert block["cuped"]["variance_reduction"] == pytest.approx(1 - 0.61666667 / (70 / 15))
    row = block["rows"][0]
    assert row["effect"] == pytest.approx(4 / 9)
    # the same as a direct regression adjustment of each user's value
    y_c = np.array([1, 3, 5]) - 1.125 * (np.array([0, 2, 4]) - 2)
    y_t = np.array([2, 4, 7]) - 1.125 * (np.array([0, 2, 4]) - 2)
    direct = stats.frequentist(stats.mean_stats(y_c), stats.mean_stats(y_t), alpha=exp.alpha,
                               relative=True)
    assert row["p_value"] == pytest.approx(direct.p_value)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((direct.ci_low, direct.ci_high))
    page = owner_client.get(f"/w/{workspace.slug}/experiments/{exp.code}/").content.decode()
    assert "variance reduced by 87 %" in page


def test_batched_analysis_equals_one_at_a_time(workspace, owner_actor,
                                                django_assert_max_num_queries):
    """analyse_experiments (the stored totals of all the experiments in two queries, the
    workspace's correction once) gives what experiment_analysis gives for each: the hand-made
    CUPED experiment above, one with typed-in totals and no covariate, one without results."""
    from experiments.analysis import analyse_experiments, experiment_analysis
    from experiments.models import Variant

    exp = services.experiment_create(
        actor=owner_actor, title="Onboarding mail", key="onboard",
        primary_metric={"key": "signups", "kind": "mean", "event": "signup"})
    typed = services.experiment_create(
        actor=owner_actor, title="Pricing page", key="pricing",
        primary_metric={"key": "buy", "kind": "proportion", "event": "buy"})
    empty = services.experiment_create(
        actor=owner_actor, title="Nothing yet", key="empty",
        primary_metric={"key": "buy", "kind": "proportion", "event": "buy"})
    Experiment.objects.filter(pk=exp.pk).update(status="running", started_at=_at(-1))
    pairs = {"control": [(0, 1), (2, 3), (4, 5)], "treatment": [(0, 2), (2, 4), (4, 7)]}
    for i, (arm, pre, post) in enumerate((a, x, y) for a, us in pairs.items() for x, y in us):
        c = Contact.objects.create(workspace=workspace, email=f"u{i}@x.test")
        Event.objects.create(workspace=workspace, contact=c, name="experiment_viewed",
                             occurred_at=_at(0), properties={"experiment_id": "onboard",
                                                             "variation_id": arm})
        for k in range(pre):
            Event.objects.create(workspace=workspace, contact=c, name="signup",
                                 occurred_at=_at(-3 - k))
        for k in range(post):
            Event.objects.create(workspace=workspace, contact=c, name="signup",
                                 occurred_at=_at(1, k))
    compute_workspace_results(workspace=workspace, now=_at(5))
    for v, (n, conv) in zip(Variant.objects.filter(experiment=typed).order_by("position"),
                            ((1000, 120), (1000, 150))):
        ExperimentResult.objects.create(workspace=workspace, experiment=typed, variant=v,
                                        metric="buy", date=_at(0).date(), n=n, sum=conv,
                                        sum_sq=conv, source=ExperimentResult.Source.MANUAL)
    exps = list(Experiment.objects.filter(pk__in=[exp.pk, typed.pk, empty.pk])
                .prefetch_related("variants"))
    with django_assert_max_num_queries(3):  # two totals queries and the correction
        batched = analyse_experiments(exps, today=_at(5).date())
    assert set(batched) == {exp.pk, typed.pk, empty.pk}
    for e in exps:
        one = experiment_analysis(e, today=_at(5).date())
        assert repr(batched[e.pk]) == repr(one)
    assert batched[exp.pk]["metrics"][0]["cuped"]["theta"] == pytest.approx(1.125)
    assert batched[typed.pk]["metrics"][0]["rows"][0]["effect"] == pytest.approx(0.25)
    assert not batched[empty.pk]["has_data"]


# --- the SQL path gives what the pandas path gives --------------------------------------------

def test_sql_join_equals_the_pandas_path_by_hand(workspace, owner_actor):
    """Two experiments in one query, the workspace in Riyadh (UTC+3). Hand-computed:
    "price" (started day −1): contact 0 control first seen day 0 09:00 (and again day 1),
    contact 1 control first seen day 0 22:00 UTC = day 1 01:00 in Riyadh, contact 2 b at day 0,
    contact 3 in both arms (dropped); contact 4 seen at day −3, before the start day (dropped).
    Orders: 0 buys 30 then a 10 refund (post total 20, pre 8 at day −5, an order 40 days
    back outside the CUPED window); 2 buys 12 (post); 1 only a pending order (not counted).
    Signup events: 0 signs up twice after, 1 once before (day −2) and once after, 2 never.
    "mail" (started day 0): contacts 1 and 2 both in "b", contact 1 signs up after."""
    from experiments.compute import daily_results_sql, load_inputs

    workspace.timezone = "Asia/Riyadh"
    workspace.save(update_fields=["timezone"])
    metrics = {"primary_metric": {"key": "revenue", "kind": "mean", "event": "order"}}
    price = services.experiment_create(actor=owner_actor, title="Price", key="price", **metrics)
    price.secondary_metrics = [{"key": "signup", "kind": "proportion", "event": "signup"},
                               {"key": "signups", "kind": "mean", "event": "signup"},
                               {"key": "buyer", "kind": "proportion", "event": "order"}]
    price.save()
    mail = services.experiment_create(
        actor=owner_actor, title="Mail", key="mail",
        primary_metric={"key": "signup", "kind": "proportion", "event": "signup"})
    Experiment.objects.filter(pk=price.pk).update(status="running", started_at=_at(-1))
    Experiment.objects.filter(pk=mail.pk).update(status="running", started_at=_at(0))
    c = [Contact.objects.create(workspace=workspace, email=f"s{i}@x.test") for i in range(5)]

    def seen(contact, key, arm, at):
        Event.objects.create(workspace=workspace, contact=contact, name="experiment_viewed",
                             occurred_at=at, properties={"experiment_id": key,
                                                         "variation_id": arm})

    seen(c[0], "price", "control", _at(0)), seen(c[0], "price", "control", _at(1))
    seen(c[1], "price", "control", _at(0, 13))
    seen(c[2], "price", "b", _at(0))
    seen(c[3], "price", "control", _at(0)), seen(c[3], "price", "b", _at(1))
    seen(c[4], "price", "b", _at(-3))
    seen(c[1], "mail", "b", _at(1)), seen(c[2], "mail", "b", _at(1))
    for who, at in ((c[0], _at(1)), (c[0], _at(2)), (c[1], _at(-2)), (c[1], _at(2)),
                    (c[3], _at(2))):
        Event.objects.create(workspace=workspace, contact=who, name="signup", occurred_at=at)
    for who, at, amount, kind, status in (
            (c[0], _at(2), 30, "new", "paid"), (c[0], _at(3), 10, "refund", "paid"),
            (c[0], _at(-5), 8, "new", "paid"), (c[0], _at(-40), 100, "new", "paid"),
            (c[2], _at(1), 12, "new", "paid"), (c[1], _at(1), 50, "new", "pending")):
        Order.objects.create(workspace=workspace, contact=who, occurred_at=at, amount=amount,
                             kind=kind, status=status, external_id=f"o{at}{amount}")
    exps = list(Experiment.objects.filter(pk__in=[price.pk, mail.pk]))
    now = _at(5)
    sql = daily_results_sql(workspace, exps, now=now)
    inputs = load_inputs(workspace, exps, now=now)
    old = daily_results(inputs["exposures"], inputs["events"], inputs["orders"],
                        inputs["metrics"], tz="Asia/Riyadh")
    keys = ["experiment", "variant", "metric", "date"]
    cols = ["n", "sum", "sum_sq", "pre_sum", "pre_sum_sq", "cross_sum"]
    got = sql.set_index(keys).sort_index()[cols].astype(float)
    assert got.equals(old.set_index(keys).sort_index()[cols].astype(float))

    d0, d1 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)  # 09:00 UTC is 12:00 in Riyadh
    by = {k: list(r) for k, r in zip(got.index, got.itertuples(index=False))}
    # revenue (mean of orders): contact 0 (pre 8, post 20) on d0; contact 1 (0, 0) on d1
    assert by[("price", "control", "revenue", d0)] == [1, 20, 400, 8, 64, 160]
    assert by[("price", "control", "revenue", d1)] == [1, 0, 0, 0, 0, 0]
    assert by[("price", "b", "revenue", d0)] == [1, 12, 144, 0, 0, 0]
    # buyer (proportion of orders): 0 and 2 bought after, 0 also before
    assert by[("price", "control", "buyer", d0)] == [1, 1, 1, 1, 1, 1]
    assert by[("price", "b", "buyer", d0)] == [1, 1, 1, 0, 0, 0]
    # signups (mean): 0 signed up twice after; 1 once after and once before
    assert by[("price", "control", "signups", d0)] == [1, 2, 4, 0, 0, 0]
    assert by[("price", "control", "signups", d1)] == [1, 1, 1, 1, 1, 1]
    assert by[("price", "control", "signup", d0)] == [1, 1, 1, 0, 0, 0]
    # mail: both first seen day 1 in b; 1 signed up after (and before: the covariate)
    assert by[("mail", "b", "signup", d1)] == [2, 1, 1, 1, 1, 1]
    assert len(by) == 4 * 3 + 1  # contacts 3 (both arms) and 4 (before the start) are nowhere


def test_cumulative_series_by_hand(workspace, owner_actor):
    """Three days of typed-in daily rows, cumulated: day 1 control 1/10, b 2/10 (relative
    effect +100 %); day 2 adds 1/10 and 4/10 → 2/20 vs 6/20 (+200 %); day 3 only b 0/10 →
    2/20 vs 6/30 (+100 %); day 0 is skipped (control has 1 user, fewer than 2). Each day's
    interval is stats.frequentist's on the cumulated counts."""
    from experiments import stats
    from experiments.analysis import cumulative_series
    from experiments.models import Variant

    exp = services.experiment_create(
        actor=owner_actor, title="Pricing page", key="pricing",
        primary_metric={"key": "buy", "kind": "proportion", "event": "buy"})
    control, b = Variant.objects.filter(experiment=exp).order_by("position")[:2]
    day = _at(0).date()
    for v, d, n, conv in ((control, 0, 1, 0), (b, 0, 5, 1),
                          (control, 1, 9, 1), (b, 1, 5, 1),
                          (control, 2, 10, 1), (b, 2, 10, 4),
                          (b, 3, 10, 0)):
        ExperimentResult.objects.create(
            workspace=workspace, experiment=exp, variant=v, metric="buy",
            date=day + dt.timedelta(days=d), n=n, sum=conv, sum_sq=conv,
            source=ExperimentResult.Source.MANUAL)
    series = cumulative_series(exp)[b.key]
    assert [s[0] for s in series] == [day + dt.timedelta(days=d) for d in (1, 2, 3)]
    assert [s[1] for s in series] == pytest.approx([1.0, 2.0, 1.0])
    for (_d, effect, low, high), (c, t) in zip(series, (((10, 1), (10, 2)), ((20, 2), (20, 6)),
                                                        ((20, 2), (30, 6)))):
        ref = stats.frequentist(stats.proportion_stats(*c), stats.proportion_stats(*t),
                                alpha=exp.alpha, relative=True)
        assert (effect, low, high) == pytest.approx((ref.effect, ref.ci_low, ref.ci_high))
