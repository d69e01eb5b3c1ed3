"""Retention metrics on small hand-computed cases."""

from datetime import date

import pytest

from engines.metrics import retention as ret
from engines.metrics.frames import make_frame
from engines.metrics.registry import REGISTRY, VALUE_COLUMNS


def val(df, key, period, dimension="", dimension_value=""):
    """The single value of one row, or None when the row is absent."""
    rows = df[(df["key"] == key) & (df["period"] == date.fromisoformat(period))
              & (df["dimension"] == dimension) & (df["dimension_value"] == dimension_value)]
    assert len(rows) <= 1
    return None if rows.empty else rows["value"].iloc[0]


def test_cohort_matrix():
    orders = make_frame("orders", [
        (1, 1, "2025-01-05", 100.0, "new", None),
        (2, 1, "2025-02-10", 100.0, "refund", None),  # a refund is not a purchase
        (3, 1, "2025-03-03", 100.0, "renewal", None),
        (4, 2, "2025-01-20", 100.0, "new", None),
        (5, 2, "2025-02-02", 100.0, "renewal", None),
        (6, 2, "2025-02-20", 100.0, "renewal", None),  # two orders in a month: one customer
        (7, 3, "2025-02-14", 100.0, "new", None),
        (8, 3, "2025-04-01", 100.0, "renewal", None),
        (9, 3, "2025-04-20", 100.0, "renewal", None),  # after as_of
    ])
    out = ret.compute_retention(orders, as_of=date(2025, 4, 15))
    k = "cohort_retention"
    assert val(out, "cohort_size", "2025-01-01") == 2  # contacts 1 and 2
    assert val(out, k, "2025-01-01", "age", "0") == 1.0
    assert val(out, k, "2025-01-01", "age", "1") == pytest.approx(0.5)  # 2 in Feb
    assert val(out, k, "2025-01-01", "age", "2") == pytest.approx(0.5)  # 1 in Mar
    assert val(out, k, "2025-01-01", "age", "3") == 0.0  # April (in progress): nobody yet
    assert val(out, k, "2025-01-01", "age", "4") is None  # May has not started
    assert val(out, "cohort_size", "2025-02-01") == 1  # contact 3
    assert val(out, k, "2025-02-01", "age", "1") == 0.0  # a gap month shows 0, not nothing
    assert val(out, k, "2025-02-01", "age", "2") == 1.0  # April 1


@pytest.fixture
def signups():
    return make_frame("stage_changes", [
        (1, "", "lead", "2025-01-01 10:00"),
        (1, "lead", "customer", "2025-01-09 10:00"),  # signup is the first change only
        (2, "", "lead", "2025-01-01 23:00"),
        (3, "", "subscriber", "2025-01-02 08:00"),
        (4, "", "lead", "2025-02-10 08:00"),
        (5, "", "lead", "2025-01-20 08:00"),
        (6, "", "lead", "2025-01-03 08:00"),
    ])


@pytest.fixture
def activity():
    return make_frame("events", [
        (1, "page_view", "", "", "2025-01-08 09:00"),  # day 7 by calendar (< 7×24 h)
        (2, "login", "", "", "2025-01-07 09:00"),  # day 6 only
        (3, "email_sent", "email", "spring", "2025-02-01 09:00"),  # sent to them: not activity
        (5, "login", "", "", "2025-01-27 09:00"),  # day 7
        (6, "login", "", "", "2025-02-02 09:00"),  # day 30
        (7, "login", "", "", "2025-01-10 09:00"),  # no signup: not in any cohort
    ])


def test_day7_and_day30_activity_retention(activity, signups):
    out = ret.compute_retention(None, activity, signups, as_of=date(2025, 2, 15))
    # Jan cohort for day 7: 1, 2, 3, 5, 6 (all reached day 7 by Feb 15); retained 1, 5, 6
    assert val(out, "retention_d7", "2025-01-01") == pytest.approx(3 / 5)
    # day 30 reached by Feb 15 for 1, 2, 3, 6 (5's is Feb 19); only 6 was active on/after it
    assert val(out, "retention_d30", "2025-01-01") == pytest.approx(1 / 4)
    # Feb cohort (4): day 7 is Feb 17, after as_of → no row yet
    assert val(out, "retention_d7", "2025-02-01") is None


