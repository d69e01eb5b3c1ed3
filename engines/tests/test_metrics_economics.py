"""Unit economics on small hand-computed cases."""

from datetime import date

import pandas as pd
import pytest

from engines.metrics import economics as eco
from engines.metrics.frames import make_frame
from engines.metrics.registry import ATTRIBUTION_MODELS, REGISTRY, VALUE_COLUMNS

AS_OF = date(2025, 3, 31)


def val(df, key, period, dimension="", dimension_value=""):
    """The single value of one row, or None when the row is absent."""
    rows = df[(df["key"] == key) & (df["period"] == date.fromisoformat(period))
              & (df["dimension"] == dimension) & (df["dimension_value"] == dimension_value)]
    assert len(rows) <= 1
    return None if rows.empty else rows["value"].iloc[0]


@pytest.fixture
def orders():
    return make_frame("orders", [
        (1, 1, "2025-01-05", 100.0, "new", 0.5),
        (2, 1, "2025-02-05", 100.0, "renewal", None),
        (3, 2, "2025-01-15", 200.0, "new", 0.25),
        (4, 2, "2025-01-20", 50.0, "refund", None),
        (5, 3, "2025-02-10", 300.0, "new", None),
        (6, 1, "2025-03-05", 100.0, "renewal", None),
        (7, 2, "2025-02-15", 200.0, "renewal", 0.25),
        (8, 6, "2025-02-20", 40.0, "refund", None),  # a refund alone makes no customer
    ])


@pytest.fixture
def stage_changes():
    return make_frame("stage_changes", [
        (4, "lead", "customer", "2024-12-20"),  # customer by stage, never ordered
        (3, "lead", "customer", "2025-01-28"),  # stage before its first order (Feb 10)
        (1, "lead", "customer", "2025-01-07"),  # stage after its first order (Jan 5)
        (5, "lead", "customer", "2025-04-02"),  # after as_of
    ])


@pytest.fixture
def spend():
    return make_frame("spend", [
        ("2025-01-10", "paid_search", "", 300.0, 1000, 10),
        ("2025-01-10", "email", "", 0.0, 0, 0),
        ("2025-02-10", "paid_search", "", 150.0, 1000, 10),
        ("2025-02-10", "paid_social", "", 150.0, 1000, 10),
    ])


@pytest.fixture
def attributed():
    rows = [
        (1, "2025-01-05", "paid_search", 1.0, 100.0, "first_touch"),
        (2, "2025-01-15", "paid_search", 1.0, 200.0, "first_touch"),
        (3, "2025-01-28", "email", 1.0, 0.0, "first_touch"),
        (1, "2025-01-05", "paid_search", 0.5, 50.0, "linear"),
        (1, "2025-01-05", "email", 0.5, 50.0, "linear"),
        (2, "2025-01-15", "paid_search", 1.0, 200.0, "linear"),
        (3, "2025-01-28", "email", 1.0, 0.0, "linear"),
    ]
    df = pd.DataFrame(rows, columns=eco.ATTRIBUTED_COLUMNS)
    df["converted_at"] = pd.to_datetime(df["converted_at"])
    return df


@pytest.fixture
def out(orders, stage_changes, spend, attributed):
    return eco.compute_economics(orders, stage_changes, spend, attributed, as_of=AS_OF,
                                 default_margin=0.4)


def test_new_customers_first_stage_or_first_order(out):
    assert val(out, "new_customers", "2024-12-01") == 1  # contact 4 by stage
    assert val(out, "new_customers", "2025-01-01") == 3  # 1 (order Jan 5), 2, 3 (stage Jan 28)
    assert val(out, "new_customers", "2025-02-01") is None  # 3's first order is not "new" again
    assert val(out, "new_customers", "2025-04-01") is None  # after as_of


def test_revenue_orders_aov_arpa(out):
    assert val(out, "revenue", "2025-01-01") == 250  # 100 + 200 − 50 refund
    assert val(out, "orders", "2025-01-01") == 2  # refunds are not orders
    assert val(out, "paying_customers", "2025-01-01") == 2
    assert val(out, "aov", "2025-01-01") == pytest.approx(125.0)  # 250 / 2
    assert val(out, "arpa", "2025-01-01") == pytest.approx(125.0)  # 250 / 2 contacts
    assert val(out, "revenue", "2025-02-01") == 560  # 100 + 300 + 200 − 40
    assert val(out, "orders", "2025-02-01") == 3
    assert val(out, "aov", "2025-02-01") == pytest.approx(560 / 3)
    assert val(out, "arpa", "2025-02-01") == pytest.approx(560 / 3)  # 1, 2, 3 paid; 6 only refunded


