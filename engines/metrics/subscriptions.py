"""Subscription revenue: MRR movements the way ChartMogul and Baremetrics define them.

Input: the `subscriptions` frame (frames.py): one row per subscription with its customer (a
contact, or an account stood for by its negative id), plan, MRR (already monthly: a yearly
price / 12), start, trial end and end (NaT while it runs). Everything is pure and vectorised.

**A subscription pays** from max(start, trial end) until its end; a subscription whose trial
ends after it ended never paid. An end after the as-of day is ignored (scheduled, not happened).

**Movements** are classified per *customer*, at every moment the customer's MRR changes
(changes at the same instant are netted first, so a plan switch is one movement):
- new — MRR goes from 0 to > 0 for the customer's first time;
- reactivation — from 0 to > 0 again, after a churn;
- expansion — from > 0 to a higher amount (upgrade, more seats, a second subscription);
- contraction — from > 0 to a lower amount that is still > 0 (downgrade, one of two cancelled);
- churn — from > 0 to 0 (the customer's last paying subscription ended).
The amount of a movement is the size of the change (churn and contraction are positive numbers
that are subtracted). Every change is in exactly one class, so for every month
MRR(end) = MRR(start) + new + expansion + reactivation − contraction − churn (a test checks it).

**Monthly values** (grain "month", period = the month's first day; the as-of month ends on the
as-of day):
- mrr, arr (= 12 × mrr), subscription_customers (customers with MRR > 0), arpa_mrr (mrr per
  paying customer), all at the month's end;
- mrr_new, mrr_expansion, mrr_contraction, mrr_churn, mrr_reactivation, mrr_net_new (signed
  sum) and, for each movement, the number of distinct customers behind it (`*_customers`);
- logo_churn: customers churned in the month / customers paying at its start;
- mrr_churn_rate (gross MRR churn): (churn + contraction) / MRR at the month's start;
- grr / nrr: of the customers paying at the month's start, their MRR at its end, capped at
  the starting amount per customer (GRR) or not (NRR), / their MRR at the start. New and
  reactivated customers are outside both;
- trials_ended (trials whose trial end falls in the month) and trial_conversion (the share of
  them that went on to pay);
- subscription_ltv: ARPA × gross margin / monthly logo churn, the churn averaged over the
  trailing 12 months (customers churned / customers at the start, summed over the months).
Each is also computed per plan (dimension "plan"): there the customer is the (customer, plan)
pair, so moving from plan A to plan B is churn in A and new business in B — as ChartMogul's
plan filter shows it as MRR leaving and entering the segment.

Per segment (dimension "segment", value = the segment's code): the same monthly keys over the
contacts in the segment now (a segment is a saved filter: its members today, looked back over
their whole history). Subscriptions held by an account alone belong to no segment.

**Cohort retention** (grain "month", period = the cohort's month, dimension "age", value = the
months since): a customer's cohort is the month it first paid; its starting MRR is its MRR at
the end of that month. cohort_mrr is the cohort's MRR at the end of month cohort + age;
nrr_cohort = cohort_mrr / the cohort's starting MRR (expansion and reactivation count);
grr_cohort = Σ min(customer's MRR then, its starting MRR) / the starting MRR (no expansion, so
at most 1); cohort_subscribers = the cohort's customers paying then.

All money is kept in whole cents (int64) while movements are summed, so the identity above is
exact; values are returned in currency units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import VALUE_COLUMNS

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
SIGN = {"new": 1, "expansion": 1, "reactivation": 1, "contraction": -1, "churn": -1}
NO_PLAN = "none"


def _day_after(as_of) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def paying_spans(subs: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """One row per subscription that paid: customer_id, plan, cents, pay_from, pay_to (NaT =
    still paying on the as-of day)."""
    limit = _day_after(as_of)
    start = subs["started_at"]
    trial = subs["trial_end"]
    pay_from = start.where(trial.isna() | (trial <= start), trial)
    end = subs["ended_at"]
    pay_to = end.where(end < limit)  # a scheduled end has not happened yet
    cents = np.rint(subs["mrr"].to_numpy(dtype=float) * 100).astype(np.int64)
    keep = ((pay_from < limit) & (pay_to.isna() | (pay_to > pay_from))).to_numpy() & (cents > 0)
    return pd.DataFrame({
        "subscription_id": subs["subscription_id"].to_numpy()[keep],
        "customer_id": subs["customer_id"].to_numpy()[keep],
        "plan": subs["plan"].to_numpy()[keep],
        "cents": cents[keep],
        "pay_from": pay_from.to_numpy()[keep],
        "pay_to": pay_to.to_numpy()[keep],
    })


def _group_starts(*keys: np.ndarray) -> np.ndarray:
    """True where a row starts a new run of equal keys (rows sorted by the keys)."""
    n = len(keys[0])
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    return new


def _within(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running sum of values restarting at every True of `first` (rows sorted by group)."""
    total = np.cumsum(values)
    start = np.maximum.accumulate(np.where(first, np.arange(len(values)), 0))
    return total - (total[start] - values[start])