def test_activity_retention_by_week(activity, signups):
    r = ret.activity_retention(activity, signups, day=7, grain="week", as_of=date(2025, 2, 15))
    # week of Mon 30 Dec: contacts 1, 2, 3, 6 → 1 and 6 retained
    assert r.loc["2024-12-30"] == pytest.approx(0.5)


@pytest.fixture
def subscriptions():
    return make_frame("orders", [
        (1, 1, "2025-01-10", 50.0, "new", None),
        (2, 1, "2025-02-10", 50.0, "renewal", None),
        (3, 1, "2025-03-10", 50.0, "renewal", None),
        (4, 1, "2025-04-10", 50.0, "renewal", None),
        (5, 1, "2025-05-10", 50.0, "renewal", None),
        (6, 2, "2025-01-15", 50.0, "new", None),
        (7, 2, "2025-02-15", 50.0, "renewal", None),
        # contact 2 skips March's renewal (churns) and comes back in April
        (8, 2, "2025-04-20", 50.0, "new", None),
        (9, 2, "2025-05-20", 50.0, "renewal", None),
        (10, 3, "2025-02-05", 50.0, "new", None),
        (11, 3, "2025-03-05", 20.0, "expansion", None),  # does not extend the subscription
        (12, 3, "2025-03-06", 50.0, "refund", None),
    ])


def test_subscription_churn_with_reactivation(subscriptions):
    churn = ret.monthly_churn(subscriptions, as_of=date(2025, 5, 31))["churn"]
    # active at Feb 1 {1, 2}; Mar 1 {1, 2, 3}; Apr 1 {1}; May 1 {1, 2}; Jun 1 {1, 2}
    assert churn["2025-02-01"] == 0.0  # 0 / 2
    assert churn["2025-03-01"] == pytest.approx(2 / 3)  # 2 and 3 lapsed
    assert churn["2025-04-01"] == 0.0  # 0 / 1: 2's return is not "un-churning" anyone
    assert churn["2025-05-01"] == 0.0  # 2 is active again at the start and the end
    assert "2025-01-01" not in churn.index  # nobody active at Jan 1


def test_churn_only_for_complete_months(subscriptions):
    out = ret.compute_retention(subscriptions, as_of=date(2025, 5, 30))
    assert val(out, "churn", "2025-04-01") == 0.0
    assert val(out, "churn", "2025-05-01") is None  # May is not over on the 30th


def test_transactional_churn_uses_activity_window():
    orders = make_frame("orders", [
        (1, 1, "2025-01-10", 50.0, "new", None),
        (2, 1, "2025-05-15", 50.0, "new", None),
        (3, 2, "2025-02-20", 50.0, "new", None),
    ])
    churn = ret.monthly_churn(orders, as_of=date(2025, 6, 30), business="transactional")["churn"]
    # 90-day window: active Feb 1 {1}; Mar 1 {1, 2}; Apr 1 {1, 2}; May 1 {2}; Jun 1 {1}; Jul 1 {1}
    assert churn["2025-02-01"] == 0.0
    assert churn["2025-03-01"] == 0.0
    assert churn["2025-04-01"] == pytest.approx(0.5)  # 1's Jan 10 purchase is > 90 days old
    assert churn["2025-05-01"] == 1.0  # 2 lapsed (1 came back, but was not active at May 1)
    assert churn["2025-06-01"] == 0.0
    short = ret.monthly_churn(orders, as_of=date(2025, 6, 30), business="transactional",
                              activity_window_days=30)["churn"]
    assert short["2025-02-01"] == 1.0  # 30 days: Jan 10 + 30 = Feb 9 < Mar 1


