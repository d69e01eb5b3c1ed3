"""The dashboard reads MetricValues: periods, sums vs recomputed ratios, the channel table
under each attribution model, comparison with the previous period, roles."""

from datetime import date

import pytest

from engines import dashboard
from engines.models import MetricValue
from crm.models import Channel

pytestmark = pytest.mark.django_db


def mv(ws, key, period, value, dimension="", dimension_value=""):
    MetricValue.objects.create(workspace=ws, key=key, grain="month", period=period,
                               dimension=dimension, dimension_value=dimension_value, value=value)


def test_parse_period_defaults_and_errors():
    p, errors = dashboard.parse_period({}, today=date(2026, 11, 22))
    assert (p.kind, p.start, p.end, errors) == ("month", date(2026, 10, 1), date(2026, 10, 1), [])
    p, _ = dashboard.parse_period({"period": "quarter", "quarter": "2026-Q2"}, date(2026, 11, 22))
    assert (p.start, p.end) == (date(2026, 4, 1), date(2026, 6, 1))
    assert (p.previous().start, p.previous().end) == (date(2026, 1, 1), date(2026, 3, 1))
    p, errors = dashboard.parse_period({"period": "custom", "from": "2026-05", "to": "2026-02"},
                                       today=date(2026, 11, 22))
    assert p.kind == "month" and errors  # from > to is refused with a message
    p, errors = dashboard.parse_period({"month": "2026-13"}, today=date(2026, 11, 22))
    assert p.start == date(2026, 10, 1) and errors


def test_quarter_sums_additive_metrics_and_recomputes_cac(workspace):
    # spend 100 + 200 + 300 = 600; new customers 1 + 3 + 2 = 6 → CAC 600 / 6 = 100
    # (the mean of the monthly CACs, (100 + 66.7 + 150) / 3 = 105.6, would be wrong)
    for m, spend, cust in ((4, 100, 1), (5, 200, 3), (6, 300, 2)):
        mv(workspace, "spend", date(2026, m, 1), spend)
        mv(workspace, "new_customers", date(2026, m, 1), cust)
        mv(workspace, "cac", date(2026, m, 1), spend / cust)
    mv(workspace, "churn", date(2026, 5, 1), 0.05)
    mv(workspace, "churn", date(2026, 6, 1), 0.04)
    df = dashboard._load(workspace, date(2026, 4, 1), date(2026, 6, 1))
    agg = dashboard.aggregate(df, [date(2026, m, 1) for m in (4, 5, 6)])
    assert dashboard.lookup(agg)[("spend", "")] == 600
    assert dashboard.lookup(agg)[("cac", "")] == pytest.approx(100.0)
    assert dashboard.lookup(agg)[("churn", "")] == 0.04  # point-in-time: the last month


def test_channel_table_follows_the_attribution_model(workspace):
    Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")
    oct1 = date(2026, 10, 1)
    mv(workspace, "ltv_subscription", oct1, 900)
    mv(workspace, "spend", oct1, 1000, "channel", "google_ads")
    mv(workspace, "attributed_conversions.first_touch", oct1, 4, "channel", "google_ads")
    mv(workspace, "attributed_conversions.markov", oct1, 5, "channel", "google_ads")
    mv(workspace, "attributed_revenue.markov", oct1, 1500, "channel", "google_ads")
    data = dashboard.dashboard_data(workspace, {"month": "2026-10", "model": "markov"})
    row = data["channels"][0]
    # CAC 1000 / 5 = 200; ROAS 1500 / 1000 = 1.5; LTV:CAC 900 / 200 = 4.5
    assert (row["name"], row["cac"], row["roas"], row["ltv_cac"]) == ("Google Ads", 200, 1.5, 4.5)
    data = dashboard.dashboard_data(workspace, {"month": "2026-10", "model": "first_touch"})
    assert data["channels"][0]["cac"] == 250  # 1000 / 4


def test_headline_compares_with_previous_period(workspace):
    mv(workspace, "revenue", date(2026, 9, 1), 1000)
    mv(workspace, "revenue", date(2026, 10, 1), 1250)
    mv(workspace, "cac", date(2026, 9, 1), 100)
    mv(workspace, "cac", date(2026, 10, 1), 120)
    data = dashboard.dashboard_data(workspace, {"month": "2026-10"})
    h = {x["key"]: x for x in data["headline"]}
    assert h["revenue"]["change"] == pytest.approx(0.25) and h["revenue"]["good"] is True
    assert h["cac"]["change"] == pytest.approx(0.2) and h["cac"]["good"] is False  # lower is better


