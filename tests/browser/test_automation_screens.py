"""The automation screens on a phone and a desktop, English and Arabic (right to left): the
flows list, the builder's step list (reorder with the arrows) and the flow page's holdout lift
fit the width with no sideways scrolling."""

from __future__ import annotations

import pytest

from automation import services
from automation.models import Enrollment
from crm.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,lang", [(390, "en"), (390, "ar"), (1280, "ar")])
def test_flow_screens_fit_and_reorder(new_page, login, live_server, workspace, owner,
                                       owner_actor, screens_dir, width, lang):
    flow = services.flow_from_template(actor=owner_actor, key="trial_to_paid")
    for i in range(12):
        c = Contact.objects.create(workspace=workspace, email=f"p{i}@acme.test", name=f"P{i}")
        Enrollment.objects.create(workspace=workspace, flow=flow, contact=c, holdout=i < 4,
                                  state="holdout" if i < 4 else "active")
    page = new_page(width, 900, lang)
    login(page, owner)
    if lang == "ar":
        page.goto(f"{live_server.url}/w/{workspace.slug}/flows/")
        page.evaluate("document.cookie = 'django_language=ar; path=/'")
    base = f"{live_server.url}/w/{workspace.slug}/flows/"
    for url in (base, f"{base}{flow.code}/", f"{base}{flow.code}/edit/"):
        page.goto(url)
        if lang == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
        over = page.evaluate("document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
        assert over <= 0, f"{url} scrolls sideways by {over}px at {width}"
    page.screenshot(path=str(screens_dir / f"automation-builder-{lang}-{width}.png"),
                    full_page=True)
    # move the wait (step 2) up: it becomes step 1
    page.locator(".step-list li").nth(1).locator("button[title]").first.click()
    page.wait_for_load_state()
    first = list(flow.steps.order_by("position").values_list("kind", flat=True))[0]
    assert first == "wait"
    page.goto(f"{base}{flow.code}/")
    assert page.locator(".lift").is_visible()
