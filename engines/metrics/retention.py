"""Retention metrics: the first-purchase cohort matrix, day-7/day-30 activity retention, monthly
customer churn, net revenue retention (monthly and yearly) and the new vs repeat share of orders.

Cohort matrix encoding (fits MetricValue's unique key): key "cohort_retention", grain "month",
period = the cohort's month (its first day), dimension "age", dimension_value = months since the
cohort month ("0", "1", …). Key "cohort_size" (dimension "") gives each cohort's customer count.
The matrix, churn and NRR are monthly by definition: they are emitted only when grain="month".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .acquisition import (
    check_grain, combine, cutoff, frame_or_empty, period_start, ratio, reused, to_values,
)

BUSINESSES = ("subscription", "transactional")
SUBSCRIPTION_KINDS = ("new", "renewal")
# things the team did *to* a contact; they are not the contact being active
PASSIVE_EVENTS = ("campaign_sent", "email_sent", "sms_sent", "push_sent")


# --- order helpers (economics and crm use them too) ---------------------------------------

def check_business(business: str) -> str:
    """The business type itself, or ValueError for anything but subscription/transactional."""
    if business not in BUSINESSES:
        raise ValueError(f"unknown business {business!r}; expected one of {BUSINESSES}")
    return business


def signed_amount(orders: pd.DataFrame) -> pd.Series:
    """Order amounts with refunds negative, so a sum is net revenue."""
    return orders["amount"].where(orders["kind"] != "refund", -orders["amount"])


@reused
def purchases(orders: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Non-refund orders up to as_of in time order, with is_first marking each contact's first."""
    p = orders[(orders["kind"] != "refund") & (orders["occurred_at"] < cutoff(as_of))]
    p = p.sort_values(["occurred_at", "order_id"])  # order_id breaks same-instant ties
    return p.assign(is_first=~p["contact_id"].duplicated())


@reused
def first_purchase(orders: pd.DataFrame, *, as_of) -> pd.Series:
    """contact_id → time of the contact's first non-refund order."""
    return purchases(orders, as_of=as_of).groupby("contact_id")["occurred_at"].min()


def month_index(times: pd.Series) -> pd.Series:
    """Months since year 0, so that month differences are plain integer subtraction."""
    return times.dt.year * 12 + times.dt.month - 1


def month_start(index) -> pd.DatetimeIndex:
    """First day of each month_index() value."""
    m = np.asarray(index, dtype="int64")
    return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1,
                                                          "day": 1})))


# --- cohort matrix -------------------------------------------------------------------------

