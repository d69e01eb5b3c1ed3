"""The import of an ad-platform export in a real browser, English and Arabic (RTL), desk and
phone: a Meta export broken down by placement is uploaded, its preview shows the file's totals
beside what will be stored and says the breakdown rows were summed; after confirming, the result
shows the same table. No horizontal overflow. Screenshots land in /tmp/shots/imp-ads/."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.models import Spend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).resolve().parents[1] / "data" / "imports"
SHOTS = Path("/tmp/shots/imp-ads")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("locale,width", [("en", 1280), ("en", 390), ("ar", 1280),
                                          ("ar", 390)])
def test_meta_breakdown_import_preview_and_result(new_page, login, live_server, owner,
                                                  workspace, locale, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(width, 900, locale=locale)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/imports/")
    page.check("input[name=kind][value=spend]")
    page.set_input_files("input[name=file]", str(DATA / "meta_ads_day_placement.csv"))
    page.screenshot(path=str(SHOTS / f"upload-{locale}-{width}.png"), full_page=True)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    # no EUR rate yet: the preview names it; the totals table is there either way
    assert page.locator("table.import-totals").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SHOTS / f"preview-no-rate-{locale}-{width}.png"), full_page=True)

    from crm.models import ExchangeRate

    for day, rate in (("2026-10-30", "1.16"), ("2026-11-02", "1.155")):
        ExchangeRate.objects.create(workspace=workspace, date=day, currency="EUR", rate=rate)
    page.goto(f"{live_server.url}/w/{workspace.slug}/imports/")
    page.check("input[name=kind][value=contacts]")  # recognised as spend all the same
    page.set_input_files("input[name=file]", str(DATA / "meta_ads_day_placement.csv"))
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    text = page.inner_text("main")
    if locale == "en":
        assert "12 breakdown rows were summed into 4 day × campaign rows" in text
        assert "EUR 237.83" in text and "USD 275.29" in text
    page.screenshot(path=str(SHOTS / f"preview-{locale}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_navigation():
        page.click(".import-actions form button[type=submit] >> nth=0")
    assert Spend.objects.filter(workspace=workspace).count() == 4
    page.reload()
    assert page.locator("table.import-totals").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SHOTS / f"result-{locale}-{width}.png"), full_page=True)
