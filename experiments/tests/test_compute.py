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
