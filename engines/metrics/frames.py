"""The input frames every metric family reads: one place that names their columns.

The pipeline's loaders (engines/metrics/loaders.py) turn the database into these frames with
set-based SQL; metric functions only ever see frames, so the maths is tested and benchmarked
without a database. Timestamps are tz-naive datetime64[ns] in the workspace's time zone; dates
are datetime64[ns] at midnight. Money is float in the workspace currency.
"""

from __future__ import annotations

import pandas as pd

FRAMES: dict[str, dict[str, str]] = {
    # one row per day × channel × campaign of ad spend (campaign "" when spend is channel-level)
    "spend": {"date": "datetime64[ns]", "channel": "object", "campaign": "object",
              "amount": "float64", "impressions": "int64", "clicks": "int64"},
    # one row per contact
    "contacts": {"contact_id": "int64", "created_at": "datetime64[ns]", "stage": "object",
                 "source_channel": "object", "source_campaign": "object"},
    # the lifecycle history: one row per StageChange (from_stage "" for the first)
    "stage_changes": {"contact_id": "int64", "from_stage": "object", "to_stage": "object",
                      "at": "datetime64[ns]"},
    # orders; amount is positive for every kind, refunds are subtracted by the metrics.
    # margin is the order's gross margin as a fraction (0.4 = 40 %), NaN = workspace default
    "orders": {"order_id": "int64", "contact_id": "int64", "occurred_at": "datetime64[ns]",
               "amount": "float64", "kind": "object", "margin": "float64"},
    # identified activity events (anonymous ones are not in metric inputs); the pipeline's
    # loader sends only campaign events plus one "latest activity" row per contact (name ""),
    # which is all retention and CRM read (loaders.load_events)
    "events": {"contact_id": "int64", "name": "object", "channel": "object",
               "campaign": "object", "occurred_at": "datetime64[ns]"},
    # marketing touchpoints for attribution: events that carry a channel
    "touchpoints": {"contact_id": "int64", "channel": "object", "occurred_at": "datetime64[ns]"},
    # one row per conversion to attribute: a new customer's first purchase / customer stage,
    # with the revenue of that first order (0 when none)
    "conversions": {"contact_id": "int64", "converted_at": "datetime64[ns]",
                    "revenue": "float64"},
    # sales reps' feedback on leads; channel is the lead's source channel
    "lead_feedback": {"contact_id": "int64", "channel": "object", "quality": "int64",
                      "outcome": "object", "at": "datetime64[ns]"},
    # calls logged as CRM activities (crm.Activity kind "call") that carry a duration
    "calls": {"contact_id": "int64", "duration_seconds": "float64", "at": "datetime64[ns]"},
    # subscriptions: customer_id is the contact's id, or minus the account's id for an
    # account-only subscription; mrr is monthly, in the workspace currency; NaT = none
    "subscriptions": {"subscription_id": "int64", "customer_id": "int64", "plan": "object",
                      "mrr": "float64", "started_at": "datetime64[ns]",
                      "trial_end": "datetime64[ns]", "ended_at": "datetime64[ns]"},
}

ORDER_KINDS = ("new", "renewal", "expansion", "refund")
STAGES = ("subscriber", "lead", "mql", "sql", "opportunity", "customer", "advocate")
OFF_FUNNEL_STAGES = ("churned", "other")


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the named input's columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FRAMES[name].items()})


def make_frame(name: str, rows: list[dict] | list[tuple]) -> pd.DataFrame:
    """A frame of the named input from rows (dicts, or tuples in column order); for tests."""
    cols = list(FRAMES[name])
    df = pd.DataFrame(rows, columns=None if rows and isinstance(rows[0], dict) else cols)
    if df.empty:
        return empty_frame(name)
    for c, t in FRAMES[name].items():
        if c not in df:
            df[c] = pd.Series(dtype=t)
        df[c] = pd.to_datetime(df[c]) if t.startswith("datetime") else df[c].astype(t)
    return df[cols]
