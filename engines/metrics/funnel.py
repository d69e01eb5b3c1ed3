"""Funnel metrics from the lifecycle history: stage entries, step conversion, days to next stage.

A contact *enters* stage k the first time it reaches k or any later funnel stage (frames.STAGES
order). So a contact that jumps from lead straight to customer has entered mql, sql and
opportunity at that same moment (0 days in each) and counts as converted at every step in
between, as in HubSpot's "all stages" funnel. Only the first arrival counts: customer → churned →
customer is one entry into "customer". Off-funnel stages (churned, other) are ignored.

Rows: dimension "stage", dimension_value = the stage name; for conversion and days the value
describes the step from that stage to the next one (dimension_value "lead" = lead → mql).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .acquisition import (
    STAGE_RANK, check_grain, combine, cutoff, frame_or_empty, period_start, ratio, reused,
    to_values,
)
from .frames import STAGES


@reused
def stage_entries(stage_changes: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """contact_id × stage: when each contact first reached the stage or a later one (NaT: never)."""
    sc = stage_changes[stage_changes["at"] < cutoff(as_of)]
    rank = sc["to_stage"].map(STAGE_RANK)
    sc = sc.assign(rank=rank)[rank.notna()].astype({"rank": "int64"})
    if sc.empty:
        first = sc.groupby(["contact_id", "rank"])["at"].min().unstack("rank")
        first = first.reindex(columns=range(len(STAGES))).astype("datetime64[ns]")
        return pd.DataFrame({stage: first.iloc[:, k:].min(axis=1)
                             for k, stage in enumerate(STAGES)}, index=first.index)
    # The (contact × stage) table of first arrivals, filled in one numpy pass: the same minima
    # as grouping by (contact, stage) and unstacking, without building a million groups.
    never = np.iinfo(np.int64).max
    at = sc["at"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    at = np.where(at == np.iinfo(np.int64).min, never, at)  # NaT counts as never
    contacts, row = np.unique(sc["contact_id"].to_numpy(), return_inverse=True)
    first = np.full((len(contacts), len(STAGES)), never, dtype=np.int64)
    np.minimum.at(first, (row, sc["rank"].to_numpy()), at)
    # reaching a later stage implies having passed every earlier one: minimum over k and later
    first = np.minimum.accumulate(first[:, ::-1], axis=1)[:, ::-1]
    first = np.where(first == never, np.iinfo(np.int64).min, first).view("datetime64[ns]")
    return pd.DataFrame({stage: first[:, k] for k, stage in enumerate(STAGES)},
                        index=pd.Index(contacts, name="contact_id"))


def funnel_steps(entries: pd.DataFrame, *, grain: str) -> pd.DataFrame:
    """One row per contact and stage entered: entry period, stage, days to next stage (or NaN)."""
    at = entries[list(STAGES)].to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = np.iinfo(np.int64).min
    periods, codes, days = [], [], []
    for k in range(len(STAGES)):
        entered = at[:, k] != nat
        t = at[entered, k]
        if k + 1 < len(STAGES):
            nxt = at[entered, k + 1]
            # as Series.dt.total_seconds() / 86400: integer nanoseconds / 1e9, NaT → NaN
            d = np.where(nxt != nat, (nxt - t) / 1_000_000_000, np.nan) / 86400
        else:
            d = np.full(len(t), np.nan)
        periods.append(period_start(pd.Series(t.view("datetime64[ns]")), grain).to_numpy())
        codes.append(np.full(len(t), k, dtype=np.int64))
        days.append(d)
    return pd.DataFrame({
        "period": np.concatenate(periods) if periods else np.array([], "datetime64[ns]"),
        "stage": pd.Categorical.from_codes(np.concatenate(codes), categories=list(STAGES)),
        "days": np.concatenate(days).astype("float64")})


def funnel_table(stage_changes: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    """Per (period, stage): entries, converted (next stage by as_of), conversion, median days."""
    steps = funnel_steps(stage_entries(stage_changes, as_of=as_of), grain=grain)
    # grouped on the stage's code (cheap), only the stages entered in a period kept
    g = steps.groupby(["period", "stage"], observed=True)["days"]
    table = pd.DataFrame({"entries": g.size(), "converted": g.count(), "median_days": g.median()})
    table.index = pd.MultiIndex.from_arrays(
        [table.index.get_level_values(0),
         table.index.get_level_values(1).astype(object).astype(str)], names=["period", "stage"])
    table["conversion"] = ratio(table["converted"], table["entries"])
    # the last stage has no next step
    table.loc[table.index.get_level_values("stage") == STAGES[-1], "conversion"] = float("nan")
    return table


def compute_funnel(stage_changes: pd.DataFrame | None, *, grain: str = "month",
                   as_of) -> pd.DataFrame:
    """Funnel entries, step conversion and median days to next stage per stage and period."""
    check_grain(grain)
    table = funnel_table(frame_or_empty(stage_changes, "stage_changes"), grain=grain, as_of=as_of)
    return combine([
        to_values(table["entries"], "funnel_entries", grain, "stage"),
        to_values(table["conversion"], "funnel_conversion", grain, "stage"),
        to_values(table["median_days"], "funnel_days_to_next", grain, "stage"),
    ])
