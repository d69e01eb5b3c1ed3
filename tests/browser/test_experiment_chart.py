"""Issue 12: the experiment page loads the partial plotly bundle (not the 4.8 MB full file),
and at 390 px in Arabic every y-axis label of the cumulative chart is inside the chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_experiment_screens import running  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/screens12")


@pytest.mark.parametrize("locale,width", [("ar", 390), ("en", 390), ("ar", 1280)])
def test_cumulative_chart_uses_the_partial_bundle_and_shows_its_labels(
        new_page, login, live_server, owner, workspace, running, locale, width):  # noqa: F811
    page = new_page(width, 900, locale=locale)
    login(page, owner)
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(f"{live_server.url}/w/{workspace.slug}/experiments/{running.code}/")
    chart = page.locator(".chart[data-fig=fig-cumulative]")
    chart.locator("svg.main-svg").first.wait_for()
    plotly = [u for u in scripts if "plotly" in u]
    assert plotly and all("plotly-finance" in u for u in plotly), plotly
    box = chart.bounding_box()
    labels = chart.locator(".ytick text")
    assert labels.count() >= 2
    for i in range(labels.count()):
        t = labels.nth(i).bounding_box()
        assert t["x"] >= box["x"] - 0.5 and t["x"] + t["width"] <= box["x"] + box["width"] + 0.5, (
            labels.nth(i).text_content(), t, box)
    SHOTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(SHOTS / f"exp-chart-{locale}-{width}.png"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
