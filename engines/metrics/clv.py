"""Predictive customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend.

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science.
Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", JMR; formulas
as in Fader & Hardie's note "The Gamma-Gamma model of monetary value" (2013).

Both are maximum-likelihood fits with scipy over closed-form log-likelihoods. The BG/NBD
likelihood depends on a customer only through (frequency, recency, T), so the fit runs on the
unique triples with their counts as weights. Time is measured in a unit of `time_unit_days`
days (7 = weeks, as in the papers); purchases are counted once per calendar day.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from .blas import one_blas_thread
from .registry import VALUE_COLUMNS

DAYS_PER_MONTH = 365.25 / 12


class BGNBDParams(NamedTuple):
    r: float
    alpha: float
    a: float
    b: float


class GammaGammaParams(NamedTuple):
    p: float
    q: float
    v: float


def rfm_summary(orders: pd.DataFrame, *, calibration_end, time_unit_days: float = 7.0
                ) -> pd.DataFrame:
    """Per customer: frequency, recency, T (in time units) and mean repeat-purchase value."""
    end = pd.Timestamp(calibration_end).normalize()
    before_end = orders["occurred_at"] < end + pd.Timedelta(days=1)  # the whole last day counts
    kept = orders[(orders["kind"] != "refund") & before_end]
    contact = kept["contact_id"].to_numpy(dtype=np.int64)
    day = kept["occurred_at"].to_numpy().astype("datetime64[D]").astype(np.int64)
    amount = kept["amount"].to_numpy(dtype=float)
    if len(contact) == 0:
        empty = pd.Index([], dtype=np.int64, name="contact_id")
        return pd.DataFrame({c: pd.Series(dtype=float, index=empty)
                             for c in ("frequency", "recency", "T", "monetary_value")})
    # One sort on a (contact, day) key, then run boundaries: no per-customer Python loop.
    day0 = int(day.min())
    order = np.argsort(((contact - contact.min()) << 21) | (day - day0), kind="stable")
    contact, day, amount = contact[order], day[order], amount[order]
    new_day = np.ones(len(day), dtype=bool)
    new_day[1:] = (contact[1:] != contact[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new_day)
    # Several orders on one day are one purchase (as lifetimes' summary does): sum their amounts.
    p_contact, p_day, p_amount = contact[starts], day[starts], np.add.reduceat(amount, starts)
    new_customer = np.ones(len(p_day), dtype=bool)
    new_customer[1:] = p_contact[1:] != p_contact[:-1]
    firsts = np.flatnonzero(new_customer)
    lasts = np.append(firsts[1:], len(p_day)) - 1
    repeats = lasts - firsts  # purchase days after the first one
    unit_days = float(time_unit_days)
    end_day = end.to_datetime64().astype("datetime64[D]").astype(np.int64)
    # Mean spend of the repeat purchases only: the first purchase is excluded, as in the paper.
    repeat_spend = np.add.reduceat(p_amount, firsts) - p_amount[firsts]
    out = pd.DataFrame({
        "frequency": repeats.astype(float),
        "recency": (p_day[lasts] - p_day[firsts]) / unit_days,
        "T": (end_day - p_day[firsts]) / unit_days,
        "monetary_value": np.where(repeats > 0, repeat_spend / np.maximum(repeats, 1), 0.0),
    }, index=pd.Index(p_contact[firsts], name="contact_id"))
    return out


def _compress(*columns: np.ndarray, weights=None):
    """Unique rows of the given columns with summed weights (the likelihood only needs those)."""
    frame = pd.DataFrame({f"c{i}": np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    frame["w"] = 1.0 if weights is None else np.asarray(weights, dtype=float)
    grouped = frame.groupby(list(frame.columns[:-1]), sort=False, as_index=False)["w"].sum()
    return [grouped[f"c{i}"].to_numpy() for i in range(len(columns))] + [grouped["w"].to_numpy()]


def bgnbd_log_likelihood(params: BGNBDParams, frequency, recency, T, weights=None) -> float:
    """Total BG/NBD log-likelihood (FHL 2005, eq. 6) of the customers, optionally weighted."""
    x, t_x, t_cal = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    return float(np.sum(w * _bgnbd_ll(params, x, t_x, t_cal)))


def _bgnbd_ll(params, x, t_x, t_cal):
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + t_cal)
    repeat = x > 0
    # The "dropped out after the last purchase" term exists only for repeat buyers.
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = (betaln(a + 1, b + x[repeat] - 1) - betaln(a, b)
                       - (r + x[repeat]) * np.log(alpha + t_x[repeat]))
    return head + np.logaddexp(alive, dropped)


def _dot(w, values) -> float:
    # Not BLAS `@`: multithreaded dot products crawl on a busy machine; this is one pass anyway.
    return float(np.sum(w * values))


def _bgnbd_objective(x, t_x, t_cal, w):
    """Mean negative log-likelihood and its gradient in log-parameters, for L-BFGS-B."""
    # Transcendental functions run on the few distinct x, T and t_x values, then get gathered.
    ux, ix = np.unique(x, return_inverse=True)
    uT, iT = np.unique(t_cal, return_inverse=True)
    ut, it = np.unique(t_x, return_inverse=True)
    rep = ux > 0
    xr = np.where(rep, ux, 1.0)  # keeps the x = 0 rows of "dropped" terms finite (masked below)
    w = w / w.sum()

    def f(theta):
        r, alpha, a, b = np.exp(theta)
        rx = (r + ux)[ix]
        log_T, log_t = np.log(alpha + uT)[iT], np.log(alpha + ut)[it]
        head = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
        alive = (betaln(a, b + ux) - betaln(a, b))[ix] - rx * log_T
        dropped = np.where(rep, betaln(a + 1, b + xr - 1) - betaln(a, b), -np.inf)[ix] - rx * log_t
        top = np.maximum(alive, dropped)
        e_alive, e_dropped = np.exp(alive - top), np.exp(dropped - top)
        total = e_alive + e_dropped
        ll = head[ix] + top + np.log(total)
        s1, s2 = e_alive / total, e_dropped / total  # each term's share of the likelihood
        dg = digamma
        d_r = (dg(r + ux) - dg(r) + np.log(alpha))[ix] - s1 * log_T - s2 * log_t
        d_alpha = (r / alpha - s1 * rx / (alpha + uT)[iT] - s2 * rx / (alpha + ut)[it])
        d_a1 = dg(a + b) - dg(a + b + ux)
        d_a2 = np.where(rep, dg(a + 1) - dg(a) + d_a1, 0.0)
        d_b1 = dg(b + ux) - dg(b) + d_a1
        d_b2 = np.where(rep, dg(b + xr - 1) - dg(b) + d_a1, 0.0)
        d_a = s1 * d_a1[ix] + s2 * d_a2[ix]
        d_b = s1 * d_b1[ix] + s2 * d_b2[ix]
        grad = np.array([_dot(w, d_r) * r, _dot(w, d_alpha) * alpha, _dot(w, d_a) * a,
                         _dot(w, d_b) * b])
        return -_dot(w, ll), -grad

    return f


def fit_bgnbd(frequency, recency, T, weights=None) -> BGNBDParams:
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b)."""
    x, t_x, t_cal, w = _compress(frequency, recency, T, weights=weights)
    if not (x > 0).any():
        raise ValueError("BG/NBD needs at least one repeat purchase")
    # Rescale time so alpha starts near 1 whatever the unit; alpha scales back linearly.
    scale = 10.0 / max(float(t_cal.max()), 1e-9)
    best = _minimize(_bgnbd_objective(x, t_x * scale, t_cal * scale, w), np.zeros(4))
    r, alpha, a, b = np.exp(best)
    return BGNBDParams(float(r), float(alpha / scale), float(a), float(b))


