"""MRR movements on a handful of subscriptions worked out by hand (engines/metrics/subscriptions)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from engines.metrics.frames import make_frame
from engines.metrics.subscriptions import (
    MOVEMENTS,
    SIGN,
    compute_subscriptions,
    customer_movements,
    monthly_movements,
    movement_rows,
    paying_spans,
)

AS_OF = date(2026, 4, 15)
NaT = None


def subs():
    # id, customer, plan, mrr, started, trial end, ended
    return make_frame("subscriptions", [
        (1, 1, "basic", 100.0, "2026-01-10", NaT, NaT),           # c1 new Jan 100
        (2, 2, "pro", 300.0, "2026-01-20", NaT, "2026-03-05"),    # c2 new Jan, churn Mar 300
        (3, 1, "pro", 50.0, "2026-02-03", NaT, "2026-04-01"),     # c1 +50 Feb, −50 Apr
        (4, 3, "basic", 80.0, "2026-02-01", "2026-02-15", NaT),   # c3 trial → new Feb 15, 80
        (5, 2, "pro", 200.0, "2026-04-10", NaT, NaT),             # c2 back: reactivation 200
        (6, 4, "basic", 60.0, "2026-03-01", "2026-03-15", "2026-03-10"),  # trial, never paid
        (7, 5, "basic", 40.0, "2026-03-20", NaT, "2026-05-01"),   # c5 new Mar; end is future
        (8, 6, "basic", 70.0, "2026-01-05", NaT, "2026-03-01"),   # c6 new Jan 70 …
        (9, 6, "pro", 90.0, "2026-03-01", NaT, NaT),              # … switches at the same
    ])                                                            # instant: expansion +20


def values(df, key, dimension="", dv=""):
    s = df[(df["key"] == key) & (df["dimension"] == dimension) & (df["dimension_value"] == dv)]
    return {p.strftime("%Y-%m"): v for p, v in zip(s["period"], s["value"])}


@pytest.fixture(scope="module")
def out():
    return compute_subscriptions(subs(), as_of=AS_OF, margin=0.5)


def test_movements_by_month(out):
    # Jan: c1 100 + c2 300 + c6 70 new. Feb: c1 expands 50, c3 new 80.
    # Mar: c6 plan switch +20, c2 churns 300, c5 new 40 (c4's trial never paid).
    # Apr (to the 15th): c1 contracts 50, c2 reactivates 200.
    assert values(out, "mrr_new") == {"2026-01": 470, "2026-02": 80, "2026-03": 40,
                                      "2026-04": 0}
    assert values(out, "mrr_new_customers") == {"2026-01": 3, "2026-02": 1, "2026-03": 1,
                                                "2026-04": 0}
    assert values(out, "mrr_expansion") == {"2026-01": 0, "2026-02": 50, "2026-03": 20,
                                            "2026-04": 0}
    assert values(out, "mrr_contraction")["2026-04"] == 50
    assert values(out, "mrr_churn") == {"2026-01": 0, "2026-02": 0, "2026-03": 300,
                                        "2026-04": 0}
    assert values(out, "mrr_reactivation")["2026-04"] == 200
    assert values(out, "mrr_net_new") == {"2026-01": 470, "2026-02": 130, "2026-03": -240,
                                          "2026-04": 150}
    # MRR at month end: 470, 600, 360 (c1 150 + c3 80 + c5 40 + c6 90), 510
    assert values(out, "mrr") == {"2026-01": 470, "2026-02": 600, "2026-03": 360,
                                  "2026-04": 510}
    assert values(out, "arr")["2026-04"] == 510 * 12
    assert values(out, "subscription_customers") == {"2026-01": 3, "2026-02": 4,
                                                     "2026-03": 4, "2026-04": 5}
    assert values(out, "arpa_mrr")["2026-04"] == pytest.approx(102.0)


def test_churn_and_retention_rates(out):
    # no customers at the start of January: no rates there
    assert "2026-01" not in values(out, "logo_churn")
    # March: 1 of the 4 customers paying on 1 March churned; (300 + 0) / 600 of MRR
    assert values(out, "logo_churn") == {"2026-02": 0, "2026-03": 0.25, "2026-04": 0}
    assert values(out, "mrr_churn_rate")["2026-03"] == pytest.approx(0.5)
    assert values(out, "mrr_churn_rate")["2026-04"] == pytest.approx(50 / 360)
    # NRR Feb: c1 100→150 of the 470 at the start; GRR caps the expansion
    assert values(out, "nrr_mrr")["2026-02"] == pytest.approx(520 / 470)
    assert values(out, "grr_mrr")["2026-02"] == pytest.approx(1.0)
    # Mar: 600 + 20 − 300; GRR 600 − 300. New c5 is outside both.
    assert values(out, "nrr_mrr")["2026-03"] == pytest.approx(320 / 600)
    assert values(out, "grr_mrr")["2026-03"] == pytest.approx(0.5)
    # Apr: c1 −50; c2's reactivation is outside (it paid nothing on 1 April)
    assert values(out, "nrr_mrr")["2026-04"] == pytest.approx(310 / 360)
    assert values(out, "grr_mrr")["2026-04"] == pytest.approx(310 / 360)


def test_subscription_ltv_and_trials(out):
    # Mar: ARPA 360/4 = 90; churn over the trailing months 1 / (0 + 3 + 4) → 90 × 0.5 × 7
    assert values(out, "subscription_ltv") == {"2026-03": pytest.approx(315.0),
                                               "2026-04": pytest.approx(102 * 0.5 * 11)}
    # c3's trial ended in Feb and paid; c4's trial (ends 15 Mar) was cancelled on 10 Mar
    assert values(out, "trials_ended") == {"2026-02": 1, "2026-03": 1}
    assert values(out, "trial_conversion") == {"2026-02": 1.0, "2026-03": 0.0}


def test_per_plan(out):
    # basic: c1 100 + c6 70 (Jan), c3 80 (Feb), c5 40 new and c6 leaves for pro (Mar)
    assert values(out, "mrr", "plan", "basic") == {"2026-01": 170, "2026-02": 250,
                                                   "2026-03": 220, "2026-04": 220}
    assert values(out, "mrr_churn", "plan", "basic")["2026-03"] == 70
    # pro: c2 300 (Jan), c1 50 (Feb), c6 90 new and c2 churns (Mar), c1 −50 churn of the
    # pair and c2 reactivates 200 (Apr)
    assert values(out, "mrr", "plan", "pro") == {"2026-01": 300, "2026-02": 350,
                                                 "2026-03": 140, "2026-04": 290}
    assert values(out, "mrr_new", "plan", "pro")["2026-03"] == 90
    assert values(out, "mrr_churn", "plan", "pro")["2026-04"] == 50
    assert values(out, "mrr_reactivation", "plan", "pro")["2026-04"] == 200


def test_drill_down_rows():
    rows = movement_rows(subs(), as_of=AS_OF, month=date(2026, 3, 1), kind="churn")
    assert rows["customer_id"].tolist() == [2]
    assert rows["amount"].tolist() == [300.0]
    rows = movement_rows(subs(), as_of=AS_OF, month=date(2026, 3, 1), kind="expansion")
    assert rows[["customer_id", "before", "after"]].values.tolist() == [[6, 70, 90]]


def test_identity_on_random_subscriptions():
    """MRR(end) = MRR(start) + new + expansion + reactivation − contraction − churn, and the
    end MRR equals a direct count of what pays at each month's end."""
    rng = np.random.default_rng(7)
    n = 3000
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    length = pd.to_timedelta(rng.integers(1, 700, n), "D")
    ended = pd.Series(start + length).where(rng.random(n) < 0.6)
    trial = pd.Series(start + pd.Timedelta(days=14)).where(rng.random(n) < 0.3)
    frame = pd.DataFrame({"subscription_id": np.arange(n), "customer_id":
                          rng.integers(0, 800, n), "plan": rng.choice(["a", "b"], n),
                          "mrr": rng.integers(1, 500, n) * 1.25, "started_at": start,
                          "trial_end": trial, "ended_at": ended})
    as_of = date(2026, 6, 30)
    spans = paying_spans(frame, as_of=as_of)
    mm = monthly_movements(customer_movements(spans), as_of=as_of)
    net = sum(SIGN[k] * mm[f"mrr_{k}"] for k in MOVEMENTS)
    assert (mm["mrr_end"] == mm["mrr_start"] + net).all()
    for month in mm.index[::5]:
        t = month + pd.offsets.MonthBegin(1)
        live = (spans["pay_from"] < t) & (spans["pay_to"].isna() | (spans["pay_to"] >= t))
        assert mm.loc[month, "mrr_end"] == spans.loc[live, "cents"].sum()
        assert mm.loc[month, "customers_end"] == spans.loc[live, "customer_id"].nunique()


