"""Content calendar: month and week grids, items linked to campaigns show the campaign's
results, and the iCal feed (secret URL, RFC 5545 escaping and folding, regenerable)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Campaign, Channel, Contact, Order, Spend, StageChange
from planning.content import ical, results, services
from planning.content.models import CalendarFeed, ContentItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(workspace):
    return Channel.objects.create(workspace=workspace, key="instagram", name="Instagram")


@pytest.fixture
def campaign(workspace, channel):
    return Campaign.objects.create(workspace=workspace, channel=channel, name="Spring launch",
                                   budget=Decimal("1000"))


def _item(ws, channel, **kw):
    kw.setdefault("title", "Reel: behind the scenes")
    kw.setdefault("publish_on", dt.date(2026, 3, 10))
    return ContentItem.objects.create(workspace=ws, channel=channel, **kw)


def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: CRLF followed by one space or tab continues the previous line."""
    assert "\n" not in text.replace("\r\n", ""), "bare LF"
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def parse_events(text: str) -> list[dict]:
    events, cur = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT":
            events.append(cur)
            cur = None
        elif cur is not None and line:
            name, _, value = line.partition(":")
            cur[name] = value
    return events


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_escape_and_fold_follow_rfc5545():
    assert ical.escape('a,b;c\\d\ne') == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "عرض رمضان " * 20  # Arabic: 2 octets a letter
    folded = ical.fold(line)
    for part in folded.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == line  # nothing lost, no character split


def test_month_view_shows_items_on_their_day_and_filters(owner_client, workspace, channel):
    _item(workspace, channel, title="Ramadan reel", status="scheduled")
    other = Channel.objects.create(workspace=workspace, key="blog", name="Blog")
    _item(workspace, other, title="SEO article", publish_on=dt.date(2026, 3, 11))
    _item(workspace, channel, title="April post", publish_on=dt.date(2026, 4, 10))
    page = owner_client.get(f"/w/{workspace.slug}/content/?month=2026-03").content.decode()
    assert "Ramadan reel" in page and "SEO article" in page and "April post" not in page
    page = owner_client.get(
        f"/w/{workspace.slug}/content/?month=2026-03&channel=blog").content.decode()
    assert "SEO article" in page and "Ramadan reel" not in page
    week = owner_client.get(
        f"/w/{workspace.slug}/content/?view=week&day=2026-03-12").content.decode()
    assert "Ramadan reel" in week and "SEO article" in week  # Monday 9 – Sunday 15 March


@pytest.mark.parametrize("query", ["month=2026-13", "month=abc", "view=week&day=2026-02-30",
                                   "status=nope&owner=not-a-code&campaign=x", "month=-1-2"])
def test_odd_query_strings_answer_200(owner_client, workspace, query):
    assert owner_client.get(f"/w/{workspace.slug}/content/?{query}").status_code == 200


def test_create_item_from_the_form_and_field_errors(owner_client, workspace, channel, campaign):
    r = owner_client.post(f"/w/{workspace.slug}/content/new/", {
        "title": "Launch video", "channel": channel.pk, "status": "draft",
        "publish_on": "2026-03-20", "campaign": campaign.pk})
    assert r.status_code == 302
    item = ContentItem.objects.get(workspace=workspace, title="Launch video")
    assert item.campaign == campaign and item.status == "draft"
    r = owner_client.post(f"/w/{workspace.slug}/content/new/", {"title": "", "status": "x"})
    assert r.status_code == 200
    assert {"title", "channel", "status", "publish_on"} <= set(r.context["form"].errors)
    assert ContentItem.objects.filter(workspace=workspace).count() == 1


def test_another_workspaces_channel_is_refused(owner_actor, other_workspace):
    foreign = Channel.objects.create(workspace=other_workspace, key="x", name="X")
    with pytest.raises(Exception) as e:
        services.content_item_create(actor=owner_actor, title="t", channel=foreign,
                                     publish_on=dt.date(2026, 1, 1))
    assert "channel" in str(e.value)
    assert not ContentItem.objects.exists()