def _minimize(objective, start):
    # L-BFGS-B with analytic gradients in log-parameter space (positivity for free). Its
    # iterations call BLAS on vectors of 3–4 numbers: with OpenBLAS' default threads each call
    # wakes a thread pool, which cost ~4 ms a call on a busy 2-core machine (1.4 s of a 100k
    # recompute); one thread gives the same iterates, 5× faster.
    with one_blas_thread():
        result = minimize(objective, start, jac=True, method="L-BFGS-B",
                          bounds=[(-15, 15)] * len(start),
                          options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-10})
    if not np.isfinite(result.fun):
        raise ValueError(f"maximum-likelihood fit failed: {result.message}")
    return result.x


# Both expectations below use Euler's transformation
#   2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z)
# so the factor ((alpha + T) / (alpha + T + t))^(r + x) = (1 - z)^(r + x) cancels analytically:
# the paper's form multiplies an overflowing 2F1 by an underflowing power for heavy buyers
# (x in the hundreds), giving inf or NaN; this form stays finite and is otherwise identical.
def expected_purchases(params: BGNBDParams, t) -> np.ndarray:
    """E[X(t)]: expected purchases in (0, t] of a new customer (FHL 2005, eq. 9)."""
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * _one_minus_scaled_hyp(r, b, a, z)