def cohort(df, key, month):
    s = df[(df["key"] == key) & (df["dimension"] == "age")
           & (pd.to_datetime(df["period"]) == pd.Timestamp(month))]
    return {int(a): v for a, v in zip(s["dimension_value"], s["value"])}


def test_cohort_nrr_and_grr(out):
    # January cohort: c1 100, c2 300, c6 70 → starts at 470.
    # Feb: c1 150, c2 300, c6 70 = 520 (GRR caps c1 at 100 → 470).
    # Mar: c1 150, c2 churned 0, c6 90 = 240; capped 100 + 0 + 70 = 170.
    # Apr: c1 100, c2 back at 200, c6 90 = 390; capped 100 + 200 + 70 = 370.
    assert cohort(out, "cohort_mrr", "2026-01-01") == {0: 470, 1: 520, 2: 240, 3: 390}
    assert cohort(out, "nrr_cohort", "2026-01-01") == pytest.approx(
        {0: 1, 1: 520 / 470, 2: 240 / 470, 3: 390 / 470})
    assert cohort(out, "grr_cohort", "2026-01-01") == pytest.approx(
        {0: 1, 1: 1, 2: 170 / 470, 3: 370 / 470})
    assert cohort(out, "cohort_subscribers", "2026-01-01") == {0: 3, 1: 3, 2: 2, 3: 3}
    # February: c3 alone (80 after its trial); March: c5 (40; its May end has not happened)
    assert cohort(out, "cohort_mrr", "2026-02-01") == {0: 80, 1: 80, 2: 80}
    assert cohort(out, "nrr_cohort", "2026-03-01") == {0: 1, 1: 1}
    assert cohort(out, "cohort_mrr", "2026-04-01") == {}  # nobody first paid in April


def test_per_segment():
    out = compute_subscriptions(subs(), as_of=AS_OF, segments={"seg-a": [1, 2], "empty": []})
    # c1 + c2: Jan 100 + 300; Feb c1 +50; Mar c2 churns 300; Apr c1 −50, c2 back 200
    assert values(out, "mrr", "segment", "seg-a") == {"2026-01": 400, "2026-02": 450,
                                                      "2026-03": 150, "2026-04": 300}
    assert values(out, "mrr_churn", "segment", "seg-a")["2026-03"] == 300
    assert values(out, "mrr_reactivation", "segment", "seg-a")["2026-04"] == 200
    # Mar: of 450 at the start, c1 kept 150 → NRR 1/3; Apr: c1 150 → 100 (c2 was not
    # paying at the start, so its return is outside NRR): 100 / 150
    assert values(out, "nrr_mrr", "segment", "seg-a")["2026-03"] == pytest.approx(1 / 3)
    assert values(out, "nrr_mrr", "segment", "seg-a")["2026-04"] == pytest.approx(2 / 3)
    assert values(out, "grr_mrr", "segment", "seg-a")["2026-02"] == pytest.approx(1.0)
    assert not (out["dimension_value"] == "empty").any()
