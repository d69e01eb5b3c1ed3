"""The team's workday screens in a browser: a rep's My day on a phone (quick-log a call, tick
a task off), and every new screen — My day, accounts, an account, lead scoring, proposed
moves, duplicates, a contact's timeline — in English and Arabic at 1280 and 390 px without
horizontal overflow. Screenshots land in /tmp/shots/work15a/ for a person to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from crm import services
from crm.activities import services as activities
from crm.models import Account, Activity, ContactScore
from crm.scoring import services as scoring
from mos.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots/work15a")


@pytest.fixture
def day(workspace, owner_actor, add_member):
    rep = add_member(Role.SALES_REP, "rep@acme.test")
    rep.name = "Karim Sales"
    rep.save(update_fields=["name"])
    acc = Account.objects.create(workspace=workspace, name="Rashid Trading", domain="rashid.example",
                                 industry="Retail", size="51–200", plan="Growth")
    people = []
    for i, (name, role, stage) in enumerate([
            ("Huda Al-Rashid", "decision_maker", "mql"), ("فهد العتيبي", "gatekeeper", "lead"),
            ("Omar Farouk", "influencer", "sql"), ("Layla Haddad", "champion", "lead")]):
        people.append(services.contact_create(
            actor=owner_actor, name=name, email=f"p{i}@rashid.example",
            phone=f"+96650000001{i}", account=acc, buying_role=role, stage=stage, owner=rep))
    services.contact_create(actor=owner_actor, name="هدى الراشد", phone="0500000010",
                            stage="subscriber")
    now = timezone.now()
    rep_actor = owner_actor.__class__(workspace=workspace, user=rep, role="sales_rep")
    for subject, due, who in (("Call back about the quote", now - timedelta(days=2), 0),
                              ("إرسال دراسة الحالة", now.replace(hour=15), 1),
                              ("Book the second demo", now + timedelta(days=2), 2)):
        activities.activity_create(actor=rep_actor, kind="task", contact=people[who],
                                   subject=subject, due_at=due)
    activities.activity_create(actor=rep_actor, kind="call", contact=people[0],
                               call_outcome="connected", duration_seconds=420,
                               body="Wants a quote for 12 seats; budget next quarter.")
    activities.activity_create(actor=owner_actor, kind="note", account=acc,
                               body="طلبت المشتريات استبيان الأمان.")
    scoring.scoring_rule_create(actor=owner_actor, kind="fit", field="account_size",
                                values=["51–200"], points=30)
    scoring.scoring_rule_create(actor=owner_actor, kind="property", field="buying_role",
                                values=["decision_maker", "influencer"], points=25)
    scoring.scoring_rule_create(actor=owner_actor, kind="event", field="demo_request",
                                points=30, half_life_days=30, max_points=40)
    scoring.scores_recompute(workspace)
    return {"rep": rep, "account": acc, "people": people}


def _no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_rep_works_my_day_on_a_phone(new_page, login, live_server, workspace, day):
    page = new_page(390, 844)
    login(page, day["rep"])
    page.goto(f"{live_server.url}/w/{workspace.slug}/my-day/")
    assert "Call back about the quote" in page.locator("#h-overdue").locator("..").inner_text()
    assert _no_overflow(page)
    # quick-log a call on the overdue task's contact
    row = page.locator(".task-row", has_text="Call back about the quote")
    row.locator("summary", has_text="Log a call or note").click()
    form = row.locator("form.activity-form")
    form.locator("label.tap", has_text="Call").click()
    form.locator("select[name=call_outcome]").select_option("no_answer")
    form.locator("input[name=duration_minutes]").fill("0.5")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert Activity.objects.filter(kind="call", call_outcome="no_answer",
                                   duration_seconds=30).exists()
    # tick the overdue task off
    with page.expect_navigation():
        page.locator(".task-row", has_text="Call back about the quote").locator(
            "button.btn-check").click()
    assert Activity.objects.get(subject="Call back about the quote").done_at is not None
    assert "Nothing overdue" in page.inner_text("main")


def test_workday_screens_in_both_languages(new_page, login, live_server, workspace, owner, day):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = f"{live_server.url}/w/{workspace.slug}"
    huda = day["people"][0]
    screens = {"accounts": "/accounts/", "account": f"/accounts/{day['account'].code}/",
               "scoring": "/scoring/", "proposals": "/scoring/proposals/",
               "duplicates": "/duplicates/", "contact": f"/contacts/{huda.code}/"}
    problems = []
    for lang in ("en", "ar"):
        for width, height in ((1280, 900), (390, 844)):
            page = new_page(width, height, lang)
            login(page, day["rep"])
            page.goto(base + "/my-day/")
            if not _no_overflow(page):
                problems.append(f"my-day {lang} {width}")
            page.screenshot(path=str(SHOTS / f"my-day-{lang}-{width}.png"), full_page=True)
            page = new_page(width, height, lang)
            login(page, owner)
            for name, path in screens.items():
                resp = page.goto(base + path)
                assert resp.status == 200, (name, resp.status)
                if not _no_overflow(page):
                    problems.append(f"{name} {lang} {width}")
                page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    assert not problems, problems
    assert ContactScore.objects.filter(contact=huda).get().score == 55