def _one_minus_scaled_hyp(r_x, b_x, a, z) -> np.ndarray:
    """1 - (1 - z)^(r_x) 2F1(r_x, b_x; c; z), c = a + b_x - 1, as in eq. 9 (r_x = r, b_x = b)
    and eq. 10 (r_x = r + x, b_x = b + x).

    Euler's form (above) first; where it is not finite, the paper's own form. That happens when
    the fit drives a and b to millions (dropout odds barely vary between customers, as in
    subscription data): (1 - z)^(a - 1) underflows to 0 while its 2F1 overflows, but the
    paper's 2F1(r_x, b_x; c; z) then converges like (1 - (1 - p) z)^-(r_x), p = a / (a + b)."""
    r_x, b_x, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (r_x, b_x, z)))
    c = a + b_x - 1
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        out = np.array(1 - (1 - z) ** (a - 1) * _hyp2f1(c - r_x, a - 1, c, z), dtype=float,
                       ndmin=1)
        bad = ~np.isfinite(out)
        if bad.any():
            rb, bb, cb, zb = (np.atleast_1d(v)[bad] for v in (r_x, b_x, c, z))
            out[bad] = 1 - (1 - zb) ** rb * _hyp2f1(rb, bb, cb, zb)
    return out.reshape(np.shape(z))


def _hyp2f1(a, b, c, z) -> np.ndarray:
    """scipy's 2F1, with the power series summed directly where scipy gives up.

    When purchase rates hardly vary between customers (subscription-like data) the fit drives
    r and alpha to huge values with r/alpha finite; then the first parameter is a large negative
    number, z = t/(alpha + T + t) is tiny, and scipy returns inf/nan although the series
    sum (a)_k (b)_k / (c)_k z^k / k! converges quickly (|a z| is about the purchases expected
    in t)."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    out = np.array(hyp2f1(a, b, c, z), dtype=float, ndmin=1)
    bad = ~np.isfinite(out)
    if bad.any():
        out[bad] = _hyp2f1_series(*(np.atleast_1d(v)[bad] for v in (a, b, c, z)))
    return out.reshape(np.shape(a))


def _hyp2f1_series(a, b, c, z, max_terms: int = 5000) -> np.ndarray:
    """The Gauss series of 2F1 for |z| < 1, summed term by term until the terms vanish."""
    term, total = np.ones_like(z), np.ones_like(z)
    for k in range(max_terms):
        term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total = total + term
        if np.all(np.abs(term) <= 1e-15 * np.maximum(np.abs(total), 1e-300)):
            break
    return total


def conditional_expected_purchases(params: BGNBDParams, t, frequency, recency, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (FHL 2005, eq. 10)."""
    x, t_x, t_cal = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _conditional_expected(params, t, x, t_x, t_cal, _pairs(x, t_cal))


def _pairs(x: np.ndarray, t_cal: np.ndarray):
    """(distinct x, their T, each customer's pair) when there are many customers, else None:
    the hypergeometric part of eq. 10 depends on (x, T) only, and customers share a few
    thousand pairs."""
    if x.ndim != 1 or t_cal.shape != x.shape or len(x) <= 1000:
        return None
    pair = np.empty(len(x), dtype=np.complex128)
    pair.real, pair.imag = x, t_cal
    upair, back = np.unique(pair, return_inverse=True)
    if len(upair) > len(x) // 2:
        return None  # too few repeats to be worth the gather
    return upair.real.copy(), upair.imag.copy(), back


