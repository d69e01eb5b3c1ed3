"""Unit economics: new customers, revenue, orders, AOV, ARPA, gross margin, CAC (blended and per
channel per attribution model), ROAS, subscription LTV, realised 12-month cohort LTV, LTV:CAC and
CAC payback.

Revenue is net of refunds (a refund counts in the period it was refunded). LTV, cohort LTV,
LTV:CAC and payback are monthly quantities: they are emitted only when grain="month".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .acquisition import (
    check_grain, combine, cutoff, first_reached, frame_or_empty, keyed_values, period_start,
    ratio, reused, to_values,
)
from .retention import (
    check_business, first_purchase, month_index, month_start, monthly_churn, signed_amount,
)

ATTRIBUTED_COLUMNS = ["contact_id", "converted_at", "channel", "credit", "revenue_credit", "model"]


def empty_attributed() -> pd.DataFrame:
    """An empty frame with the attribution helper's output columns."""
    return pd.DataFrame({"contact_id": pd.Series(dtype="int64"),
                         "converted_at": pd.Series(dtype="datetime64[ns]"),
                         "channel": pd.Series(dtype="object"),
                         "credit": pd.Series(dtype="float64"),
                         "revenue_credit": pd.Series(dtype="float64"),
                         "model": pd.Series(dtype="object")})


def order_margin(orders: pd.DataFrame, default_margin: float | None) -> pd.Series:
    """Each order's gross margin fraction: its own, else the workspace default (NaN if neither)."""
    return orders["margin"].fillna(default_margin) if default_margin is not None \
        else orders["margin"]


@reused
def new_customer_times(orders: pd.DataFrame, stage_changes: pd.DataFrame, *, as_of) -> pd.Series:
    """contact_id → when the contact became a customer: first customer stage or first purchase."""
    by_stage = first_reached(stage_changes, "customer", as_of=as_of)
    both = pd.concat([by_stage, first_purchase(orders, as_of=as_of)])
    return both.groupby(level=0).min()


def new_customers(orders: pd.DataFrame, stage_changes: pd.DataFrame, *, grain: str,
                  as_of) -> pd.Series:
    """Count of contacts becoming customers per period."""
    t = new_customer_times(orders, stage_changes, as_of=as_of)
    return t.groupby(period_start(t, grain)).size().astype("float64")


def revenue_table(orders: pd.DataFrame, *, grain: str, as_of,
                  default_margin: float | None = None) -> pd.DataFrame:
    """Per period: net revenue, orders, paying customers, AOV, ARPA and gross margin.

    Orders and paying customers count non-refund orders only. Gross margin is the
    amount-weighted margin of the period's non-refund orders that have one (own or default).
    """
    o = orders[orders["occurred_at"] < cutoff(as_of)]
    period = period_start(o["occurred_at"], grain)
    sale = o["kind"] != "refund"
    margin = order_margin(o, default_margin)
    known = sale & margin.notna()
    table = pd.DataFrame({
        "revenue": signed_amount(o).groupby(period).sum(),
        "orders": sale.groupby(period).sum(),
        "paying_customers": o["contact_id"][sale].groupby(period[sale]).nunique(),
        "margin_amount": (o["amount"] * margin)[known].groupby(period[known]).sum(),
        "margin_base": o["amount"][known].groupby(period[known]).sum(),
    }).astype("float64")
    table[["orders", "paying_customers"]] = table[["orders", "paying_customers"]].fillna(0.0)
    table["aov"] = ratio(table["revenue"], table["orders"])
    table["arpa"] = ratio(table["revenue"], table["paying_customers"])
    table["gross_margin"] = ratio(table["margin_amount"], table["margin_base"])
    if default_margin is not None:
        table["gross_margin"] = table["gross_margin"].fillna(default_margin)
    return table


def spend_per_period(spend: pd.DataFrame, *, grain: str, as_of,
                     by_channel: bool = False) -> pd.Series:
    """Ad spend per period (and channel)."""
    sp = spend[spend["date"] < cutoff(as_of)]
    keys = [period_start(sp["date"], grain)] + ([sp["channel"]] if by_channel else [])
    s = sp["amount"].groupby(keys).sum()
    return s.rename_axis(["period", "channel"][:len(keys)])


