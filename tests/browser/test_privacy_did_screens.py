"""Issue 13's screens on a phone and a desktop, English and Arabic (right to left): the
difference-in-differences page with a result, Data & privacy (retention policy and field
inventory), and a profile with its consent history, erased through its Erase… button. None
scrolls sideways."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone as dt_tz
from decimal import Decimal
from pathlib import Path

import pytest

from crm.models import Consent, Contact, Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("MOS_SHOTS", "/tmp/shots/auto13"))


def _no_sideways(page, url, width):
    over = page.evaluate("document.documentElement.scrollWidth - "
                         "document.documentElement.clientWidth")
    assert over <= 0, f"{url} scrolls sideways by {over}px at {width}"


@pytest.mark.parametrize("width,lang", [(390, "en"), (390, "ar"), (1280, "en"), (1280, "ar")])
def test_privacy_and_did_screens(new_page, login, live_server, workspace, owner, width, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    day0 = datetime(2026, 1, 1, 12, tzinfo=dt_tz.utc)
    people = {cc: Contact.objects.create(workspace=workspace, country=cc, name=f"Buyer {cc}",
                                         email=f"{cc.lower()}@example.com")
              for cc in ("SA", "AE", "EG")}
    for i in range(28):
        for cc, base in (("SA", 100), ("AE", 80), ("EG", 60)):
            lift = 30 if (cc == "SA" and i >= 14) else 0
            Order.objects.create(workspace=workspace, contact=people[cc], currency="USD",
                                 amount=Decimal(base + lift + (i * 7) % 11),
                                 occurred_at=day0 + timedelta(days=i))
    rana = people["SA"]
    for status, basis, src in (("granted", "consent", "signup form"),
                               ("withdrawn", "consent", "unsubscribe link"),
                               ("granted", "contract", "order form")):
        Consent.objects.create(workspace=workspace, contact=rana, channel="email",
                               status=status, lawful_basis=basis, source=src)
    page = new_page(width, 900, lang)
    login(page, owner)
    base = f"{live_server.url}/w/{workspace.slug}"
    if lang == "ar":
        page.goto(f"{base}/flows/")
        page.evaluate("document.cookie = 'django_language=ar; path=/'")
    q = ("metric=revenue&group_by=country&treated=SA&control=AE,EG&before_start=2026-01-01"
         "&before_end=2026-01-14&after_start=2026-01-15&after_end=2026-01-28")
    shots = {"did": f"{base}/flows/difference-in-differences/?{q}",
             "privacy": f"{base}/privacy/",
             "profile": f"{base}/contacts/{rana.code}/"}
    for name, url in shots.items():
        page.goto(url)
        if lang == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
        if name == "profile":
            page.locator(".consent-history summary").click()
        _no_sideways(page, url, width)
        page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    assert page.locator(".consent-history tbody tr").count() == 3
    # erase: Erase… → Yes, erase; the profile says so and the name is gone
    page.locator(".erase-contact summary").click()
    with page.expect_navigation():
        page.locator(".erase-form button[type=submit]").click()
    assert page.locator(".erased-note").is_visible()
    _no_sideways(page, "erased profile", width)
    page.screenshot(path=str(SHOTS / f"profile-erased-{lang}-{width}.png"), full_page=True)
    rana.refresh_from_db()
    assert rana.erased_at is not None and rana.email == ""
