"""Drafting: the proposals from the hand-computed month of conftest.py, then the same rules on
plain dicts (no database)."""

from __future__ import annotations

import pytest

from reports import drafting, selectors


@pytest.mark.django_db
def test_report_numbers_read_the_month_through_engines(workspace, month, month_data):
    numbers = selectors.report_numbers(workspace, month)
    ch = {c["key"]: c for c in numbers["channels"]}
    assert ch["google_ads"]["cac"] == pytest.approx(250)
    assert ch["google_ads"]["roas"] == pytest.approx(0.8)
    assert ch["seo"]["cac"] == pytest.approx(50)
    assert ch["seo"]["roas"] == pytest.approx(4.0)
    kpis = {k["name"]: k for k in numbers["kpis"]}
    assert kpis["New paying customers"]["attainment"] == pytest.approx(0.7)
    assert kpis["Blended CAC"]["attainment"] == pytest.approx(200 / 107.14)
    assert kpis["Monthly churn"]["guardrail_breach"] is True


@pytest.mark.django_db
def test_wins_problems_and_channel_proposals(workspace, month, month_data):
    numbers = selectors.report_numbers(workspace, month)
    wins, problems = drafting.wins_and_problems(numbers)
    assert [w["numbers"]["label"] for w in wins] == ["Blended CAC", "New leads"]
    # the guardrail breach comes first, then the furthest below target
    assert [p["numbers"]["label"] for p in problems] == ["Monthly churn",
                                                         "New paying customers"]
    proposals = drafting.channel_decisions(numbers)
    assert [(p["kind"], p["subject"]) for p in proposals] == [("stop", "Google Ads"),
                                                              ("continue", "SEO")]
    stop = proposals[0]["source"]
    assert stop["reasons"] == ["cac", "roas"]
    assert stop["cac"] == pytest.approx(250) and stop["cac_target"] == 200
    assert stop["target_from"] == "workspace"


def _numbers(channels, kpis=()):
    return {"channels": channels, "kpis": list(kpis)}


def _cac_kpi(target, channel=None):
    return {"key": "cac", "target": target, "channel": channel}


def test_channel_with_its_own_cac_target_is_judged_by_it():
    numbers = _numbers(
        [{"key": "a", "name": "A", "spend": 300, "customers": 3, "cac": 100, "roas": 2}],
        [_cac_kpi(150), _cac_kpi(80, channel="a")])
    (p,) = drafting.channel_decisions(numbers)
    assert p["kind"] == "stop" and p["source"]["cac_target"] == 80
    assert p["source"]["target_from"] == "channel"


def test_roas_below_one_is_stopped_even_without_a_target():
    numbers = _numbers([{"key": "a", "name": "A", "spend": 300, "customers": 3, "cac": 100,
                         "roas": 0.5}])
    (p,) = drafting.channel_decisions(numbers)
    assert p["kind"] == "stop" and p["source"]["reasons"] == ["roas"]


def test_spend_without_customers_misses_the_target():
    numbers = _numbers([{"key": "a", "name": "A", "spend": 300, "customers": None,
                         "cac": None, "roas": None}], [_cac_kpi(150)])
    (p,) = drafting.channel_decisions(numbers)
    assert p["kind"] == "stop" and p["source"]["reasons"] == ["cac"]


def test_no_target_and_healthy_roas_proposes_nothing():
    numbers = _numbers([{"key": "a", "name": "A", "spend": 300, "customers": 3, "cac": 100,
                         "roas": 1.5}])
    assert drafting.channel_decisions(numbers) == []


def test_start_takes_the_top_three_of_the_backlog():
    backlog = [{"code": str(i), "name": f"E{i}", "ice": 1000 - i, "engine": None}
               for i in range(5)]
    starts = drafting.start_decisions(backlog)
    assert [s["subject"] for s in starts] == ["E0", "E1", "E2"]
    assert starts[0]["source"]["ice"] == 1000