def _conditional_expected(params, t, x, t_x, t_cal, pairs) -> np.ndarray:
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    if t.ndim == 0 and pairs is not None:
        # evaluated once per distinct pair and gathered: elementwise, so the same numbers
        ux, uT, back = pairs
        hyp = _one_minus_scaled_hyp(r + ux, b + ux, a, t / (alpha + uT + t))[back]
    else:
        hyp = _one_minus_scaled_hyp(r + x, b + x, a, t / (alpha + t_cal + t))
    numerator = (a + b + x - 1) / (a - 1) * hyp
    return numerator / (1 + _dropout_odds(params, x, t_x, t_cal))


def _dropout_odds(params, x, t_x, t_cal):
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = a / (b + x - 1) * ((alpha + t_cal) / (alpha + t_x)) ** (r + x)
    return np.where(x > 0, odds, 0.0)


def probability_alive(params: BGNBDParams, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) under BG/NBD (1 for customers with no repeat purchase)."""
    x, t_x, t_cal = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return 1.0 / (1.0 + _dropout_odds(params, x, t_x, t_cal))


def _gg_objective(x, zbar, w):
    """Mean negative Gamma-Gamma log-likelihood and its gradient in log-parameters."""
    ux, ix = np.unique(x, return_inverse=True)
    log_z, log_x = np.log(zbar), np.log(x)
    w = w / w.sum()

    def f(theta):
        p, q, v = np.exp(theta)
        px = (p * ux)[ix]
        log_xzv = np.log(x * zbar + v)
        ll = ((gammaln(p * ux + q) - gammaln(p * ux))[ix] - gammaln(q) + q * np.log(v)
              + (px - 1) * log_z + px * log_x - (px + q) * log_xzv)
        dg_pxq = digamma(p * ux + q)[ix]
        d_p = x * (dg_pxq - digamma(p * ux)[ix] + log_z + log_x - log_xzv)
        d_q = dg_pxq - digamma(q) + np.log(v) - log_xzv
        d_v = q / v - (px + q) / (x * zbar + v)
        return -_dot(w, ll), -np.array([_dot(w, d_p) * p, _dot(w, d_q) * q, _dot(w, d_v) * v])

    return f


def fit_gamma_gamma(frequency, monetary_value, weights=None) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma (p, q, v) on repeat customers' mean repeat spend."""
    x, zbar = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = (x > 0) & (zbar > 0)
    x, zbar, w = x[keep], zbar[keep], w[keep]
    if len(x) < 2:
        raise ValueError("Gamma-Gamma needs at least two repeat customers")
    scale = 1.0 / float(np.average(zbar, weights=w))  # v is in money: fit in mean-spend units
    p, q, v = np.exp(_minimize(_gg_objective(x, zbar * scale, w), np.zeros(3)))
    return GammaGammaParams(float(p), float(q), float(v / scale))


def expected_order_value(params: GammaGammaParams, frequency, monetary_value) -> np.ndarray:
    """E[Z | x, zbar]: a customer's expected spend per purchase (the population mean if x = 0)."""
    p, q, v = params
    x = np.asarray(frequency, dtype=float)
    zbar = np.asarray(monetary_value, dtype=float)
    weight = p * x / (p * x + q - 1)
    return (1 - weight) * (v * p / (q - 1)) + weight * zbar


def predicted_clv(bgnbd: BGNBDParams, summary: pd.DataFrame, spend, *, horizon_months: int = 12,
                  periods_per_month: float = DAYS_PER_MONTH / 7, monthly_discount: float = 0.0,
                  margin=1.0) -> pd.Series:
    """Expected (discounted) value over the horizon: purchases × spend × margin, month by month."""
    x, t_x, t_cal = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    pairs = _pairs(x, t_cal)
    if monthly_discount == 0:  # undiscounted: the month steps telescope to one evaluation
        value = _conditional_expected(bgnbd, horizon_months * periods_per_month,
                                      x, t_x, t_cal, pairs)
    else:
        value, before = np.zeros(len(summary)), np.zeros(len(summary))
        for month in range(1, horizon_months + 1):  # months loop, vectorised over customers
            upto = _conditional_expected(bgnbd, month * periods_per_month, x, t_x, t_cal,
                                         pairs)
            value += (upto - before) / (1 + monthly_discount) ** month
            before = upto
    return pd.Series(value * np.asarray(spend, dtype=float) * np.asarray(margin, dtype=float),
                     index=summary.index, name="ltv_predicted")