def _sort_by_customer_time(cust, at, delta):
    """Rows sorted by customer, then time, to the second (changes of one customer within the
    same second are one instant). One argsort of a packed int64 key when customer × seconds
    fit in it — several times faster than a two-key lexsort — else lexsort."""
    if not len(cust):
        return cust, at, delta
    sec = at // 1_000_000_000
    sec = sec - sec.min()
    c = cust - cust.min()
    span = int(sec.max()) + 1
    if int(c.max()) < (2**62) // span:
        order = np.argsort(c * span + sec)
    else:
        order = np.lexsort((sec, c))
    return cust[order], (sec[order] + at.min() // 1_000_000_000) * 1_000_000_000, delta[order]


def customer_movements(spans: pd.DataFrame, key: np.ndarray | None = None) -> pd.DataFrame:
    """Every change of a customer's MRR, classified: customer (the grouping key), at, kind
    (categorical of MOVEMENTS), amount (cents, ≥ 0), before and after (cents); sorted by
    customer and time. `key` overrides the customer (per plan). Sorting and run boundaries in
    numpy: no groupby, no loop."""
    cust = (spans["customer_id"].to_numpy() if key is None else np.asarray(key)).astype(np.int64)
    ends = spans["pay_to"].notna().to_numpy()
    cust = np.concatenate([cust, cust[ends]])
    at = np.concatenate([spans["pay_from"].to_numpy(dtype="datetime64[ns]"),
                         spans["pay_to"].to_numpy(dtype="datetime64[ns]")[ends]]).view(np.int64)
    cents = spans["cents"].to_numpy(dtype=np.int64)
    delta = np.concatenate([cents, -cents[ends]])
    cust, at, delta = _sort_by_customer_time(cust, at, delta)
    # net the changes of one customer at one instant (a plan switch is one movement)
    starts = np.flatnonzero(_group_starts(cust, at))
    if len(starts):
        cust, at, delta = cust[starts], at[starts], np.add.reduceat(delta, starts)
    keep = delta != 0
    cust, at, delta = cust[keep], at[keep], delta[keep]
    first_row = _group_starts(cust)
    after = _within(delta, first_row)
    before = after - delta
    begins = (before == 0) & (after > 0)
    first = begins & (_within(begins.astype(np.int64), first_row) == 1)
    code = np.select([first, begins, after == 0, after > before], [0, 4, 3, 1], default=2)
    return pd.DataFrame({
        "customer": cust, "at": at.view("datetime64[ns]"),
        "kind": pd.Categorical.from_codes(code.astype(np.int8), categories=list(MOVEMENTS)),
        "amount": np.abs(delta), "before": before, "after": after})


def _month(at: np.ndarray) -> np.ndarray:
    return np.asarray(at, dtype="datetime64[ns]").astype("datetime64[M]")


def monthly_movements(moves: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Per month (index: month start): MRR at start/end, each movement's cents and customers,
    customers at end, churned customers, and the NRR/GRR sums over customers paying at the
    month's start. `moves` is customer_movements' frame (sorted by customer and time)."""
    last = np.datetime64(pd.Timestamp(as_of).normalize().to_period("M").start_time, "M")
    cols = ([f"mrr_{k}" for k in MOVEMENTS] + [f"{k}_customers" for k in MOVEMENTS]
            + ["net", "mrr_end", "mrr_start", "customers_end", "customers_start",
               "retained", "retained_capped"])
    if moves.empty:
        return pd.DataFrame(columns=cols, dtype=float)
    month = _month(moves["at"].to_numpy())
    first = month.min()
    months = np.arange(first, last + 1)
    nm, nk = len(months), len(MOVEMENTS)
    mi = (month - first).astype(np.int64)
    kc = moves["kind"].cat.codes.to_numpy().astype(np.int64)
    cust = moves["customer"].to_numpy(dtype=np.int64)
    amount = moves["amount"].to_numpy(dtype=np.int64)
    cell = mi * nk + kc
    sums = np.rint(np.bincount(cell, weights=amount, minlength=nm * nk)).astype(np.int64)
    # distinct customers per (month, kind): unique (customer, cell) pairs
    pairs = np.sort((cust - cust.min()) * (nm * nk) + cell)  # np.unique hashes: far slower
    pairs = pairs[_group_starts(pairs)]
    counts = np.bincount(pairs % (nm * nk), minlength=nm * nk)
    out = pd.DataFrame(index=pd.Index(months.astype("datetime64[ns]"), name="period"))
    for j, k in enumerate(MOVEMENTS):
        out[f"mrr_{k}"] = sums[j::nk][:nm]
        out[f"{k}_customers"] = counts[j::nk][:nm]
    out["net"] = sum(SIGN[k] * out[f"mrr_{k}"] for k in MOVEMENTS)
    out["mrr_end"] = out["net"].cumsum()
    out["mrr_start"] = out["mrr_end"].shift(1, fill_value=0)
    step = np.select([(kc == 0) | (kc == 4), kc == 3], [1, -1], 0)
    out["customers_end"] = np.cumsum(np.bincount(mi, weights=step, minlength=nm)).round(
        ).astype(np.int64)
    out["customers_start"] = out["customers_end"].shift(1, fill_value=0)
    # NRR / GRR: a customer's rows of one month are adjacent (sorted by customer and time):
    # s = MRR before its first change, e = after its last; customers without a change kept s
    starts = _group_starts(cust, mi)
    first_i = np.flatnonzero(starts)
    last_i = np.append(first_i[1:], len(cust)) - 1
    s = moves["before"].to_numpy()[first_i]
    e = moves["after"].to_numpy()[last_i]
    paying = s > 0
    diff = (e - s)[paying]
    m_of = mi[first_i][paying]
    out["retained"] = out["mrr_start"] + np.rint(
        np.bincount(m_of, weights=diff, minlength=nm)).astype(np.int64)
    out["retained_capped"] = out["mrr_start"] + np.rint(
        np.bincount(m_of, weights=np.minimum(diff, 0), minlength=nm)).astype(np.int64)
    return out


def trials(subs: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Per month of trial end: trials ended and trials converted (paid after the trial)."""
    limit = _day_after(as_of)
    t = subs["trial_end"]
    ended = t.notna() & (t < limit) & (t > subs["started_at"])
    if not ended.any():
        return pd.DataFrame(columns=["trials_ended", "trials_converted"], dtype=float)
    end = subs["ended_at"].where(subs["ended_at"] < limit)
    converted = (end.isna() | (end > t)) & (subs["mrr"] > 0)
    m = pd.Series(_month(t[ended].to_numpy()).astype("datetime64[ns]"), name="period")
    frame = pd.DataFrame({"trials_ended": 1, "trials_converted":
                          converted[ended].to_numpy().astype(np.int64)})
    return frame.groupby(m.to_numpy()).sum()


def _long(series: dict[str, pd.Series], dimension: str = "", value: str = "") -> list:
    parts = []
    for key, s in series.items():
        s = s.replace([np.inf, -np.inf], np.nan).dropna()
        if s.empty:
            continue
        parts.append(pd.DataFrame({"key": key, "grain": "month",
                                   "period": pd.to_datetime(s.index).date,
                                   "dimension": dimension, "dimension_value": value,
                                   "value": s.to_numpy(dtype=float)}))
    return parts


def _values(mm: pd.DataFrame, margin: float) -> dict[str, pd.Series]:
    """Keys from one monthly_movements frame (workspace or one plan)."""
    if mm.empty:
        return {}
    money = lambda c: mm[c] / 100.0  # noqa: E731
    start = mm["mrr_start"].where(mm["mrr_start"] > 0)
    cust_start = mm["customers_start"].where(mm["customers_start"] > 0)
    out = {"mrr": money("mrr_end"), "arr": money("mrr_end") * 12,
           "subscription_customers": mm["customers_end"].astype(float),
           "arpa_mrr": money("mrr_end") / mm["customers_end"].where(mm["customers_end"] > 0),
           "mrr_net_new": money("net")}
    for k in MOVEMENTS:
        out[f"mrr_{k}"] = money(f"mrr_{k}")
        out[f"mrr_{k}_customers"] = mm[f"{k}_customers"].astype(float)
    out["logo_churn"] = mm["churn_customers"] / cust_start
    out["mrr_churn_rate"] = (mm["mrr_churn"] + mm["mrr_contraction"]) / start
    out["nrr_mrr"] = mm["retained"] / start
    out["grr_mrr"] = mm["retained_capped"] / start
    churn12 = (mm["churn_customers"].rolling(12, min_periods=1).sum()
               / mm["customers_start"].rolling(12, min_periods=1).sum())
    out["subscription_ltv"] = out["arpa_mrr"] * margin / churn12.where(churn12 > 0)
    return out


SEGMENT_KEYS = ("mrr", "arr", "subscription_customers", "arpa_mrr", "mrr_net_new", "mrr_new",
                "mrr_expansion", "mrr_contraction", "mrr_churn", "mrr_reactivation",
                "logo_churn", "mrr_churn_rate", "grr_mrr", "nrr_mrr")


def cohort_retention(moves: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """cohort_mrr, nrr_cohort, grr_cohort and cohort_subscribers per (cohort month, age), as
    VALUE_COLUMNS. One pass: each customer's MRR is constant between the months it changes, so
    each (customer, month of change) adds its MRR to the ages it lasts through a difference
    array (cohorts × ages), summed once — no customer × month matrix."""
    if moves.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    last = np.datetime64(pd.Timestamp(as_of).normalize().to_period("M").start_time, "M")
    cust = moves["customer"].to_numpy(dtype=np.int64)
    month = _month(moves["at"].to_numpy()).astype(np.int64)
    after = moves["after"].to_numpy(dtype=np.int64)
    # the last change of each (customer, month): the MRR at that month's end
    ends = np.append(_group_starts(cust, month)[1:], True)
    cust, month, after = cust[ends], month[ends], after[ends]
    first_row = _group_starts(cust)
    head = np.maximum.accumulate(np.where(first_row, np.arange(len(cust)), 0))
    cohort = month[head]  # the first change is always a start (new business)
    initial = after[head]
    stop = np.append(month[1:], 0)
    stop = np.where(np.append(first_row[1:], True), last.astype(np.int64) + 1, stop)
    c0 = int(cohort.min())
    nc = int(last.astype(np.int64)) - c0 + 1
    ci, a0, a1 = cohort - c0, month - cohort, stop - cohort
    grid = {}
    for name, w in (("mrr", after), ("capped", np.minimum(after, initial)),
                    ("paying", (after > 0).astype(np.int64))):
        size = nc * (nc + 1)  # bincount: far faster than np.add.at (exact below 2**53)
        d = (np.bincount(ci * (nc + 1) + a0, weights=w, minlength=size)
             - np.bincount(ci * (nc + 1) + a1, weights=w, minlength=size))
        grid[name] = np.cumsum(np.rint(d).astype(np.int64).reshape(nc, nc + 1),
                               axis=1)[:, :nc]
    start = grid["mrr"][:, 0].astype(float)
    ages = np.arange(nc)
    valid = (ages[None, :] + np.arange(nc)[:, None]) < nc  # cohort + age ≤ the as-of month
    has = np.zeros(nc, dtype=bool)
    has[np.unique(ci)] = True
    valid &= has[:, None]
    periods = (np.arange(nc) + c0).astype("datetime64[M]").astype("datetime64[D]").astype(
        object)
    parts = []
    with np.errstate(divide="ignore", invalid="ignore"):
        series = {"cohort_mrr": grid["mrr"] / 100.0,
                  "cohort_subscribers": grid["paying"].astype(float),
                  "nrr_cohort": np.where(start[:, None] > 0, grid["mrr"] / start[:, None],
                                         np.nan),
                  "grr_cohort": np.where(start[:, None] > 0, grid["capped"] / start[:, None],
                                         np.nan)}
    ci_, ai_ = np.nonzero(valid)
    for key, grid_v in series.items():
        v = grid_v[ci_, ai_]
        ok = np.isfinite(v)
        parts.append(pd.DataFrame({"key": key, "grain": "month", "period": periods[ci_[ok]],
                                   "dimension": "age", "dimension_value": ai_[ok].astype(str),
                                   "value": v[ok].astype(float)}))
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def compute_subscriptions(subs: pd.DataFrame, *, as_of, margin: float = 1.0,
                          segments: dict | None = None) -> pd.DataFrame:
    """Every subscription key for every month up to as_of: workspace level, per plan, per
    segment ({segment code: contact ids}) and per cohort."""
    if subs.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    spans = paying_spans(subs, as_of=as_of)
    moves = customer_movements(spans)
    parts = _long(_values(monthly_movements(moves, as_of=as_of), margin))
    parts.append(cohort_retention(moves, as_of=as_of))
    tr = trials(subs, as_of=as_of)
    if len(tr):
        parts += _long({"trials_ended": tr["trials_ended"].astype(float),
                        "trial_conversion": tr["trials_converted"] / tr["trials_ended"]})
    if len(spans):
        # per plan the customer is the (customer, plan) pair: each plan's spans on their own
        plan = spans["plan"].astype(object).where(spans["plan"].astype(bool), NO_PLAN)
        codes, names = pd.factorize(plan, sort=True)
        for i, name in enumerate(names):
            part = spans[codes == i]
            mm = monthly_movements(customer_movements(part), as_of=as_of)
            parts += _long(_values(mm, margin), "plan", str(name)[:200])
        for code, ids in (segments or {}).items():
            part = spans[np.isin(spans["customer_id"].to_numpy(), np.asarray(ids, np.int64))]
            if len(part):
                vals = _values(monthly_movements(customer_movements(part), as_of=as_of),
                               margin)
                parts += _long({k: v for k, v in vals.items() if k in SEGMENT_KEYS},
                               "segment", str(code))
    if not parts:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def movement_rows(subs: pd.DataFrame, *, as_of, month, kind: str) -> pd.DataFrame:
    """The customer movements of one kind in one month (for drill-downs): customer_id, at,
    amount, before, after (currency units)."""
    moves = customer_movements(paying_spans(subs, as_of=as_of))
    m = np.datetime64(pd.Timestamp(month).to_period("M").start_time, "M")
    sel = moves[(_month(moves["at"].to_numpy()) == m) & (moves["kind"] == kind).to_numpy()]
    return pd.DataFrame({"customer_id": sel["customer"].to_numpy(), "at": sel["at"].to_numpy(),
                         "amount": sel["amount"].to_numpy() / 100.0,
                         "before": sel["before"].to_numpy() / 100.0,
                         "after": sel["after"].to_numpy() / 100.0})
