"""The content calendar as an iCalendar feed (RFC 5545): one VEVENT per item.

Text values are escaped (backslash, semicolon, comma, newline: §3.3.11), lines end in CRLF
and are folded at 75 octets without splitting a UTF-8 character (§3.1). An item with a time
is an event of 30 minutes at that local time, given in UTC; without one it is an all-day
event (DTSTART;VALUE=DATE and DTEND the next day)."""

from __future__ import annotations

from datetime import datetime, timedelta

from mos.periods import workspace_tz

PRODID = "-//MOS//Content calendar//EN"
STATUS = {"idea": "TENTATIVE", "draft": "TENTATIVE", "scheduled": "CONFIRMED",
          "published": "CONFIRMED"}


def escape(text: str) -> str:
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """One content line folded into ≤ 75-octet lines (continuations start with a space)."""
    out, cur, size, limit = [], [], 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(cur))
            cur, size, limit = [" "], 1, 75
        cur.append(ch)
        size += n
    out.append("".join(cur))
    return "\r\n".join(out)


def _stamp(dt: datetime) -> str:
    from datetime import timezone as tz

    return dt.astimezone(tz.utc).strftime("%Y%m%dT%H%M%SZ")


def item_lines(item, *, tz, url: str, host: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{item.code}@{host}", f"DTSTAMP:{_stamp(item.updated_at)}",
             f"LAST-MODIFIED:{_stamp(item.updated_at)}"]
    if item.publish_time is None:
        lines += [f"DTSTART;VALUE=DATE:{item.publish_on:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{item.publish_on + timedelta(days=1):%Y%m%d}"]
    else:
        start = datetime.combine(item.publish_on, item.publish_time, tzinfo=tz)
        lines += [f"DTSTART:{_stamp(start)}", f"DTEND:{_stamp(start + timedelta(minutes=30))}"]
    desc = [f"{item.channel.name} · {item.get_status_display()}"]
    if item.owner_id:
        desc.append(str(item.owner.name or item.owner.email))
    if item.campaign_id:
        desc.append(item.campaign.name)
    if item.brief:
        desc.append(item.brief)
    if item.url:
        desc.append(item.url)
    lines += [f"SUMMARY:{escape(item.title)}", f"DESCRIPTION:{escape(chr(10).join(desc))}",
              f"CATEGORIES:{escape(item.channel.name)}", f"STATUS:{STATUS[item.status]}",
              f"URL:{url}", "END:VEVENT"]
    return lines


def calendar_text(workspace, items, *, item_url, host: str) -> str:
    """The feed's text; `item_url(item)` gives each item's page address."""
    tz = workspace_tz(workspace)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(workspace.name)}",
             f"X-WR-TIMEZONE:{tz.key}"]
    for item in items:
        lines += item_lines(item, tz=tz, url=item_url(item), host=host)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