def cohort_matrix(orders: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Index (cohort month, age in months): customers buying that month, cohort size, share.

    Every age from 0 to the as-of month is present (0 when nobody bought); the as-of month's
    column is in progress, as Amplitude and ChartMogul show the current period.
    """
    p = purchases(orders, as_of=as_of)
    if p.empty:
        return pd.DataFrame(columns=["customers", "size", "share"], dtype="float64")
    first_m = p.groupby("contact_id")["occurred_at"].transform("min").pipe(month_index)
    pairs = pd.DataFrame({"cohort": first_m, "age": month_index(p["occurred_at"]) - first_m,
                          "contact_id": p["contact_id"]}).drop_duplicates()
    customers = pairs.groupby(["cohort", "age"]).size()
    size = customers.xs(0, level="age")
    # the full grid of ages per cohort, so a month nobody bought in shows 0, not a gap
    n_ages = month_index(pd.Series([cutoff(as_of) - pd.Timedelta(days=1)])).iloc[0] - size.index + 1
    cohorts = np.repeat(size.index.to_numpy(), n_ages)
    ages = np.arange(len(cohorts)) - np.repeat(np.cumsum(n_ages) - n_ages, n_ages)
    grid = pd.MultiIndex.from_arrays([cohorts, ages], names=["cohort", "age"])
    table = pd.DataFrame({"customers": customers.reindex(grid, fill_value=0)})
    table["size"] = size.reindex(table.index.get_level_values("cohort")).to_numpy()
    table["share"] = table["customers"] / table["size"]
    table.index = pd.MultiIndex.from_arrays(
        [month_start(cohorts), ages], names=["cohort", "age"])
    return table


# --- activity retention --------------------------------------------------------------------

@reused
def signup_activity(events: pd.DataFrame, stage_changes: pd.DataFrame, *, as_of,
                    passive_events=PASSIVE_EVENTS) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per signed-up contact: signup time, signup day, and the last calendar day (counted from
    the signup day) with an activity event (NaN: none)."""
    end = cutoff(as_of)
    signup = stage_changes[stage_changes["at"] < end].groupby("contact_id")["at"].min()
    signup_day = signup.dt.normalize()
    ev = events[(events["occurred_at"] < end) & ~events["name"].isin(passive_events)]
    ev_day = ev["occurred_at"].dt.normalize()
    offset = (ev_day - signup_day.reindex(ev["contact_id"]).to_numpy()).dt.days
    last_day = offset.groupby(ev["contact_id"]).max().reindex(signup.index)
    return signup, signup_day, last_day


def activity_retention(events: pd.DataFrame, stage_changes: pd.DataFrame, *, day: int,
                       grain: str, as_of, passive_events=PASSIVE_EVENTS) -> pd.Series:
    """Per signup period: share of contacts with an event on or after calendar day `day`.

    Unbounded ("on or after") retention as in Amplitude; days are calendar days in the workspace
    time zone (signup day = day 0), as GA4 counts them. Signup = the contact's first stage
    change. Only contacts whose day `day` is on or before as_of are counted.
    """
    end = cutoff(as_of)
    signup, signup_day, last_day = signup_activity(events, stage_changes, as_of=as_of,
                                                   passive_events=passive_events)
    eligible = signup_day + pd.Timedelta(days=day) < end
    retained = (last_day >= day)[eligible]
    return retained.astype("float64").groupby(period_start(signup[eligible], grain)).mean()


# --- churn -------------------------------------------------------------------------------

def active_at(orders: pd.DataFrame, boundaries: pd.DatetimeIndex, *, business: str,
              activity_window_days: int, subscription_days: int) -> pd.DataFrame:
    """(contact_id, boundary position) pairs for every month boundary a contact is active at.

    An order at time o keeps its contact active at boundaries B with o < B <= o + L: L is the
    activity window for a transactional business, the subscription period (default 31 days,
    i.e. monthly renewals of new/renewal orders) for a subscription business.
    """
    if check_business(business) == "subscription":
        orders = orders[orders["kind"].isin(SUBSCRIPTION_KINDS)]
        length = pd.Timedelta(days=subscription_days)
    else:
        orders = orders[orders["kind"] != "refund"]
        length = pd.Timedelta(days=activity_window_days)
    b = boundaries.to_numpy(dtype="datetime64[ns]")
    t = orders["occurred_at"].to_numpy(dtype="datetime64[ns]")
    lo = np.searchsorted(b, t, side="right")
    n = np.clip(np.searchsorted(b, t + length.to_timedelta64(), side="right") - lo, 0, None)
    # expand each order into the run of boundaries it covers, without a Python loop
    pos = np.repeat(lo, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    pairs = pd.DataFrame({"contact_id": np.repeat(orders["contact_id"].to_numpy(), n),
                          "boundary": pos})
    return pairs.drop_duplicates(ignore_index=True)


@reused
def monthly_churn(orders: pd.DataFrame, *, as_of, business: str = "subscription",
                  activity_window_days: int = 90, subscription_days: int = 31) -> pd.DataFrame:
    """Per complete month: customers active at its start, churned by its end, and churn rate."""
    check_business(business)
    end = cutoff(as_of)
    orders = orders[orders["occurred_at"] < end]
    if orders.empty:
        return pd.DataFrame(columns=["active_start", "churned", "churn"], dtype="float64")
    first = orders["occurred_at"].min()
    # month M is complete when the next month's start is within the data the run sees
    boundaries = pd.date_range(first.to_period("M").start_time,
                               end.to_period("M").start_time, freq="MS")
    pairs = active_at(orders, boundaries, business=business,
                      activity_window_days=activity_window_days,
                      subscription_days=subscription_days)
    width = len(boundaries) + 1
    keys = pairs["contact_id"].to_numpy() * width + pairs["boundary"].to_numpy()
    starts = pairs[pairs["boundary"] < len(boundaries) - 1]
    still = np.isin(starts["contact_id"].to_numpy() * width + starts["boundary"].to_numpy() + 1,
                    keys)
    g = pd.Series(~still, index=starts.index).groupby(starts["boundary"])
    table = pd.DataFrame({"active_start": g.size(), "churned": g.sum()}).astype("float64")
    table["churn"] = ratio(table["churned"], table["active_start"])
    table.index = boundaries[table.index]
    return table


# --- net revenue retention and order shares ----------------------------------------------

@reused
def revenue_by_contact_month(orders: pd.DataFrame, *, as_of) -> pd.Series:
    """Net revenue per (contact_id, month_index) up to as_of."""
    o = orders[orders["occurred_at"] < cutoff(as_of)]
    rev = signed_amount(o).groupby([o["contact_id"], month_index(o["occurred_at"])]).sum()
    rev.index = rev.index.set_names(["contact_id", "month"])
    return rev


def net_revenue_retention(orders: pd.DataFrame, *, as_of, lag_months: int) -> pd.Series:
    """Per complete month M: revenue in M from customers who paid in M - lag / their revenue then.

    "Paid" = positive net revenue (refunds subtracted) in the base month; revenue is cash
    received, so annual-billing workspaces should read the yearly figure.
    """
    end = cutoff(as_of)
    rev = revenue_by_contact_month(orders, as_of=as_of)
    base = rev[rev > 0].reset_index(name="base")
    base["month"] += lag_months
    last_complete = month_index(pd.Series([end])).iloc[0] - 1
    base = base[base["month"] <= last_complete]
    now = rev.reindex(pd.MultiIndex.from_frame(base[["contact_id", "month"]]), fill_value=0.0)
    base["now"] = now.to_numpy()
    sums = base.groupby("month")[["now", "base"]].sum()
    out = ratio(sums["now"], sums["base"])
    out.index = month_start(out.index) if len(out) else pd.DatetimeIndex([])
    return out


def order_shares(orders: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    """Per period: share of non-refund orders that were a contact's first order, and the rest."""
    p = purchases(orders, as_of=as_of)
    new = p["is_first"].astype("float64").groupby(period_start(p["occurred_at"], grain)).mean()
    return pd.DataFrame({"new": new, "repeat": 1.0 - new})


def compute_retention(orders: pd.DataFrame | None, events: pd.DataFrame | None = None,
                      stage_changes: pd.DataFrame | None = None, *, grain: str = "month", as_of,
                      business: str = "subscription", activity_window_days: int = 90,
                      subscription_days: int = 31,
                      passive_events=PASSIVE_EVENTS) -> pd.DataFrame:
    """Every retention metric; the cohort matrix, churn and NRR only at grain "month"."""
    check_grain(grain)
    check_business(business)
    orders = frame_or_empty(orders, "orders")
    events = frame_or_empty(events, "events")
    stage_changes = frame_or_empty(stage_changes, "stage_changes")
    shares = order_shares(orders, grain=grain, as_of=as_of)
    parts = [to_values(shares["new"], "new_order_share", grain),
             to_values(shares["repeat"], "repeat_order_share", grain)]
    for day in (7, 30):
        r = activity_retention(events, stage_changes, day=day, grain=grain, as_of=as_of,
                               passive_events=passive_events)
        parts.append(to_values(r, f"retention_d{day}", grain))
    if grain == "month":
        matrix = cohort_matrix(orders, as_of=as_of)
        churn = monthly_churn(orders, as_of=as_of, business=business,
                              activity_window_days=activity_window_days,
                              subscription_days=subscription_days)
        sizes = matrix["size"].groupby(level="cohort").first() if len(matrix) else matrix["size"]
        parts += [to_values(matrix["share"], "cohort_retention", grain, "age"),
                  to_values(sizes, "cohort_size", grain),
                  to_values(churn["churn"], "churn", grain),
                  to_values(net_revenue_retention(orders, as_of=as_of, lag_months=1),
                            "nrr_monthly", grain),
                  to_values(net_revenue_retention(orders, as_of=as_of, lag_months=12),
                            "nrr_yearly", grain)]
    return combine(parts)
