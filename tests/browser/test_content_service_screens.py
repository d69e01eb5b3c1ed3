"""The public survey page on a phone in Arabic (no login, CSP-clean, no sideways scroll, one
answer), and the content calendar reading as a list of days at 390 px."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.models import Channel, Contact, Survey, SurveyAnswer
from crm.service.tokens import answer_token
from planning.content.models import ContentItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contact_answers_nps_on_a_phone_in_arabic(new_page, live_server, workspace):
    survey = Survey.objects.create(workspace=workspace, name="NPS", kind="nps")
    contact = Contact.objects.create(workspace=workspace, email="huda@example.test",
                                     language="ar")
    page = new_page(390, 844, locale="ar")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/p/survey/{answer_token(survey, contact)}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tap = page.locator(".score-scale label", has_text="3").first
    box = tap.bounding_box()
    assert box["height"] >= 40 and box["width"] >= 40, box
    tap.click()
    page.fill("textarea", "الدعم بطيء")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator(".score-scale").count() == 0  # the thank-you card
    a = SurveyAnswer.objects.get()
    assert (a.score, a.comment) == (3, "الدعم بطيء")
    assert not errors, errors  # nothing refused by the Content-Security-Policy


def test_calendar_is_a_list_of_days_on_a_phone(new_page, login, live_server, workspace, owner):
    ch = Channel.objects.create(workspace=workspace, key="blog", name="Blog")
    day = dt.date.today().replace(day=10)
    ContentItem.objects.create(workspace=workspace, channel=ch, title="Spring guide",
                               publish_on=day)
    page = new_page(390, 844)
    login(page, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/content/?month={day:%Y-%m}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    days = page.locator(".cal-day:visible")
    assert days.count() == 1  # only the day that has an item
    assert "Spring guide" in days.first.inner_text()
