"""The Content-Security-Policy breaks nothing (the dashboard's plotly charts, htmx, Swagger UI
all load from static/ with no violation), and the product's own 404 and lockout pages, in
English and Arabic. Screenshots land in var/screens/."""

from __future__ import annotations

from datetime import date

import pytest

from engines.models import MetricValue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text)
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("favicon.ico") else None)
    return problems


def test_dashboard_and_api_docs_load_under_the_csp(new_page, login, live_server, owner,
                                                   workspace, screens_dir):
    MetricValue.objects.create(workspace=workspace, key="revenue", grain="month",
                               period=date(2026, 10, 1), value=100)
    page = new_page(width=1280, height=900)
    problems = _watch(page)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/?month=2026-10")
    page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    assert not problems, problems


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_404_and_lockout_pages(new_page, live_server, owner, settings, screens_dir, lang):
    settings.AXES_FAILURE_LIMIT = 1
    page = new_page(width=1280, height=800, locale=lang)
    page.context.add_cookies([{"name": "django_language", "value": lang,
                               "url": live_server.url}])
    r = page.goto(f"{live_server.url}/no/such/page/")
    assert r.status == 404
    assert page.locator(".empty h2").count() == 1
    page.screenshot(path=str(screens_dir / f"error-404-{lang}.png"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", "wrong")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.locator("[role=alert]").count() == 1
    page.screenshot(path=str(screens_dir / f"login-locked-{lang}.png"))