def test_net_revenue_retention():
    orders = make_frame("orders", [
        (1, 1, "2024-03-05", 100.0, "new", None),
        (2, 1, "2025-03-05", 150.0, "renewal", None),
        (3, 2, "2024-03-10", 200.0, "new", None),
        (4, 3, "2025-03-08", 500.0, "new", None),  # new this month: in no base
        (5, 4, "2025-02-03", 100.0, "new", None),
        (6, 4, "2025-03-03", 80.0, "renewal", None),
        (7, 4, "2025-03-20", 10.0, "refund", None),
        (8, 5, "2025-02-10", 50.0, "new", None),
        (9, 5, "2025-02-11", 50.0, "refund", None),  # nets to 0 in Feb: did not pay
    ])
    out = ret.compute_retention(orders, as_of=date(2025, 3, 31))
    # yearly: base Mar 2024 = 1 (100) + 2 (200); now 150 + 0 → 150 / 300
    assert val(out, "nrr_yearly", "2025-03-01") == pytest.approx(0.5)
    # monthly: base Feb 2025 = 4 (100); now 80 − 10 = 70
    assert val(out, "nrr_monthly", "2025-03-01") == pytest.approx(0.7)
    assert val(out, "nrr_monthly", "2024-04-01") == 0.0  # nobody from March 2024 paid in April
    assert val(out, "nrr_monthly", "2025-02-01") is None  # nobody paid in January 2025


def test_new_vs_repeat_order_share():
    orders = make_frame("orders", [
        (1, 1, "2025-01-05", 10.0, "new", None),
        (2, 1, "2025-01-20", 10.0, "new", None),
        (3, 2, "2025-01-25", 10.0, "new", None),
        (4, 2, "2025-02-01", 10.0, "refund", None),
        (5, 1, "2025-02-03", 10.0, "new", None),
        (6, 3, "2025-02-10", 10.0, "new", None),
        (8, 4, "2025-02-12", 10.0, "new", None),  # same instant: lower order_id is first
        (7, 4, "2025-02-12", 10.0, "new", None),
    ])
    out = ret.compute_retention(orders, as_of=date(2025, 3, 31))
    assert val(out, "new_order_share", "2025-01-01") == pytest.approx(2 / 3)  # orders 1, 3 of 3
    assert val(out, "repeat_order_share", "2025-01-01") == pytest.approx(1 / 3)
    assert val(out, "new_order_share", "2025-02-01") == pytest.approx(2 / 4)  # 6, 7 of 5, 6, 7, 8
    assert val(out, "repeat_order_share", "2025-02-01") == pytest.approx(0.5)


def test_week_grain_skips_monthly_only_keys(subscriptions):
    out = ret.compute_retention(subscriptions, as_of=date(2025, 5, 31), grain="week")
    assert set(out["key"]) == {"new_order_share", "repeat_order_share"}


def test_empty_and_unique(subscriptions, activity, signups):
    out = ret.compute_retention(subscriptions, activity, signups, as_of=date(2025, 5, 31))
    assert not out.duplicated(["key", "grain", "period", "dimension", "dimension_value"]).any()
    assert out["value"].notna().all()
    empty = ret.compute_retention(make_frame("orders", []), make_frame("events", []),
                                  make_frame("stage_changes", []), as_of=date(2025, 5, 31))
    assert empty.empty and list(empty.columns) == VALUE_COLUMNS
    assert ret.compute_retention(None, as_of=date(2025, 5, 31)).empty


def test_bad_business_is_refused(subscriptions):
    with pytest.raises(ValueError):
        ret.compute_retention(subscriptions, as_of=date(2025, 5, 31), business="marketplace")
    with pytest.raises(ValueError):  # refused even when there is nothing to compute
        ret.compute_retention(None, as_of=date(2025, 5, 31), business="marketplace")


def test_keys_are_registered():
    for key in ("cohort_retention", "cohort_size", "retention_d7", "retention_d30", "churn",
                "nrr_monthly", "nrr_yearly", "new_order_share", "repeat_order_share"):
        assert REGISTRY[key].family == "retention"
    assert REGISTRY["churn"].direction == "down"
