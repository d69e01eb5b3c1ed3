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
