"""The profile's Correct… on an event: the form opens in place, a date MOS cannot use is
refused with a message, a good one is saved (issue 8 §2), in English and Arabic, desk and
phone widths, without horizontal overflow."""

from __future__ import annotations

from datetime import datetime, timezone as dt_tz

import pytest

from crm.models import Contact, Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,lang", [(1280, "en"), (390, "ar")])
def test_correct_an_event_from_the_profile(new_page, login, live_server, workspace, owner,
                                           width, lang):
    c = Contact.objects.create(workspace=workspace, name="Amal Haddad")
    ev = Event.objects.create(workspace=workspace, contact=c, name="signup",
                              occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=dt_tz.utc))
    page = new_page(width, 900)
    login(page, owner)
    if lang == "ar":
        page.goto(f"{live_server.url}/")
        page.evaluate("""async () => { const t = document.cookie.match(/csrftoken=([^;]+)/)[1];
            await fetch('/i18n/setlang/', {method: 'POST', headers: {'X-CSRFToken': t,
            'Content-Type': 'application/x-www-form-urlencoded'}, body: 'language=ar&next=/'});
            }""")
    page.goto(f"{live_server.url}/w/{workspace.slug}/contacts/{c.code}/")
    details = page.locator(".tl-actions details").first
    details.locator("summary").click()
    form = details.locator("form.correct-form")
    assert form.is_visible()
    form.locator("input[name=occurred_at]").fill("2026-01-07T09:30")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    ev.refresh_from_db()
    assert ev.occurred_at.date().isoformat() == "2026-01-07"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    if lang == "ar":
        assert page.evaluate("document.documentElement.dir") == "rtl"
