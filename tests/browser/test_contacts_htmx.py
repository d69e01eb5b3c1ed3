"""The contacts list's live search and the profile's stage move work in a real browser:
htmx swaps the rows / the badge and timeline without loading a new page."""

from __future__ import annotations

import pytest

from crm import services
from crm.models import StageChange

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_search_and_stage_move(new_page, login, live_server, workspace, owner,
                                    owner_actor):
    amal = services.contact_create(actor=owner_actor, name="Amal Haddad", company="Souq Co",
                                   stage="lead")
    services.contact_create(actor=owner_actor, name="Bilal Nasser", stage="customer")
    page = new_page(1280, 800)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/contacts/")
    page.evaluate("window.__marker = 1")
    rows = page.locator("#contact-results tbody tr")
    assert rows.count() == 2
    with page.expect_response(lambda r: "q=souq" in r.url):
        page.fill("input[name=q]", "souq")
    page.wait_for_function("document.querySelectorAll('#contact-results tbody tr').length === 1")
    assert "Amal Haddad" in rows.first.inner_text()
    assert page.evaluate("window.__marker") == 1
    assert "q=souq" in page.url  # the search is in the address bar (hx-push-url)

    page.click("text=Amal Haddad")
    page.wait_for_url(f"**/contacts/{amal.code}/")
    page.evaluate("window.__marker = 2")
    page.select_option("#stage-panel select", "mql")
    page.fill("#stage-panel input[name=reason]", "Asked for pricing")
    with page.expect_response(lambda r: r.url.endswith("/stage/")):
        page.click("#stage-panel button[type=submit]")
    page.locator("#stage-panel .flash-success").wait_for()
    assert page.evaluate("window.__marker") == 2
    assert page.locator("#stage-badge-slot [data-stage]").get_attribute("data-stage") == "mql"
    assert "Asked for pricing" in page.locator("#timeline").inner_text()
    sc = StageChange.objects.filter(contact=amal).latest("at", "id")
    assert (sc.from_stage, sc.to_stage, sc.reason) == ("lead", "mql", "Asked for pricing")
