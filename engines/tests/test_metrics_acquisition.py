"""Acquisition metrics on a small hand-computed case (as of 2025-03-31)."""

from datetime import date

import pytest

from engines.metrics import acquisition as acq
from engines.metrics.frames import make_frame
from engines.metrics.registry import REGISTRY, VALUE_COLUMNS

AS_OF = date(2025, 3, 31)


def val(df, key, period, dimension="", dimension_value=""):
    """The single value of one row, or None when the row is absent."""
    rows = df[(df["key"] == key) & (df["period"] == date.fromisoformat(period))
              & (df["dimension"] == dimension) & (df["dimension_value"] == dimension_value)]
    assert len(rows) <= 1
    return None if rows.empty else rows["value"].iloc[0]


@pytest.fixture
def spend():
    return make_frame("spend", [
        ("2025-01-03", "paid_search", "brand", 200.0, 10_000, 250),
        ("2025-01-20", "paid_search", "generic", 100.0, 5_000, 50),
        ("2025-01-10", "paid_social", "", 300.0, 20_000, 100),  # channel-level spend
        ("2025-02-02", "paid_search", "brand", 50.0, 0, 0),
        ("2025-04-01", "paid_search", "brand", 999.0, 1, 1),  # after as_of
    ])


@pytest.fixture
def stage_changes():
    return make_frame("stage_changes", [
        (1, "", "subscriber", "2024-12-20"),
        (1, "subscriber", "lead", "2025-01-05"),
        (1, "lead", "mql", "2025-01-10"),
        (1, "mql", "lead", "2025-01-15"),  # backward move: not a second lead
        (2, "", "sql", "2025-01-12"),  # skipped lead: still a new lead
        (3, "", "lead", "2024-12-28"),
        (3, "lead", "mql", "2025-01-03"),  # already a lead in December
        (4, "", "lead", "2025-02-03"),
        (5, "", "subscriber", "2025-01-02"),  # never a lead
        (6, "", "lead", "2025-04-02"),  # after as_of
        (7, "", "other", "2025-01-04"),  # off-funnel
    ])


@pytest.fixture
def contacts():
    return make_frame("contacts", [
        (1, "2024-12-20", "lead", "paid_search", "brand"),
        (2, "2025-01-12", "sql", "seo", ""),
        (3, "2024-12-28", "mql", "paid_search", "brand"),
        (4, "2025-02-03", "lead", "paid_search", "generic"),
    ])


def test_delivery_totals(spend):
    out = acq.compute_acquisition(spend, as_of=AS_OF)
    assert val(out, "impressions", "2025-01-01") == 35_000  # 10,000 + 5,000 + 20,000
    assert val(out, "clicks", "2025-01-01") == 400  # 250 + 50 + 100
    assert val(out, "spend", "2025-01-01") == 600  # 200 + 100 + 300
    assert val(out, "ctr", "2025-01-01") == pytest.approx(400 / 35_000)  # 0.011428…
    assert val(out, "cpc", "2025-01-01") == pytest.approx(1.5)  # 600 / 400
    assert val(out, "cpm", "2025-01-01") == pytest.approx(600 / 35_000 * 1000)  # 17.142…
    # February: spend but no impressions or clicks → spend row, no CTR/CPC/CPM rows
    assert val(out, "spend", "2025-02-01") == 50
    assert val(out, "ctr", "2025-02-01") is None
    assert val(out, "cpc", "2025-02-01") is None
    assert val(out, "cpm", "2025-02-01") is None
    # April's row is after as_of
    assert val(out, "spend", "2025-04-01") is None


def test_per_channel_and_campaign(spend):
    out = acq.compute_acquisition(spend, as_of=AS_OF)
    assert val(out, "spend", "2025-01-01", "channel", "paid_search") == 300  # 200 + 100
    ch = "channel"
    assert val(out, "ctr", "2025-01-01", ch, "paid_search") == pytest.approx(0.02)  # 300/15,000
    assert val(out, "cpc", "2025-01-01", ch, "paid_search") == pytest.approx(1.0)  # 300/300
    assert val(out, "cpm", "2025-01-01", ch, "paid_search") == pytest.approx(20.0)  # 300/15k×1000
    assert val(out, "cpc", "2025-01-01", "channel", "paid_social") == pytest.approx(3.0)  # 300/100
    assert val(out, "ctr", "2025-01-01", "campaign", "brand") == pytest.approx(0.025)  # 250/10,000
    assert val(out, "cpc", "2025-01-01", "campaign", "generic") == pytest.approx(2.0)  # 100/50
    # channel-level spend (campaign "") belongs to no campaign
    campaigns = out[out["dimension"] == "campaign"]["dimension_value"]
    assert set(campaigns) == {"brand", "generic"}


def test_leads_count_first_arrival_only(spend, stage_changes, contacts):
    out = acq.compute_acquisition(spend, stage_changes, contacts, as_of=AS_OF)
    # January: contact 1 (once, despite lead → mql → lead) and contact 2 (jumped to sql)
    assert val(out, "leads", "2025-01-01") == 2
    assert val(out, "leads", "2024-12-01") == 1  # contact 3; its January mql is not a new lead
    assert val(out, "leads", "2025-02-01") == 1  # contact 4
    assert val(out, "leads", "2025-04-01") is None  # contact 6 is after as_of
    assert val(out, "leads", "2025-01-01", "channel", "paid_search") == 1
    assert val(out, "leads", "2025-01-01", "channel", "seo") == 1
    assert val(out, "leads", "2025-01-01", "campaign", "brand") == 1