def test_campaign_results_are_first_touch_and_hand_computed(workspace, channel, campaign):
    # spend 300 + 200 = 500; three first-touch contacts: one stays a subscriber, one became
    # a lead, one a customer who paid 900 and got 100 refunded → leads 2, customers 1,
    # revenue 800, ROI (800 − 500) / 500 = 0.6, ROAS 1.6, CAC 500, CPL 250
    Spend.objects.create(workspace=workspace, channel=channel, campaign=campaign,
                         date=dt.date(2026, 3, 1), amount=300)
    Spend.objects.create(workspace=workspace, channel=channel, campaign=campaign,
                         date=dt.date(2026, 3, 2), amount=200)
    Spend.objects.create(workspace=workspace, channel=channel, date=dt.date(2026, 3, 2),
                         amount=999)  # not this campaign's
    now = timezone.now()
    Contact.objects.create(workspace=workspace, source_campaign=campaign, stage="subscriber")
    lead = Contact.objects.create(workspace=workspace, source_campaign=campaign, stage="mql")
    StageChange.objects.create(workspace=workspace, contact=lead, to_stage="lead")
    buyer = Contact.objects.create(workspace=workspace, source_campaign=campaign,
                                   stage="customer")
    StageChange.objects.create(workspace=workspace, contact=buyer, to_stage="lead")
    StageChange.objects.create(workspace=workspace, contact=buyer, to_stage="customer")
    Order.objects.create(workspace=workspace, contact=buyer, amount=900, currency="USD",
                         occurred_at=now)
    Order.objects.create(workspace=workspace, contact=buyer, amount=100, currency="USD",
                         kind="refund", occurred_at=now)
    Order.objects.create(workspace=workspace, contact=buyer, amount=50, currency="USD",
                         status="failed", occurred_at=now)  # never paid: not revenue
    r = results.campaign_results(workspace, [campaign.pk])[campaign.pk]
    assert r["spend"] == Decimal("500") and r["leads"] == 2 and r["customers"] == 1
    assert r["revenue"] == Decimal("800")
    assert r["roi"] == pytest.approx(0.6) and r["roas"] == pytest.approx(1.6)
    assert r["cac"] == pytest.approx(500) and r["cpl"] == pytest.approx(250)


def test_item_page_shows_its_campaigns_results(owner_client, workspace, channel, campaign):
    Spend.objects.create(workspace=workspace, channel=channel, campaign=campaign,
                         date=dt.date(2026, 3, 1), amount=1234)
    item = _item(workspace, channel, campaign=campaign)
    page = owner_client.get(f"/w/{workspace.slug}/content/{item.code}/").content.decode()
    assert "Campaign results" in page and "1,234" in page


def test_ical_feed_parses_and_escapes(client, owner_client, workspace, channel, owner):
    workspace.timezone = "Asia/Riyadh"
    workspace.save()
    today = dt.date.today()
    _item(workspace, channel, title="Offer; 50%, today\\only", publish_on=today,
          brief="Line one\nLine two", owner=owner)
    _item(workspace, channel, title="Live at 19:30", publish_on=today,
          publish_time=dt.time(19, 30), status="scheduled")
    feed = services.calendar_feed(workspace)
    r = client.get(f"/p/calendar/{feed.token}.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    text = r.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = {unescape(e["SUMMARY"]): e for e in parse_events(text)}
    allday = events["Offer; 50%, today\\only"]
    assert allday["DTSTART;VALUE=DATE"] == today.strftime("%Y%m%d")
    assert "Line one\nLine two" in unescape(allday["DESCRIPTION"])
    assert allday["STATUS"] == "TENTATIVE"
    timed = events["Live at 19:30"]
    # 19:30 in Riyadh (UTC+3) is 16:30 UTC
    assert timed["DTSTART"] == today.strftime("%Y%m%d") + "T163000Z"
    assert timed["STATUS"] == "CONFIRMED"


def test_feed_token_wrong_or_regenerated_is_404(client, owner_client, workspace, channel):
    _item(workspace, channel)
    old = services.calendar_feed(workspace).token
    assert client.get("/p/calendar/not-the-token.ics").status_code == 404
    r = owner_client.post(f"/w/{workspace.slug}/content/feed/")
    assert r.status_code == 302
    new = CalendarFeed.objects.get(workspace=workspace).token
    assert new != old
    assert client.get(f"/p/calendar/{old}.ics").status_code == 404
    assert client.get(f"/p/calendar/{new}.ics").status_code == 200


def test_only_an_admin_sees_and_regenerates_the_feed(member_client, workspace):
    assert member_client.get(f"/w/{workspace.slug}/content/feed/").status_code == 403
    assert member_client.post(f"/w/{workspace.slug}/content/feed/").status_code == 403


def test_api_creates_and_lists_items(api, workspace, channel, campaign):
    r = api.post("/api/v1/content-items/", {
        "title": "API post", "channel": "instagram", "status": "scheduled",
        "publish_on": "2026-05-01", "campaign": str(campaign.code),
        "owner": "owner@acme.test"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["owner"] == "owner@acme.test"
    r = api.post("/api/v1/content-items/", {"title": "x", "channel": "tv",
                                           "publish_on": "soon"}, format="json")
    assert r.status_code == 400
    assert {"channel", "publish_on"} <= set(r.json()["error"]["fields"])
    listed = api.get("/api/v1/content-items/?from=2026-05-01&to=2026-05-31").json()["results"]
    assert [i["title"] for i in listed] == ["API post"]
    assert api.get("/api/v1/content-items/?from=nope").status_code == 400
