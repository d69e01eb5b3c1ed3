"""Issue 12: the KPI form shows the channel or segment field only for the scope that needs it
(no script: CSS reads the chosen option), in both languages, on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/screens12")


@pytest.mark.parametrize("lang,width", [("en", 390), ("ar", 390), ("en", 1280)])
def test_scope_shows_only_the_fields_it_needs(new_page, login, live_server, workspace, owner,
                                              lang, width):
    page = new_page(width, 900, locale=lang)
    page.context.set_offline(False)
    login(page, owner)
    page.route("**/*.js", lambda route: route.abort())  # works without any script
    page.goto(f"{live_server.url}/w/{workspace.slug}/kpis/new/")
    channel, segment = page.locator(".f-channel"), page.locator(".f-segment")
    assert not channel.is_visible() and not segment.is_visible()
    page.select_option("select[name=scope]", "channel")
    assert channel.is_visible() and not segment.is_visible()
    page.select_option("select[name=scope]", "segment")
    assert segment.is_visible() and not channel.is_visible()
    assert page.locator("select[name=metric_key] optgroup").count() >= 5
    page.locator(".metric-glossary summary").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"kpi-form-{lang}-{width}.png"))
