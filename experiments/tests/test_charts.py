"""The cumulative-effect chart names its days in the page's language (plotly's own tick
labels are English month names on an Arabic page)."""

import datetime as dt

from django.utils import translation

from engines.charts import day_ticks
from experiments.charts import cumulative_figure


def _series(n):
    start = dt.date(2026, 11, 1)
    return {"B": [(start + dt.timedelta(days=i), 0.1, 0.0, 0.2) for i in range(n)]}


def test_ticks_are_named_in_the_page_language():
    with translation.override("ar"):
        axis = cumulative_figure(_series(3))["layout"]["xaxis"]
    assert axis["tickvals"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert axis["ticktext"] == ["1 نوفمبر", "2 نوفمبر", "3 نوفمبر"]
    with translation.override("en"):
        axis = cumulative_figure(_series(3))["layout"]["xaxis"]
    assert axis["ticktext"] == ["1 Nov", "2 Nov", "3 Nov"]


def test_at_most_six_ticks_spread_over_the_days_first_and_last_kept():
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(31)]
    vals = day_ticks(days)["tickvals"]
    # 31 days, 6 ticks: every 6th day from the 1st (30 / 5 = 6)
    assert vals == ["2026-11-01", "2026-11-07", "2026-11-13", "2026-11-19", "2026-11-25",
                    "2026-12-01"]