def test_gross_margin_uses_order_margin_or_default(out):
    # Jan: (100×0.5 + 200×0.25) / 300 — refunds do not change the rate
    assert val(out, "gross_margin", "2025-01-01") == pytest.approx(100 / 300)
    # Feb: (100×0.4 default + 300×0.4 default + 200×0.25) / 600 = 210 / 600
    assert val(out, "gross_margin", "2025-02-01") == pytest.approx(0.35)
    assert val(out, "gross_margin", "2025-03-01") == pytest.approx(0.4)


def test_gross_margin_without_default_uses_known_margins_only(orders):
    out = eco.compute_economics(orders, as_of=AS_OF)
    assert val(out, "gross_margin", "2025-02-01") == pytest.approx(0.25)  # only order 7 known
    assert val(out, "gross_margin", "2025-03-01") is None  # nothing known


def test_blended_cac_and_roas(out):
    assert val(out, "cac", "2025-01-01") == pytest.approx(100.0)  # 300 / 3 new customers
    assert val(out, "cac", "2025-02-01") is None  # spend but no new customer
    assert val(out, "cac", "2024-12-01") is None  # new customer but no spend
    assert val(out, "roas", "2025-01-01") == pytest.approx(250 / 300)
    assert val(out, "roas", "2025-02-01") == pytest.approx(560 / 300)
    assert val(out, "roas", "2025-03-01") is None  # no spend
    # payback: CAC 100 / (ARPA 125 × margin 1/3) = 100 / 41.67
    assert val(out, "cac_payback_months", "2025-01-01") == pytest.approx(2.4)


def test_cac_and_roas_per_channel_per_model(out):
    ch = "channel"
    jan, ps = "2025-01-01", "paid_search"
    assert val(out, "cac.first_touch", jan, ch, ps) == pytest.approx(150.0)  # 300 / 2
    assert val(out, "roas.first_touch", jan, ch, ps) == pytest.approx(1.0)  # 300 / 300
    assert val(out, "cac.linear", jan, ch, ps) == pytest.approx(200.0)  # 300 / (0.5 + 1)
    assert val(out, "roas.linear", jan, ch, ps) == pytest.approx(250 / 300)  # (50 + 200) / 300
    # email had a 0 spend row: credited customers, but no CAC / ROAS
    assert val(out, "cac.first_touch", "2025-01-01", ch, "email") is None
    assert val(out, "roas.linear", "2025-01-01", ch, "email") is None
    # February: spend, nothing credited → ROAS 0, no CAC
    assert val(out, "roas.first_touch", "2025-02-01", ch, "paid_social") == 0.0
    assert val(out, "cac.first_touch", "2025-02-01", ch, "paid_social") is None
    # models absent from the attributed frame produce nothing
    assert val(out, "cac.markov", "2025-01-01", ch, "paid_search") is None


def test_subscription_ltv_from_churn(out):
    # active (new/renewal order within 31 days): Feb 1 {1, 2}, Mar 1 {1, 2, 3}, Apr 1 {1}
    # Feb churn 0 → no LTV; Mar churn 2/3, ARPA 100, margin 0.4 → 100 × 0.4 / (2/3) = 60
    assert val(out, "ltv_subscription", "2025-02-01") is None
    assert val(out, "ltv_subscription", "2025-03-01") == pytest.approx(60.0)


def test_payback_and_ltv_to_cac():
    orders = make_frame("orders", [
        (1, 1, "2025-01-10", 100.0, "new", 0.5),
        (2, 2, "2025-01-10", 100.0, "new", 0.5),
        (3, 1, "2025-02-10", 100.0, "renewal", 0.5),
        (4, 3, "2025-02-12", 100.0, "new", 0.5),
    ])
    spend = make_frame("spend", [("2025-02-01", "paid_search", "", 200.0, 0, 0)])
    out = eco.compute_economics(orders, None, spend, as_of=date(2025, 2, 28))
    # Feb: CAC 200/1 (contact 3); churn 1/2 (2 did not renew); ARPA 200/2 = 100; margin 0.5
    assert val(out, "cac", "2025-02-01") == pytest.approx(200.0)
    assert val(out, "ltv_subscription", "2025-02-01") == pytest.approx(100.0)  # 100×0.5/0.5
    assert val(out, "ltv_cac", "2025-02-01") == pytest.approx(0.5)  # 100 / 200
    assert val(out, "cac_payback_months", "2025-02-01") == pytest.approx(4.0)  # 200/(100×0.5)


