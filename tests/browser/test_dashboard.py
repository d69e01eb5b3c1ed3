"""The dashboard in a real browser, English and Arabic: numbers formatted for the language,
plotly charts drawn from static (no CDN), the attribution switch re-crediting the channel table
in place (htmx, no page load), no horizontal overflow on a desk screen or a phone, and the dark
projector theme. Screenshots land in var/screens/ for a person to look at."""

from __future__ import annotations

from datetime import date

import pytest

from engines.models import MetricValue

from crm.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OCT = date(2026, 10, 1)


def _mv(ws, key, value, dimension="", dimension_value="", period=OCT):
    MetricValue.objects.create(workspace=ws, key=key, grain="month", period=period,
                               dimension=dimension, dimension_value=dimension_value, value=value)


@pytest.fixture
def measured(workspace):
    Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads")
    _mv(workspace, "revenue", 12340)
    _mv(workspace, "revenue", 10000, period=date(2026, 9, 1))
    _mv(workspace, "new_customers", 10)
    _mv(workspace, "spend", 1000)
    _mv(workspace, "ltv_subscription", 900)
    _mv(workspace, "spend", 1000, "channel", "google_ads")
    _mv(workspace, "attributed_conversions.first_touch", 4, "channel", "google_ads")
    _mv(workspace, "attributed_revenue.first_touch", 800, "channel", "google_ads")
    _mv(workspace, "attributed_conversions.markov", 5, "channel", "google_ads")
    _mv(workspace, "attributed_revenue.markov", 1500, "channel", "google_ads")
    for age, share in [(0, 1.0), (1, 0.6)]:
        _mv(workspace, "cohort_retention", share, "age", str(age), period=date(2026, 9, 1))
    return workspace


def _cells(page, channel="Google Ads"):
    row = page.locator("#channel-table tbody tr", has_text=channel)
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_dashboard_in_english_switches_attribution_in_place(new_page, login, live_server,
                                                            owner, measured, screens_dir):
    page = new_page(1280, 900)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{measured.slug}/?month=2026-10")
    revenue = page.locator(".headline .kpi").first  # revenue leads the key numbers
    assert "Revenue" in revenue.inner_text()
    assert "12,340" in revenue.inner_text()
    assert "+23.4 %" in revenue.inner_text()  # (12,340 − 10,000) / 10,000
    # charts are drawn by plotly from static files
    page.locator(".chart[data-fig=fig-trend] svg.main-svg").first.wait_for()
    assert page.evaluate("typeof window.Plotly") == "object"

    # first touch: CAC 1,000 / 4 = 250; ROAS 800 / 1,000 = 0.8×
    cells = _cells(page)
    assert cells[4:6] == ["USD\u00a0250", "0.8×"], cells
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda r: "model=markov" in r.url):
        page.select_option("#model", "markov")
    page.wait_for_function("document.querySelector('#channel-table td:nth-child(5)')"
                           ".innerText.trim() === 'USD\u00a0200'")
    # Markov: CAC 1,000 / 5 = 200; ROAS 1,500 / 1,000 = 1.5×; LTV:CAC 900 / 200 = 4.5×
    assert _cells(page)[4:7] == ["USD\u00a0200", "1.5×", "4.5×"]
    assert page.evaluate("window.__marker") == 1  # swapped in place, no page load
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / "browser-dashboard-en-1280.png"), full_page=True)

    # the projector theme: dark background, charts re-coloured, still readable
    page.click("[data-theme-toggle]")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.wait_for_timeout(200)
    page.screenshot(path=str(screens_dir / "browser-dashboard-en-1280-dark.png"),
                    full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_in_arabic_is_right_to_left_and_fits(new_page, login, live_server, owner,
                                                       measured, screens_dir, width):
    page = new_page(width, 900, locale="ar")
    login(page, owner)
    page.goto(f"{live_server.url}/w/{measured.slug}/?month=2026-10")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "لوحة المعلومات" in page.locator("title").inner_text()
    revenue = page.locator(".headline .kpi").first
    assert "12,340" in revenue.inner_text()
    # the cohort heat map is a table: its size column and cells read on a phone
    assert page.locator(".cohort-table tbody tr").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / f"browser-dashboard-ar-{width}.png"), full_page=True)
