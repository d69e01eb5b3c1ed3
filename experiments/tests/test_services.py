"""Experiment lifecycle, no early calls, overrides audited, SRM blocks, analysis by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from engines import services as engine_services
from experiments import services
from experiments.analysis import experiment_analysis
from experiments.models import Experiment, ExperimentResult
from mos.actors import Actor
from mos.models import AuditEntry, Membership
from mos.roles import Role

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
METRIC = {"key": "signup", "kind": "proportion", "event": "signup"}


@pytest.fixture
def engine(owner_actor):
    return engine_services.engine_create(actor=owner_actor, name="Self-serve trials")


def _experiment(actor, engine, **kw):
    fields = dict(title="Shorter sign-up form", engine=engine, hypothesis_if="we cut the form",
                  hypothesis_then="more sign up", hypothesis_because="fewer fields",
                  primary_metric=METRIC, baseline=0.1, mde=0.1,
                  planned_start=dt.date(2026, 3, 1), planned_end=dt.date(2026, 3, 31))
    fields.update(kw)
    return services.experiment_create(actor=actor, **fields)


def _run(actor, exp):
    services.experiment_transition(actor=actor, experiment=exp, to="planned")
    services.experiment_transition(actor=actor, experiment=exp, to="running")
    exp.refresh_from_db()
    return exp


def _results(actor, exp, c, t, day="2026-03-05"):
    rows = [{"variant": "control", "metric": "signup", "date": day, "n": c[0], "sum": c[1]},
            {"variant": "treatment", "metric": "signup", "date": day, "n": t[0], "sum": t[1]}]
    services.results_upsert(actor=actor, experiment=exp, rows=rows)


def _analyst(workspace, add_member):
    user = add_member(Role.ANALYST)
    return Actor.for_member(Membership.objects.get(user=user, workspace=workspace))


def test_required_sample_is_computed_on_create(owner_actor, engine):
    exp = _experiment(owner_actor, engine, daily_traffic=1000)
    # 10 % → 11 %, alpha 0.05, power 0.8: 14,751 per variant (the stats package's number)
    assert exp.required_sample == 14751
    assert exp.expected_duration_days == 30  # 2 × 14,751 / 1,000 a day, rounded up
    assert [v.key for v in exp.variants.all()] == ["control", "treatment"]


def test_guarded_transitions(owner_actor, engine):
    exp = _experiment(owner_actor, engine)
    with pytest.raises(ValidationError, match="cannot go from Backlog to Running"):
        services.experiment_transition(actor=owner_actor, experiment=exp, to="running")
    bare = services.experiment_create(actor=owner_actor, title="Just an idea")
    with pytest.raises(ValidationError, match="Fill in the template first"):
        services.experiment_transition(actor=owner_actor, experiment=bare, to="planned")
    exp = _run(owner_actor, exp)
    assert exp.status == "running" and exp.started_at is not None
    with pytest.raises(ValidationError):
        services.experiment_transition(actor=owner_actor, experiment=exp, to="decided")
    with pytest.raises(ValidationError):
        services.experiment_update(actor=owner_actor, experiment=exp, mde=0.2)


def test_variant_shares_must_sum_to_one(owner_actor, engine):
    with pytest.raises(ValidationError, match="add up to 100"):
        _experiment(owner_actor, engine, variants=[
            {"key": "a", "share": 0.5, "is_control": True}, {"key": "b", "share": 0.4}])
    with pytest.raises(ValidationError, match="exactly one variant as the control"):
        _experiment(owner_actor, engine, variants=[
            {"key": "a", "share": 0.5}, {"key": "b", "share": 0.5}])
    assert not Experiment.objects.exists()


def test_no_early_calls(workspace, add_member, owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (1000, 100), (1000, 130))
    analyst = _analyst(workspace, add_member)
    # before the planned sample (14,751) and before the end date: refused, with the reason
    with pytest.raises(ValidationError) as err:
        services.experiment_decide(actor=analyst, experiment=exp, decision="win",
                                   reason="looks good", today=TODAY)
    assert "Too early" in str(err.value) and "1,000 of the planned 14,751" in str(err.value)
    # a written reason does not help a non-admin
    with pytest.raises(ValidationError, match="Only an admin"):
        services.experiment_decide(actor=analyst, experiment=exp, decision="win",
                                   reason="looks good", override_reason="board meeting",
                                   today=TODAY)
    exp.refresh_from_db()
    assert exp.status == "running" and exp.decision == ""
    # inconclusive is always allowed (stopping a test is not a claim)
    services.experiment_decide(actor=analyst, experiment=exp, decision="inconclusive",
                               reason="ran out of time", today=TODAY)
    exp.refresh_from_db()
    assert exp.status == "decided" and exp.decision == "inconclusive"


def test_decision_allowed_after_end_date(owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (1000, 100), (1000, 130))
    services.experiment_decide(actor=owner_actor, experiment=exp, decision="loss",
                               reason="no lift", today=dt.date(2026, 3, 31))
    exp.refresh_from_db()
    assert exp.decision == "loss" and exp.override_reason == ""
    assert AuditEntry.objects.filter(action="experiment.decide").count() == 1


def test_admin_override_is_audited_with_its_reason(owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (1000, 100), (1000, 130))
    with pytest.raises(ValidationError, match="Too early"):
        services.experiment_decide(actor=owner_actor, experiment=exp, decision="win",
                                   reason="clear lift", today=TODAY)
    services.experiment_decide(actor=owner_actor, experiment=exp, decision="win",
                               reason="clear lift", override_reason="launch deadline Friday",
                               today=TODAY)
    exp.refresh_from_db()
    assert exp.decision == "win" and exp.override_reason == "launch deadline Friday"
    entry = AuditEntry.objects.get(action="experiment.override")
    assert entry.changes["override_reason"] == "launch deadline Friday"
    assert entry.changes["gate"] == "too_early"


def test_sequential_boundary_allows_an_early_call(workspace, add_member, owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (5000, 500), (5000, 700))  # 10 % vs 14 %: crosses
    a = experiment_analysis(exp, today=TODAY)
    assert a["gate"] == {**a["gate"], "allowed": True, "reason": "sequential_boundary_crossed"}
    services.experiment_decide(actor=_analyst(workspace, add_member), experiment=exp,
                               decision="win", reason="boundary crossed", today=TODAY)
    exp.refresh_from_db()
    assert exp.decision == "win"


def test_srm_blocks_until_acknowledged(owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    _results(owner_actor, exp, (1000, 100), (800, 90))  # χ² = 22.2, p ≈ 2.4e-6
    a = experiment_analysis(exp, today=dt.date(2026, 4, 1))
    # expected 900 each: (100² + 100²) / 900 = 22.2
    assert a["srm"]["flagged"] and a["srm"]["chi2"] == pytest.approx(2 * 100 ** 2 / 900)
    with pytest.raises(ValidationError, match="sample-ratio mismatch"):
        services.experiment_decide(actor=owner_actor, experiment=exp, decision="inconclusive",
                                   reason="x", today=dt.date(2026, 4, 1))
    services.experiment_acknowledge_srm(actor=owner_actor, experiment=exp,
                                        note="bot traffic filtered in control only")
    services.experiment_decide(actor=owner_actor, experiment=exp, decision="inconclusive",
                               reason="untrustworthy split", today=dt.date(2026, 4, 1))
    assert AuditEntry.objects.filter(action="experiment.srm_acknowledged").exists()


def test_analysis_matches_hand_computed_numbers(owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    # two days that sum to control 100/1000 and treatment 130/1000
    _results(owner_actor, exp, (600, 55), (600, 80), day="2026-03-05")
    _results(owner_actor, exp, (400, 45), (400, 50), day="2026-03-06")
    a = experiment_analysis(exp, today=TODAY)
    row = a["metrics"][0]["rows"][0]
    # relative lift 0.13/0.10 − 1 = 0.30; delta-method variance
    # 0.13·0.87/(1000·0.1²) + 0.1·0.9·0.13²/(1000·0.1⁴) = 0.01131 + 0.01521 = 0.02652
    se = 0.02652 ** 0.5
    assert row["effect"] == pytest.approx(0.30)
    assert row["ci_low"] == pytest.approx(0.30 - 1.959964 * se, abs=1e-5)
    assert row["ci_high"] == pytest.approx(0.30 + 1.959964 * se, abs=1e-5)
    assert row["p_value"] == pytest.approx(0.06545, abs=1e-4)  # z = 0.3 / 0.16285 = 1.842
    assert row["significant"] is False
    assert row["chance_to_win"] == pytest.approx(0.96728, abs=1e-4)  # Φ(1.842)
    assert a["srm"]["flagged"] is False and a["srm"]["chi2"] == 0
    assert a["gate"]["reason"] == "too_early" and a["gate"]["current_n"] == 1000


def test_results_upsert_is_idempotent_and_all_or_nothing(owner_actor, engine):
    exp = _run(owner_actor, _experiment(owner_actor, engine))
    for _ in range(2):
        _results(owner_actor, exp, (100, 10), (100, 12))
    assert ExperimentResult.objects.filter(experiment=exp).count() == 2
    with pytest.raises(ValidationError):
        services.results_upsert(actor=owner_actor, experiment=exp, rows=[
            {"variant": "control", "metric": "signup", "date": "2026-03-07", "n": 10, "sum": 1},
            {"variant": "nope", "metric": "signup", "date": "2026-03-07", "n": 10, "sum": 1}])
    assert ExperimentResult.objects.filter(experiment=exp).count() == 2


def test_fifth_engine_needs_confirmation(owner_actor, engine):
    for name in ("B", "C", "D"):
        engine_services.engine_create(actor=owner_actor, name=name)
    with pytest.raises(ValidationError) as err:
        engine_services.engine_create(actor=owner_actor, name="E")
    assert "2–4 growth engines" in str(err.value)
    e = engine_services.engine_create(actor=owner_actor, name="E", confirm_over_focus=True)
    assert AuditEntry.objects.get(action="engine.create", object_code=str(e.code)).changes[
        "over_focus_confirmed"] == 5
