"""The plain-Python roll-up of small frames (a KPI's few rows) gives what the pandas roll-up
gives, on frames built to hit every rule: sums with missing values, last values by period,
ratios with zero or missing denominators, a ratio gated on a positive input, ratios of
ratios, aliases, other dimensions and months left out."""

from __future__ import annotations

import math
import random
from datetime import date

import pandas as pd
import pytest

from engines.metrics import rollup

KEYS = ["spend", "clicks", "impressions", "new_customers", "revenue", "orders", "leads",
        "paying_customers", "arpa", "ltv_subscription", "cohort_size", "cac", "roas", "ctr",
        "aov", "cpl", "ltv_cac"]
MONTHS = [date(2026, m, 1) for m in (1, 2, 3, 4)]


def _frame(rng: random.Random) -> pd.DataFrame:
    rows = []
    for _ in range(rng.randint(1, 120)):
        value = rng.choice([0.0, 0.0, 1.0, 2.5, 10.0, 120.0, float("nan"), rng.random() * 50])
        rows.append((rng.choice(KEYS), rng.choice(MONTHS),
                     rng.choice(["", "", "channel"]), rng.choice(["", "a", "b"]), value))
    df = pd.DataFrame.from_records(rows, columns=["key", "period", "dimension",
                                                  "dimension_value", "value"])
    # one stored value per (key, month, dimension value), as MetricValue's unique key says
    return df.drop_duplicates(["key", "period", "dimension", "dimension_value"])


def _as_dict(df: pd.DataFrame) -> dict:
    return {(k, dv): v for k, dv, v in zip(df["key"], df["dimension_value"], df["value"])}


def _same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all((math.isnan(a[k]) and math.isnan(b[k])) or math.isclose(a[k], b[k], rel_tol=1e-12)
               for k in a)


@pytest.mark.parametrize("seed", range(300))
def test_small_roll_up_equals_the_pandas_roll_up(seed, monkeypatch):
    rng = random.Random(seed)
    df = _frame(rng)
    months = rng.choice([MONTHS[:1], MONTHS[:3], MONTHS[1:], [MONTHS[3]]])
    dimension = rng.choice(["", "channel"])
    aliases = rng.choice([{}, {"ltv": "ltv_subscription"}])
    small = rollup.aggregate(df, months, dimension, aliases=aliases)
    monkeypatch.setattr(rollup, "SMALL", 0)
    big = rollup.aggregate(df, months, dimension, aliases=aliases)
    assert _same(_as_dict(small), _as_dict(big)), (seed, _as_dict(small), _as_dict(big))


def test_a_quarter_of_spend_and_customers_by_hand():
    """Spend 100 + 200 + 0 over a quarter with 1 + 3 + 0 new customers: CAC 300 / 4 = 75;
    ARPA (not additive) is March's 40, the last month that has a value."""
    df = pd.DataFrame.from_records(
        [("spend", MONTHS[0], "", "", 100.0), ("spend", MONTHS[1], "", "", 200.0),
         ("spend", MONTHS[2], "", "", 0.0), ("new_customers", MONTHS[0], "", "", 1.0),
         ("new_customers", MONTHS[1], "", "", 3.0), ("arpa", MONTHS[0], "", "", 30.0),
         ("arpa", MONTHS[2], "", "", 40.0), ("arpa", MONTHS[1], "", "", float("nan")),
         ("spend", MONTHS[3], "", "", 999.0)],
        columns=["key", "period", "dimension", "dimension_value", "value"])
    got = rollup.lookup(rollup.aggregate(df, MONTHS[:3]))
    assert got[("spend", "")] == 300 and got[("new_customers", "")] == 4
    assert got[("cac", "")] == 75 and got[("arpa", "")] == 40
