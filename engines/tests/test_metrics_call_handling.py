"""Call handling time (seed 003) from calls logged as CRM activities, by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from engines.metrics.crm import compute_crm


def test_call_handling_time_per_month_by_hand():
    calls = pd.DataFrame({
        "contact_id": [1, 2, 3, 1],
        "duration_seconds": [120.0, 300.0, 180.0, 600.0],
        "at": pd.to_datetime(["2025-01-03 10:00", "2025-01-20 11:00", "2025-01-31 16:00",
                              "2025-02-02 09:00"])})
    out = compute_crm(None, calls=calls, grain="month", as_of=dt.date(2025, 2, 28))
    v = {(r.key, str(r.period)[:10]): r.value for r in out.itertuples()
         if r.key in ("call_handling_time", "calls_logged") and r.dimension == ""}
    assert v[("calls_logged", "2025-01-01")] == 3
    assert v[("call_handling_time", "2025-01-01")] == pytest.approx((2 + 5 + 3) / 3)
    assert v[("call_handling_time", "2025-02-01")] == pytest.approx(10.0)
