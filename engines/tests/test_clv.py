"""Predictive CLV: RFM summary, BG/NBD and Gamma-Gamma against the CDNOW sample and by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engines.metrics import clv
from engines.metrics.frames import make_frame
from engines.metrics.registry import REGISTRY, VALUE_COLUMNS

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
PAPER = clv.BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, CDNOW, weeks


@pytest.fixture(scope="module")
def cdnow_orders():
    raw = pd.read_csv(DATA / "CDNOW_sample.txt", sep=r"\s+", header=None, dtype={2: str},
                      names=["original_id", "contact_id", "date", "cds", "amount"])
    return pd.DataFrame({
        "order_id": np.arange(len(raw), dtype="int64"), "contact_id": raw["contact_id"],
        "occurred_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "amount": raw["amount"].astype(float), "kind": "new", "margin": np.nan})


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_orders):
    return clv.rfm_summary(cdnow_orders, calibration_end="1997-09-30", time_unit_days=7)


@pytest.fixture(scope="module")
def published():
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").set_index("ID")


def test_cdnow_summary_matches_published(cdnow_summary, published):
    s = cdnow_summary.reindex(published.index)
    assert len(cdnow_summary) == 2357
    assert s["frequency"].sum() == 2457 == published["x"].sum()
    # The published file rounds every value to 2 decimals: totals agree to that rounding.
    assert s["recency"].sum() == pytest.approx(published["t_x"].sum(), abs=2357 * 0.005)
    assert s["T"].sum() == pytest.approx(published["T"].sum(), abs=2357 * 0.005)
    assert (s["frequency"] - published["x"]).abs().max() == 0
    for ours, theirs in (("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")):
        assert (s[ours] - published[theirs]).abs().max() <= 0.0051


def test_bgnbd_reproduces_paper(cdnow_summary):
    s = cdnow_summary
    fit = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    for got, want in zip(fit, PAPER):
        assert got == pytest.approx(want, rel=0.01)
    # FHL 2005 report a log-likelihood of -9582.4 at the optimum.
    ll = clv.bgnbd_log_likelihood(fit, s["frequency"], s["recency"], s["T"])
    assert ll == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_fit_with_weights_equals_unweighted(published):
    # The fit compresses to unique (x, t_x, T) with counts; passing counts must give the same.
    grouped = published.groupby(["x", "t_x", "T"]).size().reset_index(name="n")
    a = clv.fit_bgnbd(published["x"], published["t_x"], published["T"])
    b = clv.fit_bgnbd(grouped["x"], grouped["t_x"], grouped["T"], weights=grouped["n"])
    assert np.allclose(a, b, rtol=1e-4)


def test_analytic_gradients_match_finite_differences(published):
    # The fits use hand-derived gradients; check them against central differences.
    x, t_x, t_cal = (published[c].to_numpy(float) for c in ("x", "t_x", "T"))
    rep = x > 0
    cases = [(clv._bgnbd_objective(x, t_x, t_cal, np.ones_like(x)), np.log([0.3, 4.0, 0.8, 2.5])),
             (clv._gg_objective(x[rep], published["zbar"].to_numpy(float)[rep],
                                np.ones(rep.sum())), np.log([6.0, 3.5, 15.0]))]
    for objective, theta in cases:
        _, grad = objective(theta)
        eps = 1e-6
        numeric = [(objective(theta + eps * e)[0] - objective(theta - eps * e)[0]) / (2 * eps)
                   for e in np.eye(len(theta))]
        assert grad == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_gamma_gamma_reproduces_paper(cdnow_summary):
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    assert len(repeat) == 946
    fit = clv.fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    for got, want in zip(fit, (6.25, 3.74, 15.45)):
        assert got == pytest.approx(want, rel=0.01)
    # Customer 1 (x = 2, zbar = 22.35) and a one-off buyer (population mean p v / (q - 1)),
    # as printed by lifetimes' documentation for the same fit: 24.6586 and 35.1710.
    spend = clv.expected_order_value(fit, [2, 0], [22.345, 0.0])
    assert spend == pytest.approx([24.6586, 35.1710], rel=1e-3)


def test_expected_purchases_hardie_spreadsheet(cdnow_summary):
    # Paper parameters: x = 2, t_x = 30.43, T = 38.86, next 39 weeks -> 1.226 (FHL 2005 / Hardie's
    # BG/NBD spreadsheet).
    assert clv.conditional_expected_purchases(PAPER, 39, 2, 30.43, 38.86) == pytest.approx(
        1.226, abs=1e-3)
    # E[X(t)] of a new customer under the fitted model, against Hardie's spreadsheet values.
    s = cdnow_summary
    fit = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    want = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    assert clv.expected_purchases(fit, times) == pytest.approx(want, abs=1e-3)


def test_expected_purchases_no_dropout_limit():
    # With b -> infinity nobody drops out and BG/NBD becomes the NBD model, whose answers are
    # closed-form: E[X(t)] = r t / alpha and E[Y(t) | x, T] = (r + x) t / (alpha + T).
    # r = 2, alpha = 4: E[X(4)] = 2 * 4 / 4 = 2;  x = 3, T = 6, t = 10: (2 + 3) * 10 / 10 = 5.
    params = clv.BGNBDParams(r=2.0, alpha=4.0, a=2.0, b=1e7)
    assert clv.expected_purchases(params, 4.0) == pytest.approx(2.0, rel=1e-5)
    assert clv.conditional_expected_purchases(params, 10.0, 3, 5.0, 6.0) == pytest.approx(
        5.0, rel=1e-5)
    assert clv.probability_alive(params, [0, 3], [0, 5.0], [6.0, 6.0]) == pytest.approx(1.0)


def test_conditional_expectation_heavy_buyers_stay_finite():
    # The paper's form overflows for x in the hundreds with a short history (inf x 0 = NaN).
    # For moderate x it agrees with the paper's form written out directly.
    from scipy.special import hyp2f1
    r, alpha, a, b = PAPER
    x, t_x, T, t = 30.0, 1.0, 1.5, 52.0
    paper_form = ((a + b + x - 1) / (a - 1)
                  * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                     * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
                  / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)))
    assert clv.conditional_expected_purchases(PAPER, t, x, t_x, T) == pytest.approx(paper_form)
    heavy = clv.conditional_expected_purchases(PAPER, [52.0, 520.0], [300, 1000], [0.5, 100],
                                               [0.6, 100])
    assert np.isfinite(heavy).all() and (heavy > 0).all()


def test_predicted_clv_matches_lifetimes_documentation(published):
    # lifetimes' docs: BG/NBD + Gamma-Gamma on this file, time=12, discount_rate=0.01, freq="D"
    # (30 time units per month) print 140.096218, 18.943466, 38.180575 for customers 1-3.
    bg = clv.fit_bgnbd(published["x"], published["t_x"], published["T"])
    gg = clv.fit_gamma_gamma(published["x"], published["zbar"])
    summary = published.rename(columns={"x": "frequency", "t_x": "recency",
                                        "zbar": "monetary_value"})
    spend = clv.expected_order_value(gg, summary["frequency"], summary["monetary_value"])
    value = clv.predicted_clv(bg, summary, spend, horizon_months=12, periods_per_month=30,
                              monthly_discount=0.01)
    assert value.loc[[1, 2, 3, 6]].to_numpy() == pytest.approx(
        [140.096218, 18.943466, 38.180575, 1003.868285], rel=1e-4)


def orders(*rows):
    return make_frame("orders", [dict(zip(["order_id", "contact_id", "occurred_at", "amount",
                                           "kind", "margin"], r)) for r in rows])


def test_rfm_summary_by_hand():
    # Customer 1: Jan 1 (10 + 5, same day = one purchase of 15), Jan 8 (20), Jan 22 (30); a
    # refund on Jan 25 and an order after the calibration end are ignored.
    #   frequency = 3 purchase days - 1 = 2; recency = 21 days; T = Jan 29 - Jan 1 = 28 days;
    #   mean repeat spend = (20 + 30) / 2 = 25.
    # Customer 2: one purchase Jan 15 -> frequency 0, recency 0, T = 14 days, spend 0.
    frame = orders((1, 1, "2024-01-01 09:00", 10.0, "new", np.nan),
                   (2, 1, "2024-01-01 17:00", 5.0, "new", np.nan),
                   (3, 1, "2024-01-08 12:00", 20.0, "renewal", np.nan),
                   (4, 1, "2024-01-22 12:00", 30.0, "expansion", np.nan),
                   (5, 1, "2024-01-25 12:00", 30.0, "refund", np.nan),
                   (6, 1, "2024-02-02 12:00", 99.0, "new", np.nan),
                   (7, 2, "2024-01-15 12:00", 40.0, "new", np.nan))
    weeks = clv.rfm_summary(frame, calibration_end="2024-01-29", time_unit_days=7)
    assert weeks.loc[1].to_dict() == pytest.approx(
        {"frequency": 2, "recency": 3.0, "T": 4.0, "monetary_value": 25.0})
    assert weeks.loc[2].to_dict() == pytest.approx(
        {"frequency": 0, "recency": 0.0, "T": 2.0, "monetary_value": 0.0})
    days = clv.rfm_summary(frame, calibration_end="2024-01-29", time_unit_days=1)
    assert days.loc[1, ["recency", "T"]].tolist() == [21.0, 28.0]
    # An order on the calibration end day itself counts.
    assert clv.rfm_summary(frame, calibration_end="2024-02-02", time_unit_days=1).loc[
        1, "frequency"] == 3


def simulate_orders(n: int, seed: int = 0, params=(0.5, 10.0, 1.0, 4.0), days: int = 365):
    """Orders of n customers who follow BG/NBD (time in days) and spend Gamma-Gamma amounts."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = params
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    first = rng.integers(0, days // 2, n)
    horizon = days - first
    arrivals = rng.poisson(lam * horizon)
    # BG/NBD drops a customer out right after a *repeat* purchase with probability p, so the
    # number of repeat purchases a customer can make is geometric on 1, 2, ...
    alive_for = rng.geometric(p)
    count = np.minimum(arrivals, alive_for)
    who = np.repeat(np.arange(n), arrivals)
    # Arrival times of a Poisson process on (0, horizon] given their number: sorted uniforms.
    when = rng.random(len(who)) * horizon[who]
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    rank = np.arange(len(who)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < count[who]
    who = np.concatenate([np.arange(n), who[keep]])
    offset = np.concatenate([np.zeros(n), when[keep]])
    nu = rng.gamma(4.0, 1 / 20.0, n)  # per-customer spend rate (Gamma-Gamma: p=6, q=4, v=20)
    amount = rng.gamma(6.0, 1 / nu[who])
    start = pd.Timestamp("2023-01-01")
    return pd.DataFrame({
        "order_id": np.arange(len(who), dtype="int64"), "contact_id": who.astype("int64"),
        "occurred_at": start + pd.to_timedelta(first[who] + offset, unit="D"),
        "amount": amount, "kind": "new", "margin": np.nan})


def test_fit_recovers_simulated_parameters():
    # Loose tolerances: 20,000 customers, and counting purchases once per day biases alpha up.
    frame = simulate_orders(20000, seed=1)
    s = clv.rfm_summary(frame, calibration_end="2023-12-31", time_unit_days=1)
    fit = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert fit.r == pytest.approx(0.5, rel=0.15)
    assert fit.alpha == pytest.approx(10.0, rel=0.25)
    assert fit.a == pytest.approx(1.0, rel=0.25)
    assert fit.b == pytest.approx(4.0, rel=0.3)


def test_compute_clv_long_frame():
    frame = simulate_orders(3000, seed=2)
    frame.loc[frame.index[:50], "margin"] = 0.6
    as_of = dt.date(2023, 12, 31)
    out = clv.compute_clv(frame, as_of=as_of, margin_default=0.4)
    assert list(out.columns) == VALUE_COLUMNS
    assert set(out["key"]) == {"ltv_predicted", "expected_purchases_12m"}
    assert (out["grain"] == "month").all() and (out["dimension"] == "").all()
    assert set(out["period"]) == {dt.date(2023, 12, 1)}
    assert np.isfinite(out["value"]).all() and (out["value"] > 0).all()

    preds = clv.customer_predictions(frame, as_of=as_of, margin_default=0.4)
    active = preds[preds["days_since_last_purchase"] <= 90]
    values = out.set_index("key")["value"]
    assert values["ltv_predicted"] == pytest.approx(active["ltv_predicted"].mean())
    assert values["expected_purchases_12m"] == pytest.approx(active["expected_purchases"].mean())
    # Undiscounted LTV is exactly purchases x spend x margin.
    assert preds["ltv_predicted"].to_numpy() == pytest.approx(
        (preds["expected_purchases"] * preds["expected_order_value"] * preds["margin"]).to_numpy())
    assert set(preds["margin"].round(6)) >= {0.4}
    # A monthly discount rate can only lower the value.
    discounted = clv.compute_clv(frame, as_of=as_of, margin_default=0.4, monthly_discount=0.01)
    assert (discounted.set_index("key")["value"]["ltv_predicted"] < values["ltv_predicted"])


def test_compute_clv_without_repeat_buyers_is_empty():
    frame = orders((1, 1, "2024-01-01", 10.0, "new", np.nan), (2, 2, "2024-01-03", 5.0, "new", 0.5))
    out = clv.compute_clv(frame, as_of="2024-01-31", margin_default=0.4)
    assert out.empty and list(out.columns) == VALUE_COLUMNS


def test_keys_registered():
    assert REGISTRY["ltv_predicted"].unit == "currency"
    assert REGISTRY["expected_purchases_12m"].unit == "count"
    assert {REGISTRY[k].family for k in ("ltv_predicted", "expected_purchases_12m")} == {"clv"}


def test_hypergeometric_series_matches_scipy_where_scipy_is_finite():
    from scipy.special import hyp2f1

    from engines.metrics.clv import _hyp2f1_series

    a, b, c, z = np.array([-3.5, 1.2]), np.array([0.5, -0.7]), np.array([2.0, 6.0]), \
        np.array([0.3, 0.01])
    assert np.allclose(_hyp2f1_series(a, b, c, z), hyp2f1(a, b, c, z), rtol=1e-12)


def test_near_poisson_fit_still_gives_finite_expected_purchases():
    """Subscription-like data drive r and alpha to ~1e6 (rates barely vary); scipy's 2F1 then
    returns inf, but as A → -inf with A·z → -mu the series tends to Kummer's 1F1(b; c; -mu),
    an independent reference."""
    from scipy.special import hyp1f1

    from engines.metrics.clv import _hyp2f1

    r, alpha, t, big_t = 942838.8, 4746934.2, 52.0, 40.0
    a_, b_ = 0.2422, 5.837
    z = t / (alpha + big_t + t)
    mu = -(a_ + b_ - 1 - r) * z
    got = _hyp2f1(a_ + b_ - 1 - r, a_ - 1, a_ + b_ + 5 - 1, z)
    assert np.isfinite(got)
    assert got == pytest.approx(hyp1f1(a_ - 1, a_ + b_ + 5 - 1, -mu), rel=1e-4)


def test_expected_purchases_in_the_homogeneous_dropout_limit():
    """Subscription-like orders fit a and b in the millions (the dropout probability p barely
    varies). In that limit each purchase ends the customer with the same p, and
    E[X(t)] = E_λ[(1 − e^(−λ p t)) / p] = (1 − (α / (α + p t))^r) / p  for λ ~ Gamma(r, α)."""
    r, alpha, p, t = 1.75, 11.3, 0.4, 52.0
    params = clv.BGNBDParams(r=r, alpha=alpha, a=2e6 * p / 0.4, b=2e6 * (1 - p) / 0.4)
    expected = (1 - (alpha / (alpha + p * t)) ** r) / p
    got = float(np.atleast_1d(clv.expected_purchases(params, t))[0])
    assert got == pytest.approx(expected, rel=1e-4)
    # and the conditional expectation stays finite for every customer
    cond = clv.conditional_expected_purchases(params, t, [0, 3, 10], [0, 20.0, 40.0],
                                              [45.0, 45.0, 45.0])
    assert np.all(np.isfinite(cond)) and np.all(cond >= 0)