def attributed_by_channel(attributed: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    """Per (model, period, channel): credited new customers and credited revenue."""
    a = attributed[attributed["converted_at"] < cutoff(as_of)]
    keys = [a["model"], period_start(a["converted_at"], grain), a["channel"]]
    out = a[["credit", "revenue_credit"]].groupby(keys).sum()
    return out.rename_axis(["model", "period", "channel"])


def per_model_values(spend: pd.DataFrame, attributed: pd.DataFrame, *, grain: str,
                     as_of) -> pd.DataFrame:
    """Rows for "cac.<model>" and "roas.<model>" per channel; channels without spend get none."""
    channel_spend = spend_per_period(spend, grain=grain, as_of=as_of, by_channel=True)
    channel_spend = channel_spend[channel_spend > 0]
    credited = attributed_by_channel(attributed, grain=grain, as_of=as_of)
    models = credited.index.get_level_values("model").unique()
    if not len(models) or channel_spend.empty:
        return combine([])
    # every model at once: its credit on each (period, channel) that had spend. A credited
    # pair without spend, or spend without credit, has no finite CAC (NaN, dropped); spend
    # that bought nothing shows as ROAS 0 (a Stop candidate)
    n = len(channel_spend)
    grid = pd.MultiIndex.from_arrays([
        np.repeat(models.to_numpy(dtype=object), n),
        np.tile(channel_spend.index.get_level_values(0).to_numpy(), len(models)),
        np.tile(channel_spend.index.get_level_values(1).to_numpy(dtype=object), len(models))],
        names=["model", "period", "channel"])
    cost = np.tile(channel_spend.to_numpy(dtype="float64"), len(models))
    credit = credited["credit"].reindex(grid).to_numpy(dtype="float64")
    revenue = credited["revenue_credit"].reindex(grid, fill_value=0.0).to_numpy(dtype="float64")
    model = grid.get_level_values("model").to_numpy(dtype=object)
    with np.errstate(divide="ignore", invalid="ignore"):
        cac, roas = cost / credit, revenue / cost
    return combine([
        keyed_values("cac." + model, grid.get_level_values("period"),
                     grid.get_level_values("channel"), cac, grain, "channel"),
        keyed_values("roas." + model, grid.get_level_values("period"),
                     grid.get_level_values("channel"), roas, grain, "channel")])


def cohort_ltv_12m(orders: pd.DataFrame, *, as_of,
                   default_margin: float | None = None) -> pd.Series:
    """Per first-purchase month: gross margin per customer over the cohort's first 12 months.

    Only cohorts whose 12 months have fully elapsed by as_of; months 0–11 count (the cohort
    month is month 0), refunds subtract their margin, and a cohort with an order of unknown
    margin (no own margin, no default) gets no value rather than an understated one.
    """
    o = orders[orders["occurred_at"] < cutoff(as_of)]
    first = first_purchase(orders, as_of=as_of)  # reads only orders before the cutoff too
    cohort = month_index(first).reindex(o["contact_id"]).to_numpy()
    o = o.assign(cohort=cohort, age=month_index(o["occurred_at"]) - cohort,
                 margin_amount=signed_amount(o) * order_margin(o, default_margin))
    o = o[(o["age"] >= 0) & (o["age"] < 12)].astype({"cohort": "int64"})
    last_complete = month_index(pd.Series([cutoff(as_of)])).iloc[0] - 1
    o = o[o["cohort"] + 11 <= last_complete]
    total = o.groupby("cohort")["margin_amount"].sum(skipna=False)
    size = month_index(first).value_counts()
    out = ratio(total, size).dropna()
    out.index = month_start(out.index) if len(out) else pd.DatetimeIndex([])
    return out


def subscription_ltv(arpa: pd.Series, gross_margin: pd.Series, churn: pd.Series) -> pd.Series:
    """ARPA × gross margin / monthly churn (no value where churn is 0)."""
    return ratio(arpa * gross_margin, churn)


def payback_months(cac: pd.Series, arpa: pd.Series, gross_margin: pd.Series) -> pd.Series:
    """Months of margin to recover CAC: CAC / (ARPA × gross margin)."""
    return ratio(cac, arpa * gross_margin)


def compute_economics(orders: pd.DataFrame | None, stage_changes: pd.DataFrame | None = None,
                      spend: pd.DataFrame | None = None,
                      attributed: pd.DataFrame | None = None, *, grain: str = "month", as_of,
                      default_margin: float | None = None, business: str = "subscription",
                      activity_window_days: int = 90, subscription_days: int = 31,
                      predicted_ltv: pd.Series | None = None) -> pd.DataFrame:
    """Every economics metric for the workspace, plus per-channel CAC/ROAS per attribution model."""
    check_grain(grain)
    check_business(business)
    orders = frame_or_empty(orders, "orders")
    stage_changes = frame_or_empty(stage_changes, "stage_changes")
    spend = frame_or_empty(spend, "spend")
    attributed = empty_attributed() if attributed is None else attributed

    table = revenue_table(orders, grain=grain, as_of=as_of, default_margin=default_margin)
    customers = new_customers(orders, stage_changes, grain=grain, as_of=as_of)
    total_spend = spend_per_period(spend, grain=grain, as_of=as_of)
    total_spend = total_spend[total_spend > 0]  # no spend → no CAC / ROAS row
    cac = ratio(total_spend, customers).reindex(total_spend.index)
    parts = [to_values(customers, "new_customers", grain)]
    parts += [to_values(table[c], c, grain)
              for c in ("revenue", "orders", "paying_customers", "aov", "arpa", "gross_margin")]
    parts += [to_values(cac, "cac", grain),
              to_values(ratio(table["revenue"].reindex(total_spend.index, fill_value=0.0),
                              total_spend), "roas", grain),
              per_model_values(spend, attributed, grain=grain, as_of=as_of)]
    if grain == "month":
        churn = monthly_churn(orders, as_of=as_of, business=business,
                              activity_window_days=activity_window_days,
                              subscription_days=subscription_days)["churn"]
        cohort_ltv = cohort_ltv_12m(orders, as_of=as_of, default_margin=default_margin)
        sub_ltv = subscription_ltv(table["arpa"], table["gross_margin"], churn)
        if business == "transactional":
            sub_ltv = sub_ltv.iloc[:0]  # its LTV is BG/NBD's (clv.py), passed as predicted_ltv
        if predicted_ltv is not None:
            ltv = predicted_ltv
        else:
            ltv = sub_ltv if business == "subscription" else cohort_ltv
        parts += [to_values(sub_ltv, "ltv_subscription", grain),
                  to_values(cohort_ltv, "ltv_cohort_12m", grain),
                  to_values(ratio(ltv, cac), "ltv_cac", grain),
                  to_values(payback_months(cac, table["arpa"], table["gross_margin"]),
                            "cac_payback_months", grain)]
    return combine(parts)
