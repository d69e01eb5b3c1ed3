"""Funnel metrics on a small hand-computed lifecycle history."""

from datetime import date

import pandas as pd
import pytest

from engines.metrics import funnel
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
def history():
    return make_frame("stage_changes", [
        # contact 1 walks every stage, churns and comes back
        (1, "", "subscriber", "2025-01-01"),
        (1, "subscriber", "lead", "2025-01-03"),
        (1, "lead", "mql", "2025-01-13"),
        (1, "mql", "sql", "2025-02-02"),
        (1, "sql", "opportunity", "2025-02-12"),
        (1, "opportunity", "customer", "2025-03-04"),
        (1, "customer", "churned", "2025-03-10"),
        (1, "churned", "customer", "2025-03-20"),
        # contact 2 enters as a lead and jumps straight to customer
        (2, "", "lead", "2025-01-10"),
        (2, "lead", "customer", "2025-01-30"),
        # contact 3 becomes a lead only after as_of
        (3, "", "subscriber", "2025-01-05"),
        (3, "subscriber", "lead", "2025-04-05"),
        # contact 4 goes lead → mql → back to lead → mql again
        (4, "", "subscriber", "2025-01-14"),
        (4, "subscriber", "lead", "2025-01-20"),
        (4, "lead", "mql", "2025-01-25"),
        (4, "mql", "lead", "2025-01-27"),
        (4, "lead", "mql", "2025-02-10"),
    ])


def test_entries_count_first_arrival(history):
    out = funnel.compute_funnel(history, as_of=AS_OF)
    e = "funnel_entries"
    assert val(out, e, "2025-01-01", "stage", "subscriber") == 4  # 1, 2 (via lead), 3, 4
    assert val(out, e, "2025-01-01", "stage", "lead") == 3  # 1, 2, 4 (3's lead is after as_of)
    assert val(out, e, "2025-01-01", "stage", "mql") == 3  # 1, 2 (skipped), 4 (first time)
    assert val(out, e, "2025-02-01", "stage", "mql") is None  # 4's return to mql is no entry
    assert val(out, e, "2025-01-01", "stage", "customer") == 1  # 2
    assert val(out, e, "2025-02-01", "stage", "sql") == 1  # 1
    # contact 1 became a customer twice (March 4 and 20): one entry
    assert val(out, e, "2025-03-01", "stage", "customer") == 1
    assert val(out, e, "2025-01-01", "stage", "advocate") is None


def test_step_conversion_and_median_days(history):
    out = funnel.compute_funnel(history, as_of=AS_OF)
    c, d = "funnel_conversion", "funnel_days_to_next"
    # subscriber (Jan: 1, 2, 3, 4) → lead: 1 in 2 days, 2 in 0, 4 in 6; 3 not by as_of
    assert val(out, c, "2025-01-01", "stage", "subscriber") == pytest.approx(3 / 4)
    assert val(out, d, "2025-01-01", "stage", "subscriber") == pytest.approx(2.0)  # median(2,0,6)
    # lead (Jan: 1, 2, 4) → mql: 10, 20 (skipped, reached at customer), 5 days
    assert val(out, c, "2025-01-01", "stage", "lead") == pytest.approx(1.0)
    assert val(out, d, "2025-01-01", "stage", "lead") == pytest.approx(10.0)  # median(10,20,5)
    # mql (Jan: 1, 2, 4) → sql: 1 after 20 days, 2 at once (skipped), 4 never
    assert val(out, c, "2025-01-01", "stage", "mql") == pytest.approx(2 / 3)
    assert val(out, d, "2025-01-01", "stage", "mql") == pytest.approx(10.0)  # median(20, 0)
    # opportunity (Feb: 1, Feb 12) → customer Mar 4: 16 + 4 = 20 days
    assert val(out, c, "2025-02-01", "stage", "opportunity") == pytest.approx(1.0)
    assert val(out, d, "2025-02-01", "stage", "opportunity") == pytest.approx(20.0)
    # customers never became advocates: 0 %, no days
    assert val(out, c, "2025-01-01", "stage", "customer") == 0.0
    assert val(out, d, "2025-01-01", "stage", "customer") is None


def test_conversion_is_measured_by_as_of(history):
    out = funnel.compute_funnel(history, as_of=date(2025, 1, 31))
    # by Jan 31 only contact 2 of the January mql entrants (1, 2, 4) reached sql
    assert val(out, "funnel_conversion", "2025-01-01", "stage", "mql") == pytest.approx(1 / 3)
    assert val(out, "funnel_entries", "2025-02-01", "stage", "sql") is None


def test_last_stage_has_entries_but_no_step(history):
    more = make_frame("stage_changes", [(9, "", "advocate", "2025-01-15")])
    out = funnel.compute_funnel(pd.concat([history, more]), as_of=AS_OF)
    assert val(out, "funnel_entries", "2025-01-01", "stage", "advocate") == 1
    assert val(out, "funnel_conversion", "2025-01-01", "stage", "advocate") is None
    # an advocate has passed every stage before it, at the same moment
    assert val(out, "funnel_entries", "2025-01-01", "stage", "customer") == 2  # 2 and 9


def test_stage_entries_matrix(history):
    entries = funnel.stage_entries(history, as_of=AS_OF)
    assert list(entries.columns) == ["subscriber", "lead", "mql", "sql", "opportunity",
                                     "customer", "advocate"]
    assert str(entries.loc[2, "sql"].date()) == "2025-01-30"  # skipped: reached with customer
    assert str(entries.loc[1, "customer"].date()) == "2025-03-04"  # first arrival
    assert pd.isna(entries.loc[3, "lead"])  # only after as_of


def test_week_grain(history):
    out = funnel.compute_funnel(history, as_of=AS_OF, grain="week")
    # leads on Fri 3 Jan (week of Mon 30 Dec), Fri 10 Jan (week of 6 Jan), Mon 20 Jan
    assert val(out, "funnel_entries", "2024-12-30", "stage", "lead") == 1
    assert val(out, "funnel_entries", "2025-01-06", "stage", "lead") == 1
    assert val(out, "funnel_entries", "2025-01-20", "stage", "lead") == 1


def test_empty_and_unique(history):
    out = funnel.compute_funnel(history, as_of=AS_OF)
    assert not out.duplicated(["key", "grain", "period", "dimension", "dimension_value"]).any()
    empty = funnel.compute_funnel(make_frame("stage_changes", []), as_of=AS_OF)
    assert empty.empty and list(empty.columns) == VALUE_COLUMNS
    assert funnel.compute_funnel(None, as_of=AS_OF).empty


def test_keys_are_registered():
    for key in ("funnel_entries", "funnel_conversion", "funnel_days_to_next"):
        assert REGISTRY[key].family == "funnel"
