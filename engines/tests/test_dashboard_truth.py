"""Issue 12: one number per metric for the period shown, direction-aware status, running
periods read "to date" against a pro-rated target, counts store 0, money in the workspace
currency, times in its zone, Arabic isolates."""

from datetime import date, datetime, timezone as dt_tz
from decimal import Decimal

import pytest
from django.utils import translation

from crm.models import Channel
from engines import dashboard, selectors, services
from engines.metrics import pipeline
from engines.metrics.loaders import Window
from engines.models import MetricValue
from engines.templatetags.metric_format import format_value
from mos.display import workspace_display

pytestmark = pytest.mark.django_db


def mv(ws, key, period, value, dimension="", dimension_value=""):
    MetricValue.objects.create(workspace=ws, key=key, grain="month", period=period,
                               dimension=dimension, dimension_value=dimension_value, value=value)


def test_quarter_kpi_strip_reads_the_whole_quarter_with_summed_targets(workspace, owner_actor):
    # leads 100 + 120 + 106 = 326 over Q3; monthly target 110 → quarter target 330
    for m, n in ((7, 100), (8, 120), (9, 106)):
        mv(workspace, "leads", date(2026, m, 1), n)
    services.kpi_create(actor=owner_actor, name="Leads", metric_key="leads",
                        target=Decimal("110"))
    period, _ = dashboard.parse_period({"period": "quarter", "quarter": "2026-Q3"},
                                       date(2026, 12, 3))
    (k,) = selectors.kpi_status(workspace, period)
    assert (k["actual"], k["target"]) == (326.0, 330.0)
    assert k["status"] == "on"  # 326 is within 2 % of 330
    head = {h["key"]: h for h in dashboard.dashboard_data(
        workspace, {"period": "quarter", "quarter": "2026-Q3"})["headline"]}
    assert head["leads"]["value"] == 326.0  # the strip and the key numbers agree


def test_running_month_is_to_date_against_a_pro_rated_whole_target(workspace, owner_actor):
    # 3 December: 3/31 of the month; target 22.05 customers → 22, to date 22 × 3/31 = 2.13 → 2
    mv(workspace, "new_customers", date(2026, 12, 1), 2)
    services.kpi_create(actor=owner_actor, name="Customers", metric_key="new_customers",
                        target=Decimal("22.05"), is_north_star=True)
    period, _ = dashboard.parse_period({"month": "2026-12"}, date(2026, 12, 3))
    assert period.to_date and period.elapsed_share == pytest.approx(3 / 31)
    (k,) = selectors.kpi_status(workspace, period)
    assert k["to_date"] and k["target"] == 2.0 and k["status"] == "on"


def test_status_follows_the_metric_direction():
    assert selectors.target_status(36.51, 30.51, "down", "currency") == "worse"  # CPL
    assert selectors.target_status(0.046, 0.03, "down", "ratio") == "worse"  # churn
    assert selectors.target_status(25.0, 30.0, "down", "currency") == "better"
    assert selectors.target_status(22, 22.05, "up", "count") == "on"


def test_month_and_quarter_default_to_the_last_complete_one():
    p, _ = dashboard.parse_period({}, date(2026, 12, 3))
    q, _ = dashboard.parse_period({"period": "quarter"}, date(2026, 12, 3))
    assert (p.start, p.to_date) == (date(2026, 11, 1), False)
    assert (q.start, q.end, q.to_date) == (date(2026, 7, 1), date(2026, 9, 1), False)


def test_funnel_bars_and_table_share_one_base(workspace):
    for stage, n in (("lead", 500), ("mql", 200)):
        MetricValue.objects.create(workspace=workspace, key="funnel_entries", grain="month",
                                   period=date(2026, 10, 1), dimension="stage",
                                   dimension_value=stage, value=n)
    data = dashboard.dashboard_data(workspace, {"month": "2026-10"})
    mql = next(s for s in data["funnel"] if s["stage"] == "mql")
    assert mql["of_previous"] == pytest.approx(0.4)  # 200 / 500
    from engines.charts import funnel_figure
    fig = funnel_figure(data["funnel"])
    assert "40.0 %" in fig["data"][0]["text"][1]


def test_channel_totals_divide_the_sums(workspace):
    for key, name, spend, cust in (("a", "A", 100, 1), ("b", "B", 500, 3)):
        Channel.objects.create(workspace=workspace, key=key, name=name)
        mv(workspace, "spend", date(2026, 10, 1), spend, "channel", key)
        mv(workspace, "attributed_conversions.first_touch", date(2026, 10, 1), cust,
           "channel", key)
    total = dashboard.dashboard_data(workspace, {"month": "2026-10",
                                                 "model": "first_touch"})["channel_total"]
    # (100 + 500) / (1 + 3) = 150, not the mean of 100 and 166.7
    assert (total["spend"], total["customers"], total["cac"]) == (600, 4, 150)


def test_counts_write_zero_for_a_period_with_none():
    values = pd_values([("revenue", "month", date(2026, 10, 1), "", "", 5.0)])
    window = Window(start=date(2026, 10, 1), end=date(2026, 11, 15),
                    history_start=date(2025, 1, 1), events_start=date(2026, 9, 1))
    steps = [s for s in pipeline.STEPS if s.name in ("economics", "acquisition")]
    out = pipeline.with_zero_counts(values, window, steps)
    got = {(k, g, p): v for k, g, p, _d, _dv, v in out.itertuples(index=False)}
    assert got[("new_customers", "month", date(2026, 11, 1))] == 0.0
    assert got[("leads", "month", date(2026, 10, 1))] == 0.0
    assert got[("new_customers", "week", date(2026, 11, 9))] == 0.0
    assert got[("revenue", "month", date(2026, 10, 1))] == 5.0
    empty = pipeline.with_zero_counts(values.iloc[0:0], window, steps)
    assert empty.empty  # nothing measured: nothing invented


def pd_values(rows):
    import pandas as pd
    return pd.DataFrame(rows, columns=pipeline.VALUE_COLUMNS)


def test_money_counts_and_arabic_isolates(workspace):
    workspace.currency = "SAR"
    with workspace_display(workspace):
        assert format_value(12340, "currency") == "SAR\u00a012,340"
        assert format_value(21.0, "count") == "21"
        with translation.override("ar"):
            assert format_value(-0.156, "ratio") == "\u2068-15.6 %\u2069"


def test_times_show_in_the_workspace_zone(owner_client, workspace):
    from django.template import Template, Context
    workspace.timezone = "Asia/Riyadh"
    moment = datetime(2026, 12, 1, 20, 14, tzinfo=dt_tz.utc)
    with workspace_display(workspace):
        out = Template('{{ t|date:"DATETIME_FORMAT" }}').render(Context({"t": moment}))
    assert out == "1 Dec 2026, 23:14"
    with workspace_display(workspace), translation.override("ar"):
        out = Template('{{ t|date:"DATE_FORMAT" }}').render(Context({"t": moment}))
    assert out == "1 ديسمبر 2026"


def test_metric_definitions_page_names_each_ratio(owner_client, workspace):
    r = owner_client.get(f"/w/{workspace.slug}/metrics/definitions/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="m-cpl"' in html and "Ad spend</bdi> ÷ <bdi>New leads" in html
