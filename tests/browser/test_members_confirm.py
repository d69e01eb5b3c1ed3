"""Issue 12: on a phone the members table's "Yes, remove" confirmation is fully on screen
(in both languages), and removing a member works from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mos.models import Membership
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/screens12")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_remove_confirmation_fits_a_phone(new_page, login, live_server, workspace, owner,
                                          add_member, lang):
    gone = add_member(Role.MARKETER, "a.very.long.address.for.a.marketer@example-company.test")
    page = new_page(390, 844, locale=lang)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/members/")
    row = page.locator("tr", has_text=gone.email)
    row.locator("details.confirm summary").click()
    yes = row.locator("details.confirm button[type=submit]")
    yes.wait_for()
    box = yes.bounding_box()
    # the whole button is inside the viewport, and nothing covers or clips its middle
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    # nothing covers or clips it: both ends and the middle of the button answer a tap
    for x in (box["x"] + 3, box["x"] + box["width"] / 2, box["x"] + box["width"] - 3):
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.type ?? null",
            [x, box["y"] + box["height"] / 2])
        assert hit == "submit", (x, box)
    # the question is readable: not clipped by the scrolling table around it
    clipped = row.locator("details.confirm form").evaluate("""f => {
        const r = f.getBoundingClientRect();
        for (let el = f.parentElement; el; el = el.parentElement) {
            const s = getComputedStyle(el);
            if (s.overflowX === 'visible' || getComputedStyle(f).position === 'fixed') continue;
            const c = el.getBoundingClientRect();
            if (r.left < c.left - 1 || r.right > c.right + 1) return el.className;
        }
        return null; }""")
    assert clipped is None, clipped
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"members-confirm-{lang}-390.png"))
    with page.expect_navigation():
        yes.click()
    assert not Membership.objects.filter(workspace=workspace, user=gone).exists()
