"""A sales rep on a phone (390×844) logs one-tap feedback on a lead; it saves inline (htmx),
without a page load, and lands in the database."""

from __future__ import annotations

import pytest

from crm import services
from crm.models import LeadFeedback
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_gives_one_tap_feedback_on_a_phone(new_page, login, live_server, workspace,
                                                owner_actor, add_member, screens_dir):
    rep = add_member(Role.SALES_REP, "rep@acme.test")
    lead = services.contact_create(actor=owner_actor, name="Huda Al-Rashid",
                                   company="Rashid Trading", phone="+966500000009",
                                   stage="mql", owner=rep)
    services.contact_create(actor=owner_actor, name="Someone Else's Lead", stage="lead",
                            owner=owner_actor.user)

    page = new_page(390, 844)
    login(page, rep)
    page.goto(f"{live_server.url}/w/{workspace.slug}/leads/")
    card = page.locator(f"#lead-{lead.code}")
    assert card.is_visible()
    assert page.locator(".lead-card").count() == 1  # only my lead

    # mark the document: a full page load would wipe it
    page.evaluate("window.__marker = 1")
    url_before = page.url

    card.locator("summary").click()  # the compact card opens on a tap
    quality_4 = card.locator(".tap-quality label.tap", has_text="4")
    accepted = card.locator(".tap-outcome label.tap", has_text="Accepted")
    # tap targets are at least 44 px high
    for target in (quality_4, accepted):
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
    quality_4.click()
    accepted.click()
    card.locator("textarea").fill("Wants a demo next week")
    with page.expect_response(lambda r: "/feedback/" in r.url and r.request.method == "POST"):
        card.locator("button[type=submit]").click()

    saved = page.locator(f"#lead-{lead.code} .lead-saved")
    saved.wait_for()
    assert "Saved" in saved.inner_text()
    assert "4/5" in page.locator(f"#lead-{lead.code} [data-last-feedback]").inner_text()
    # no navigation happened: same URL, same document
    assert page.url == url_before
    assert page.evaluate("window.__marker") == 1
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    fb = LeadFeedback.objects.get()
    assert (fb.contact_id, fb.rep_id, fb.quality, fb.outcome, fb.note) == (
        lead.pk, rep.pk, 4, "accepted", "Wants a demo next week")

    # no horizontal overflow on the phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(screens_dir / "browser-my-leads-saved-390.png"), full_page=True)


def test_invalid_feedback_shows_errors_in_the_card(new_page, login, live_server, workspace,
                                                   owner_actor, add_member):
    rep = add_member(Role.SALES_REP, "rep@acme.test")
    lead = services.contact_create(actor=owner_actor, name="No Quality Given", stage="lead",
                                   owner=rep)
    page = new_page(390, 844)
    login(page, rep)
    page.goto(f"{live_server.url}/w/{workspace.slug}/leads/")
    page.evaluate("window.__marker = 1")
    card = page.locator(f"#lead-{lead.code}")
    card.locator("summary").click()
    card.locator(".tap-outcome label.tap", has_text="Rejected").click()
    with page.expect_response(lambda r: "/feedback/" in r.url):
        card.locator("button[type=submit]").click()
    errors = page.locator(f"#lead-{lead.code} .errorlist")
    errors.first.wait_for()
    text = page.locator(f"#lead-{lead.code}").inner_text()
    assert "Tap a quality from 1 to 5." in text and "Say why the lead was rejected." in text
    assert page.evaluate("window.__marker") == 1
    assert not LeadFeedback.objects.exists()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_compact_cards_filter_search_and_accept_on_a_phone(new_page, login, live_server,
                                                           workspace, owner_actor, add_member,
                                                           lang):
    """25 compact cards fit a phone; the list opens on the leads that need feedback, finds one
    by name, and "Accepted" moves the lead on in one more tap."""
    from pathlib import Path

    from crm.models import Contact

    shots = Path("/tmp/shots/screens12")
    shots.mkdir(parents=True, exist_ok=True)
    rep = add_member(Role.SALES_REP, "rep@acme.test")
    for i in range(30):
        services.contact_create(actor=owner_actor, name=f"Lead number {i:02d}",
                                company="Falcon Logistics", phone=f"+9665000001{i:02d}",
                                email=f"lead{i}@falcon-logistics.example", stage="mql",
                                owner=rep)
    target = services.contact_create(actor=owner_actor, name="هدى الراشد",
                                     company="Rashid Trading", phone="+966500000009",
                                     stage="mql", owner=rep)
    page = new_page(390, 844, locale=lang)
    login(page, rep)
    page.goto(f"{live_server.url}/w/{workspace.slug}/leads/")
    cards = page.locator(".lead-card")
    assert cards.count() == 25
    page.screenshot(path=str(shots / f"my-leads-{lang}-390.png"))
    # compact: a folded card is a few short lines, not the whole ~650 px form
    assert cards.first.bounding_box()["height"] < 160
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.fill("#lead-q", "الراشد")
    with page.expect_navigation():
        page.locator(".lead-search button[type=submit]").click()
    assert cards.count() == 1
    card = page.locator(f"#lead-{target.code}")
    card.locator("summary").click()
    card.locator(".tap-quality label.tap", has_text="5").click()
    card.locator(".tap-outcome label.tap").first.click()  # Accepted
    with page.expect_response(lambda r: "/feedback/" in r.url):
        card.locator(".lead-form button[type=submit]").click()
    advance = page.locator(f"#lead-{target.code} .lead-advance button")
    advance.wait_for()
    page.screenshot(path=str(shots / f"my-leads-accepted-{lang}-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_response(lambda r: "/advance/" in r.url):
        advance.click()
    page.locator(f"#lead-{target.code} .lead-moved").wait_for()
    assert Contact.objects.get(pk=target.pk).stage == "sql"
    # the timeline link opens the lead's own timeline, with the move in it
    page.locator(f"#lead-{target.code} .lead-timeline").click()
    page.wait_for_url("**/leads/*/")
    assert page.locator(".crm-timeline li").count() >= 2
    page.screenshot(path=str(shots / f"my-leads-timeline-{lang}-390.png"), full_page=True)

    wide = new_page(1280, 900, locale=lang)
    login(wide, rep)
    wide.goto(f"{live_server.url}/w/{workspace.slug}/leads/?show=all")
    wide.screenshot(path=str(shots / f"my-leads-{lang}-1280.png"))