def test_dashboard_page_renders_and_channel_partial(owner_client, workspace):
    Channel.objects.create(workspace=workspace, key="seo", name="SEO")
    mv(workspace, "spend", date(2026, 10, 1), 10, "channel", "seo")
    mv(workspace, "revenue", date(2026, 10, 1), 50)
    r = owner_client.get(f"/w/{workspace.slug}/?month=2026-10")
    assert r.status_code == 200
    page = r.content.decode()
    assert "vendor/plotly/plotly-finance.min.js" in page and 'id="channel-table"' in page
    r = owner_client.get(f"/w/{workspace.slug}/?month=2026-10&sort=spend:asc",
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="channel-table")
    body = r.content.decode()
    assert body.lstrip().startswith('<div id="channel-table"') and "<html" not in body


def test_empty_workspace_shows_empty_state(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/").content.decode()
    assert "Nothing measured yet" in page


def test_sales_rep_home_goes_to_their_leads(workspace, add_member, client_for):
    rep = add_member("sales_rep")
    r = client_for(rep).get(f"/w/{workspace.slug}/")
    assert r.status_code == 302 and r["Location"] == f"/w/{workspace.slug}/leads/"


def test_cohort_matrix_stops_at_the_period_shown(workspace):
    """Cohort 2026-09 shown for period 2026-10: ages 0 and 1 only (age 2 is November)."""
    for age, share in [(0, 1.0), (1, 0.5), (2, 0.0)]:
        mv(workspace, "cohort_retention", date(2026, 9, 1), share, "age", str(age))
    m = dashboard.cohort_matrix(workspace, date(2026, 10, 1))
    assert list(m.columns) == [0, 1]
    assert m.loc[date(2026, 9, 1)].tolist() == [1.0, 0.5]


def test_trend_chart_leaves_gaps_for_months_without_a_value():
    """A month with revenue but no new-customers value (NaN after the pivot) is a gap in the
    line, and the customer axis still gets whole-number ticks: 0, 3, 6, 9, 12 for a top of 12."""
    import pandas as pd

    from engines import charts

    df = pd.DataFrame({"revenue": [100.0, 200.0], "new_customers": [float("nan"), 12.0]},
                      index=[date(2026, 9, 1), date(2026, 10, 1)])
    fig = charts.trend_figure(df, [("revenue", "Revenue"), ("new_customers", "New")])
    assert fig["data"][1]["y"] == [None, 12.0]
    assert (fig["layout"]["yaxis2"]["dtick"], fig["layout"]["yaxis2"]["tick0"]) == (3, 0)


def test_another_workspaces_values_reach_neither_totals_nor_channels(workspace, other_workspace):
    Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")
    Channel.objects.create(workspace=other_workspace, key="google_ads", name="Their Ads")
    for ws, scale in ((workspace, 1), (other_workspace, 1000)):
        for m in (7, 8, 9):
            mv(ws, "spend", date(2026, m, 1), 100 * scale)
            mv(ws, "new_customers", date(2026, m, 1), 2)
            mv(ws, "revenue", date(2026, m, 1), 500 * scale)
            mv(ws, "spend", date(2026, m, 1), 100 * scale, "channel", "google_ads")
            mv(ws, "attributed_conversions.first_touch", date(2026, m, 1), 2, "channel",
               "google_ads")
    data = dashboard.dashboard_data(workspace, {"period": "quarter", "quarter": "2026-Q3",
                                                "model": "first_touch"})
    h = {x["key"]: x["value"] for x in data["headline"]}
    # Q3: spend 300, 6 new customers → CAC 50; revenue 1,500
    assert (h["spend"], h["new_customers"], h["cac"], h["revenue"]) == (300, 6, 50, 1500)
    [row] = data["channels"]
    assert (row["name"], row["spend"], row["cac"]) == ("Google Ads", 300, 50)


def test_dashboard_page_reads_in_a_fixed_number_of_queries(owner_client, workspace,
                                                           django_assert_max_num_queries):
    for key in ("google_ads", "seo", "newsletter"):
        Channel.objects.create(workspace=workspace, key=key, name=key)
        mv(workspace, "spend", date(2026, 10, 1), 10, "channel", key)
    mv(workspace, "revenue", date(2026, 10, 1), 50)
    owner_client.get(f"/w/{workspace.slug}/?month=2026-10")  # warm the session
    with django_assert_max_num_queries(QUERIES_DASHBOARD):
        r = owner_client.get(f"/w/{workspace.slug}/?month=2026-10")
    assert r.status_code == 200


# session, user, membership, the metric values, runs, channels, KPIs…: a change that adds a
# query per channel, KPI or month shows here first (+1: whether the workspace has subscriptions,
# for the MRR section)
QUERIES_DASHBOARD = 16  # + the experiments tile (one query)