def _customer_margin(orders: pd.DataFrame, margin_default: float) -> pd.Series:
    # Amount-weighted mean of the orders' margins, the workspace default standing in for NaN.
    kept = orders[orders["kind"] != "refund"]
    margin = kept["margin"].fillna(margin_default).to_numpy() * kept["amount"].to_numpy()
    sums = pd.DataFrame({"contact_id": kept["contact_id"].to_numpy(), "m": margin,
                         "a": kept["amount"].to_numpy()}).groupby("contact_id").sum()
    return (sums["m"] / sums["a"].where(sums["a"] > 0)).fillna(margin_default)


def _expected_spend(orders: pd.DataFrame, summary: pd.DataFrame):
    """Gamma-Gamma expected spend per customer, or the plain mean order value when it can't fit."""
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    try:
        gg = fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])
    except ValueError:
        gg = None
    # q <= 1 means the fitted population mean spend is infinite: not a usable model.
    if gg is None or gg.q <= 1:
        kept = orders[(orders["kind"] != "refund") & (orders["amount"] > 0)]
        return np.full(len(summary), float(kept["amount"].mean())), None
    return expected_order_value(gg, summary["frequency"], summary["monetary_value"]), gg


def customer_predictions(orders: pd.DataFrame, *, as_of, margin_default: float,
                         horizon_months: int = 12, time_unit_days: float = 7.0,
                         monthly_discount: float = 0.0) -> pd.DataFrame:
    """Per customer: RFM, P(alive), expected purchases, expected order value, margin, LTV."""
    as_of = pd.Timestamp(as_of)
    summary = rfm_summary(orders, calibration_end=as_of, time_unit_days=time_unit_days)
    columns = ["frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
               "expected_order_value", "margin", "ltv_predicted", "days_since_last_purchase"]
    if summary.empty or not (summary["frequency"] > 0).any():
        return pd.DataFrame(columns=columns, index=summary.index[:0], dtype=float)
    x, t_x, t_cal = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    bg = fit_bgnbd(x, t_x, t_cal)
    spend, gg = _expected_spend(orders, summary)
    periods_per_month = DAYS_PER_MONTH / time_unit_days
    horizon = horizon_months * periods_per_month
    out = summary.copy()
    out["p_alive"] = probability_alive(bg, x, t_x, t_cal)
    out["expected_purchases"] = conditional_expected_purchases(bg, horizon, x, t_x, t_cal)
    out["expected_order_value"] = spend
    out["margin"] = _customer_margin(orders, margin_default).reindex(out.index).fillna(
        margin_default)
    out["ltv_predicted"] = predicted_clv(
        bg, summary, spend, horizon_months=horizon_months, periods_per_month=periods_per_month,
        monthly_discount=monthly_discount, margin=out["margin"].to_numpy())
    # whole days: T and recency are day counts divided by the unit, so rebuilding the count
    # as a float gives 89.99999999999997 or 90.00000000000003 for a customer 90 days out
    out["days_since_last_purchase"] = np.rint(
        (out["T"] - out["recency"]) * time_unit_days).astype(np.int64)
    out.attrs.update(bgnbd=bg, gamma_gamma=gg)
    return out[columns]


def compute_clv(orders: pd.DataFrame, *, as_of, margin_default: float, horizon_months: int = 12,
                time_unit_days: float = 7.0, monthly_discount: float = 0.0,
                active_window_days: float | None = 90) -> pd.DataFrame:
    """ltv_predicted and expected_purchases_12m: means over active customers, month of as_of."""
    preds = customer_predictions(orders, as_of=as_of, margin_default=margin_default,
                                 horizon_months=horizon_months, time_unit_days=time_unit_days,
                                 monthly_discount=monthly_discount)
    return clv_values(preds, as_of=as_of, active_window_days=active_window_days)


