"""The screens people work in, in a real browser, English and Arabic, 1280 and 390 px:
channels, campaigns, profile, settings, members (confirm before removing), audit log,
contacts and My leads. Nothing overflows sideways; screenshots go to /tmp/shots/screens-work/
for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm import services
from crm.models import Campaign, Channel
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/screens-work")
PAGES = ["channels/", "campaigns/", "settings/", "settings/members/", "settings/audit/",
         "contacts/", "leads/"]


@pytest.fixture
def filled(workspace, owner_actor, add_member):
    member = add_member(Role.MARKETER, "nour@acme.test")
    ads = Channel.objects.create(workspace=workspace, key="google_ads", name="Google Ads",
                                 kind="paid_search", is_paid=True,
                                 utm_sources=["google", "adwords"])
    Channel.objects.create(workspace=workspace, key="newsletter", name="النشرة البريدية",
                           kind="email", utm_sources=["newsletter"])
    Campaign.objects.create(workspace=workspace, channel=ads, name="Ramadan offer",
                            utm_campaign="ramadan_2026", budget=5000)
    for i, name in enumerate(["Huda Al-Rashid", "نورة القحطاني", "Omar Farouk"]):
        services.contact_create(actor=owner_actor, name=name, email=f"p{i}@example.test",
                                stage="lead", owner=owner_actor.user)
    return member


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 390])
def test_work_screens_fit_and_read(new_page, login, live_server, workspace, owner, filled,
                                   lang, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(width, 900, locale=lang)
    login(page, owner)
    base = f"{live_server.url}/w/{workspace.slug}/"
    for path in PAGES + ["../../accounts/profile/"]:
        page.goto(base + path)
        assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        name = path.strip("/").replace("/", "-").replace("..-..-accounts-", "") or "home"
        page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
        assert overflow <= 1, f"{path} overflows sideways by {overflow}px at {width}"


def test_remove_member_asks_first_without_js(new_page, login, live_server, workspace, owner,
                                             filled):
    page = new_page(390, 844)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/members/")
    yes = page.get_by_role("button", name="Yes, remove")
    assert not yes.is_visible()  # nothing destructive on the first click
    page.locator("details.confirm summary", has_text="Remove…").first.click()
    assert yes.is_visible()
    page.screenshot(path=str(SHOTS / "members-confirm-en-390.png"), full_page=True)
    with page.expect_navigation():
        yes.click()
    assert "Member removed." in page.content()