@pytest.fixture
def cohort_orders():
    return make_frame("orders", [
        (1, 1, "2025-01-10", 100.0, "new", 0.5),  # 50
        (2, 1, "2025-06-01", 200.0, "new", None),  # default 0.4 → 80
        (3, 1, "2026-01-05", 100.0, "new", 0.5),  # month 12: outside the 12 months
        (4, 2, "2025-01-20", 100.0, "new", 0.3),  # 30
        (5, 2, "2025-03-01", 50.0, "refund", None),  # −50 × 0.4 = −20
        (6, 3, "2025-02-03", 100.0, "new", 0.5),  # February cohort: 50
        (7, 4, "2025-03-10", 100.0, "new", 0.5),  # March cohort: not 12 months old yet
        (8, 5, "2025-01-05", 30.0, "refund", None),  # refund-only contact: in no cohort
    ])


def test_cohort_ltv_12m(cohort_orders):
    ltv = eco.cohort_ltv_12m(cohort_orders, as_of=date(2026, 1, 31), default_margin=0.4)
    assert ltv[pd.Timestamp("2025-01-01")] == pytest.approx(70.0)  # (50 + 80 + 30 − 20) / 2
    assert ltv[pd.Timestamp("2025-02-01")] == pytest.approx(50.0)  # its months end Jan 2026
    assert pd.Timestamp("2025-03-01") not in ltv.index


def test_cohort_ltv_needs_known_margins(cohort_orders):
    ltv = eco.cohort_ltv_12m(cohort_orders, as_of=date(2026, 1, 31))
    assert pd.Timestamp("2025-01-01") not in ltv.index  # orders 2 and 5 have no margin
    assert ltv[pd.Timestamp("2025-02-01")] == pytest.approx(50.0)


def test_transactional_ltv_to_cac_uses_cohort_ltv(cohort_orders):
    spend = make_frame("spend", [("2025-01-15", "paid_search", "", 140.0, 0, 0)])
    out = eco.compute_economics(cohort_orders, None, spend, as_of=date(2026, 1, 31),
                                default_margin=0.4, business="transactional")
    assert val(out, "ltv_cohort_12m", "2025-01-01") == pytest.approx(70.0)
    assert val(out, "cac", "2025-01-01") == pytest.approx(70.0)  # 140 / contacts 1 and 2
    assert val(out, "ltv_cac", "2025-01-01") == pytest.approx(1.0)  # 70 / 70
    assert "ltv_subscription" not in set(out["key"])
    predicted = pd.Series([140.0], index=[pd.Timestamp("2025-01-01")])
    out = eco.compute_economics(cohort_orders, None, spend, as_of=date(2026, 1, 31),
                                default_margin=0.4, business="transactional",
                                predicted_ltv=predicted)
    assert val(out, "ltv_cac", "2025-01-01") == pytest.approx(2.0)  # 140 / 70


def test_week_grain_has_no_monthly_only_keys(orders, stage_changes, spend, attributed):
    out = eco.compute_economics(orders, stage_changes, spend, attributed, as_of=AS_OF,
                                grain="week", default_margin=0.4)
    assert val(out, "revenue", "2025-01-13") == 200  # Wed 15 Jan
    assert val(out, "revenue", "2025-01-20") == -50  # Mon 20 Jan: only the refund
    keys = set(out["key"])
    assert not keys & {"ltv_subscription", "ltv_cohort_12m", "ltv_cac", "cac_payback_months"}


def test_empty_and_unique(out):
    assert not out.duplicated(["key", "grain", "period", "dimension", "dimension_value"]).any()
    assert out["value"].notna().all()
    empty = eco.compute_economics(make_frame("orders", []), make_frame("stage_changes", []),
                                  make_frame("spend", []), eco.empty_attributed(), as_of=AS_OF)
    assert empty.empty and list(empty.columns) == VALUE_COLUMNS
    assert eco.compute_economics(None, as_of=AS_OF).empty


def test_bad_business_is_refused(orders):
    with pytest.raises(ValueError):
        eco.compute_economics(orders, as_of=AS_OF, business="marketplace")


def test_keys_are_registered():
    for key in ("new_customers", "revenue", "orders", "aov", "arpa", "gross_margin", "cac",
                "roas", "ltv_subscription", "ltv_cohort_12m", "ltv_cac", "cac_payback_months"):
        assert REGISTRY[key].family == "economics"
    for model in ATTRIBUTION_MODELS:
        assert REGISTRY[f"cac.{model}"].model == model
        assert REGISTRY[f"roas.{model}"].direction == "up"