def clv_values(preds: pd.DataFrame, *, as_of, active_window_days: float | None = 90
               ) -> pd.DataFrame:
    """The workspace's CLV keys from customer_predictions' frame."""
    if active_window_days is not None:
        preds = preds[preds["days_since_last_purchase"] <= active_window_days]
    if preds.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object)
                             for c in VALUE_COLUMNS})
    period = pd.Timestamp(as_of).normalize().replace(day=1).date()
    values = {"ltv_predicted": preds["ltv_predicted"].mean(),
              "expected_purchases_12m": preds["expected_purchases"].mean()}
    rows = [{"key": k, "grain": "month", "period": period, "dimension": "",
             "dimension_value": "", "value": float(v)} for k, v in values.items() if np.isfinite(v)]
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


# --- what the models fitted, for the Models page and the API -----------------------------------

def gamma_gamma_log_likelihood(params: GammaGammaParams, frequency, monetary_value) -> float:
    """Total Gamma-Gamma log-likelihood of repeat customers' mean repeat spend (money units)."""
    p, q, v = params
    x, z = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (z > 0)
    x, z = x[keep], z[keep]
    px = p * x
    return float(np.sum(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v)
                        + (px - 1) * np.log(z) + px * np.log(x) - (px + q) * np.log(x * z + v)))


def holdout_check(orders: pd.DataFrame, *, as_of, holdout_days: int = 90,
                  time_unit_days: float = 7.0) -> dict | None:
    """Fit BG/NBD on the orders up to as_of − holdout_days, predict the customers' repeat
    purchases (purchase days) in the holdout days, and count those that happened. None when
    the calibration period has no repeat buyer to fit."""
    as_of = pd.Timestamp(as_of).normalize()
    cal_end = as_of - pd.Timedelta(days=holdout_days)
    summary = rfm_summary(orders, calibration_end=cal_end, time_unit_days=time_unit_days)
    if summary.empty or not (summary["frequency"] > 0).any():
        return None
    x, t_x, t_cal = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    try:
        bg = fit_bgnbd(x, t_x, t_cal)
    except (ValueError, np.linalg.LinAlgError):
        return None
    predicted = conditional_expected_purchases(bg, holdout_days / time_unit_days, x, t_x, t_cal)
    later = orders[(orders["kind"] != "refund")
                   & (orders["occurred_at"] >= cal_end + pd.Timedelta(days=1))
                   & (orders["occurred_at"] < as_of + pd.Timedelta(days=1))
                   & orders["contact_id"].isin(summary.index)]
    days = later["occurred_at"].to_numpy().astype("datetime64[D]")
    actual = len(pd.DataFrame({"c": later["contact_id"].to_numpy(), "d": days}
                              ).drop_duplicates())
    return {"calibration_end": cal_end.date(), "params": bg, "n": len(summary),
            "predicted": float(np.nansum(predicted)), "actual": float(actual)}


def fit_report(orders: pd.DataFrame, preds: pd.DataFrame) -> list[dict]:
    """BG/NBD and Gamma-Gamma as customer_predictions fitted them: parameters, log-likelihood,
    customers fitted and the history the fit read."""
    out = []
    bg, gg = preds.attrs.get("bgnbd"), preds.attrs.get("gamma_gamma")
    sales = orders[orders["kind"] != "refund"]
    history = (sales["occurred_at"].min().date(), sales["occurred_at"].max().date()) \
        if len(sales) else (None, None)
    if bg is not None:
        x, t_x, t_cal = (preds[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        out.append({"kind": "bgnbd", "params": bg._asdict(), "n": len(preds),
                    "loglik": bgnbd_log_likelihood(bg, x, t_x, t_cal),
                    "history_from": history[0], "history_to": history[1]})
    if gg is not None:
        repeat = preds[(preds["frequency"] > 0) & (preds["monetary_value"] > 0)]
        out.append({"kind": "gamma_gamma", "params": gg._asdict(), "n": len(repeat),
                    "loglik": gamma_gamma_log_likelihood(gg, repeat["frequency"],
                                                         repeat["monetary_value"]),
                    "history_from": history[0], "history_to": history[1]})
    return out