def test_cpl_only_where_there_is_spend_and_leads(spend, stage_changes, contacts):
    out = acq.compute_acquisition(spend, stage_changes, contacts, as_of=AS_OF)
    assert val(out, "cpl", "2025-01-01") == pytest.approx(300.0)  # 600 / 2
    assert val(out, "cpl", "2025-01-01", "channel", "paid_search") == pytest.approx(300.0)  # 300/1
    assert val(out, "cpl", "2025-01-01", "campaign", "brand") == pytest.approx(200.0)  # 200/1
    assert val(out, "cpl", "2025-02-01") == pytest.approx(50.0)  # 50 / 1
    assert val(out, "cpl", "2024-12-01") is None  # a lead but no spend
    assert val(out, "cpl", "2025-01-01", "channel", "seo") is None  # organic: no spend
    assert val(out, "cpl", "2025-01-01", "channel", "paid_social") is None  # spend, no leads
    assert val(out, "cpl", "2025-02-01", "campaign", "generic") is None  # lead, no spend


def test_leads_without_contacts_give_totals_only(stage_changes):
    out = acq.compute_acquisition(None, stage_changes, as_of=AS_OF)
    assert set(out["key"]) == {"leads"}
    assert set(out["dimension"]) == {""}


def test_week_grain_starts_on_monday(spend):
    out = acq.compute_acquisition(spend, as_of=AS_OF, grain="week")
    # Fri 2025-01-03 → Mon 2024-12-30; Mon 2025-01-20 is its own week's start
    assert val(out, "spend", "2024-12-30") == 200
    assert val(out, "spend", "2025-01-20") == 100
    assert set(out["grain"]) == {"week"}


def test_output_is_clean_and_unique(spend, stage_changes, contacts):
    out = acq.compute_acquisition(spend, stage_changes, contacts, as_of=AS_OF)
    assert list(out.columns) == VALUE_COLUMNS
    assert out["value"].notna().all()
    assert not out.duplicated(["key", "grain", "period", "dimension", "dimension_value"]).any()
    assert all(isinstance(p, date) for p in out["period"])


def test_empty_frames_give_empty_values():
    out = acq.compute_acquisition(make_frame("spend", []), make_frame("stage_changes", []),
                                  make_frame("contacts", []), as_of=AS_OF)
    assert out.empty and list(out.columns) == VALUE_COLUMNS
    assert acq.compute_acquisition(None, as_of=AS_OF).empty


def test_bad_grain_is_refused(spend):
    with pytest.raises(ValueError):
        acq.compute_acquisition(spend, as_of=AS_OF, grain="quarter")


def test_keys_are_registered():
    for key in ("impressions", "clicks", "spend", "ctr", "cpc", "cpm", "leads", "cpl"):
        assert REGISTRY[key].family == "acquisition"
    assert REGISTRY["cpl"].direction == "down" and REGISTRY["ctr"].unit == "ratio"


def test_shared_results_computes_once_and_hands_out_independent_copies():
    """Inside shared_results() a @reused helper runs once per input frame; what a caller does
    to its copy never reaches the next caller; outside the block nothing is cached."""
    sc = make_frame("stage_changes", [(1, "", "lead", "2025-01-05 10:00"),
                                      (2, "", "customer", "2025-02-01 09:00")])
    calls = []
    counted = acq.reused(lambda frame, *, as_of: calls.append(1) or frame["at"].min())
    with acq.shared_results():
        first = acq.first_reached(sc, "lead", as_of=AS_OF)
        first.iloc[0] = None
        first.index = [9, 9]
        again = acq.first_reached(sc, "lead", as_of=AS_OF)
        assert list(again.index) == [1, 2] and again.notna().all()
        assert counted(sc, as_of=AS_OF) == counted(sc, as_of=AS_OF) and len(calls) == 1
        other = sc.copy()  # an equal but different frame is computed again
        counted(other, as_of=AS_OF)
        assert len(calls) == 2
    counted(sc, as_of=AS_OF)
    assert len(calls) == 3


def test_period_start_buckets_by_hand():
    """Day, Monday-week and month starts, before 1970 too, across a year end; NaT stays NaT."""
    import pandas as pd

    times = pd.Series(pd.to_datetime([
        "2026-01-04 23:59:59.999999999",  # a Sunday: its week began Monday 2025-12-29
        "2026-03-02 00:00:00.000000000",  # a Monday at midnight: its own week
        "1969-12-31 13:00:00.000000000",  # a Wednesday before the epoch
        None,
    ]), name="at", index=[10, 11, 12, 13])
    day = acq.period_start(times, "day")
    week = acq.period_start(times, "week")
    month = acq.period_start(times, "month")
    assert list(day[:3].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2026-01-04 00:00", "2026-03-02 00:00", "1969-12-31 00:00"]
    assert list(week[:3].dt.strftime("%Y-%m-%d")) == ["2025-12-29", "2026-03-02", "1969-12-29"]
    assert list(month[:3].dt.strftime("%Y-%m-%d")) == ["2026-01-01", "2026-03-01", "1969-12-01"]
    for s in (day, week, month):
        assert pd.isna(s.iloc[3]) and list(s.index) == [10, 11, 12, 13] and s.name == "at"
        assert s.dtype == "datetime64[ns]"


def test_to_values_leaves_out_missing_and_infinite():
    import numpy as np
    import pandas as pd

    idx = pd.MultiIndex.from_arrays([pd.to_datetime(["2026-01-01"] * 3), ["a", "b", "c"]])
    out = acq.to_values(pd.Series([2.5, np.inf, np.nan], index=idx), "spend", "month",
                        "channel")
    assert out.to_dict("records") == [{"key": "spend", "grain": "month",
                                       "period": date(2026, 1, 1), "dimension": "channel",
                                       "dimension_value": "a", "value": 2.5}]
