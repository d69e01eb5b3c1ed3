"""CSV imports of contacts, orders and ad spend. crm.importing.formats reads the file and maps its
columns; this module turns the rows into the bulk functions' row dicts and hands them to the
same functions the API uses (crm.ingest) — so a preview, an import and an API call can never
disagree about a row. The services below create, preview, confirm, cancel and process an
ImportJob; crm.importing.tasks.import_run calls `import_job_process`. See docs/imports.md."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Campaign, Channel
from crm.channels.services import campaign_create
from mos.actors import Actor
from mos.audit import audit
from mos.models import Membership
from mos.stored_text import localise

from crm.ingest.contacts import contacts_bulk
from crm.ingest.orders import orders_bulk
from crm.ingest.rates import exchange_rates_bulk
from crm.ingest.subscriptions import subscriptions_bulk
from crm.ingest.spend import spend_bulk
from .formats import (  # noqa: F401  (re-exported: the views and tests use them)
    AUTO,
    LAYOUTS,
    FileShape,
    ImportFileError,
    Layout,
    Row,
    clean_date,
    clean_datetime,
    clean_decimal,
    clean_int,
    clean_number,
    inspect_file,
    iter_records,
    layout_choices,
    read_row,
)
from crm.models import ImportJob

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
CHUNK_ROWS = 2_000  # rows per bulk call and per progress update
PREVIEW_ROWS = 20  # rows shown as they will be stored
PREVIEW_CHECK_ROWS = 5_000  # rows validated before confirmation (the whole file if smaller)
PREVIEW_ERRORS = 50  # errors listed on the preview
REPORT_ERRORS_MAX = 10_000  # rejected rows kept in the report (and its error CSV)


# --- rows → the bulk functions' row dicts ------------------------------------------------------

CONTACT_BULK_KEYS = ("external_id", "email", "phone", "name", "company", "country", "city",
                     "language", "stage", "customer_type", "buying_role")
ORDER_BULK_KEYS = ("external_id", "contact", "amount", "currency", "occurred_at", "kind",
                   "status", "margin")


def _only_given(values: dict, keys) -> dict:
    """Send only the columns the file has, so an import never blanks fields it lacks."""
    return {k: values[k] for k in keys if k in values and values[k] != ""}


def contact_row(row: Row, ctx: "ImportContext") -> dict:
    """A contact. HubSpot's and Salesforce's lifecycle labels and lead statuses become MOS
    stages; a Stripe customer sharing an e-mail with another is the same contact (its
    Stripe id is kept as the external id only when it has no e-mail)."""
    from crm.lifecycle import stage_from_label

    v = row.values
    if not v.get("name") and (v.get("first_name") or v.get("last_name")):
        v["name"] = " ".join(p for p in (v.get("first_name"), v.get("last_name")) if p)
    if not v.get("stage") and v.get("lead_status"):
        v["stage"] = v["lead_status"]
    if v.get("stage"):
        v["stage"] = stage_from_label(v["stage"])
    for k in ("customer_type", "buying_role"):
        if v.get(k):
            v[k] = re.sub(r"[\s-]+", "_", v[k].strip().lower())
    if ctx.layout_key == "stripe_customers" and v.get("email"):
        v.pop("external_id", None)
    out = _only_given(v, CONTACT_BULK_KEYS)
    consent = {}
    for channel in ("email", "sms"):
        raw = (v.get(f"{channel}_consent") or "").strip()
        if not raw:
            continue  # no column or an empty cell: the ledger is left as it is
        status = CONSENT_WORDS.get(re.sub(r"[\s_-]+", " ", raw.lower()))
        if status is None:
            row.error(f"{channel}_consent", CONSENT_WORD_ERROR % {"value": raw[:40]})
        else:
            consent[channel] = status
    if consent:
        out["consent"] = consent
    return out


# the opt-in words of common exports → the consent ledger's status
CONSENT_WORDS = {
    **dict.fromkeys(("yes", "y", "true", "1", "granted", "subscribed", "opted in", "opt in",
                     "optin", "accepted", "consented", "نعم", "موافق"), "granted"),
    **dict.fromkeys(("no", "n", "false", "0", "withdrawn", "unsubscribed", "not subscribed",
                     "opted out", "opt out", "optout", "declined", "revoked", "لا"),
                    "withdrawn"),
}
CONSENT_WORD_ERROR = gettext_lazy("“%(value)s” is not a consent answer: use yes or no "
                                  "(or granted / withdrawn, subscribed / unsubscribed).")


# Shopify's financial status and Stripe's payment status → Order.Status
PAYMENT_STATUS = {
    "paid": "paid", "succeeded": "paid", "complete": "paid",
    "pending": "pending", "unpaid": "pending", "incomplete": "pending",
    "requires_payment_method": "pending", "uncaptured": "authorized",
    "authorized": "authorized", "partially_paid": "partially_paid",
    "partially_refunded": "partially_refunded", "refunded": "refunded",
    "voided": "voided", "expired": "voided", "failed": "failed",
    "canceled": "cancelled", "cancelled": "cancelled",
}


def _payment_order_rows(row: Row, ctx: "ImportContext") -> list[dict] | None:
    """Shopify and Stripe: the order (with its payment status), and a refund row when money
    was refunded. Shopify's further rows of an order (its other line items) are folded into
    the order: None. A cancelled order keeps its status and gets no refund row (it never
    counted)."""
    v = row.values
    ext = v.get("external_id", "")
    if ctx.layout_key == "shopify_orders":
        if ext and ext in ctx.seen_orders:
            row.status = "line_item"
            return None
        if ext:
            ctx.seen_orders.add(ext)
    status = re.sub(r"[\s-]+", "_", (v.get("financial_status") or "paid").strip().lower())
    status = PAYMENT_STATUS.get(status, status)
    if v.get("cancelled_at"):
        status = "cancelled"
    contact = (v.get("email") or v.get("phone") or v.get("billing_phone")
               or v.get("customer_id") or "")
    currency = (v.get("currency") or ctx.workspace.currency).upper()
    occurred = v.get("occurred_at", "")
    if ctx.layout_key == "stripe_payments":
        occurred = _utc(occurred)
    order = {"external_id": ext, "contact": contact, "amount": v.get("amount", ""),
             "currency": currency, "occurred_at": occurred, "status": status, "kind": "new"}
    rows = [order]
    refunded = v.get("refunded") or ""
    if refunded and Decimal(refunded) > 0 and status != "cancelled":
        when = _utc(v["refunded_at"]) if v.get("refunded_at") else occurred
        rows.append({"external_id": f"{ext}-refund"[:100], "contact": contact,
                     "amount": refunded, "currency": currency, "occurred_at": when,
                     "kind": "refund", "status": "paid"})
    row.display = {**order, "refunded": refunded} if refunded else None
    return rows


def _utc(value: str) -> str:
    """Stripe writes its times in UTC without saying so in the cell."""
    if value and "T" not in value:
        value = value[:10] + "T" + (value[11:] or "00:00:00")
    if value and "+" not in value[10:] and not value.endswith("Z"):
        value += "+00:00"
    return value


def order_row(row: Row, ctx: "ImportContext") -> dict | list[dict] | None:
    if ctx.layout_key in ("shopify_orders", "stripe_payments"):
        return _payment_order_rows(row, ctx)
    v = row.values
    if v.get("kind"):
        v["kind"] = v["kind"].strip().lower()
    if "currency" not in v or not v["currency"]:
        v["currency"] = ctx.workspace.currency
    return _only_given(v, ORDER_BULK_KEYS)


# what to change in each platform's export to get one row per day
DAY_HINTS = {
    "google_ads": gettext_lazy("In Google Ads, add Segments → Time → Day to the report and "
                               "download it again"),
    "meta_ads": gettext_lazy("Export with the “Day” breakdown (Breakdown → By time → Day in "
                             "Ads Manager)"),
}
SPREAD_OPTION = gettext_lazy("or tick “Spread totals over their days” on upload to store it "
                             "as one row per day, spread evenly and marked as spread")
_MONTH_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*[-–]\s*(\d{4}-\d{2}-\d{2})")


def _day_hint(layout_key: str) -> str:
    return str(DAY_HINTS.get(layout_key, gettext_lazy("Export one row per day")))


def _month_range(value: str) -> tuple[str, str] | None:
    """Meta's Month breakdown: "2026-11-01 - 2026-11-30" (or a bare "2026-11")."""
    m = _MONTH_RANGE.search(value)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if m:
        import calendar

        y, mo = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            return f"{y:04d}-{mo:02d}-01", f"{y:04d}-{mo:02d}-{calendar.monthrange(y, mo)[1]:02d}"
    return None


def spend_row(row: Row, ctx: "ImportContext") -> dict:
    """One file row of spend: its day (or range of days), channel, campaign, amount and
    counts, and its currency (converted by the bulk function)."""
    v = row.values
    start = end = v.get("date", "")
    if not start:
        if v.get("month"):
            rng = _month_range(v["month"])
            if rng is None:
                row.error("month", _("“%(v)s” is not a month range.") % {"v": v["month"][:40]})
            else:
                start, end = rng
        elif v.get("date_start"):  # Meta without the "Day" breakdown
            start, end = v["date_start"], v.get("date_end") or v["date_start"]
        elif ctx.range:  # Google Ads without the Day segment: the report's range
            start, end = ctx.range
    if start and end and end < start:
        row.error("date", _("The range ends (%(end)s) before it starts (%(start)s).")
                  % {"start": start, "end": end})
    elif start and end and end != start and not ctx.spread:
        row.error("date", _("This row covers %(start)s to %(end)s; MOS stores spend per "
                            "day. %(hint)s, %(option)s.")
                  % {"start": start, "end": end, "hint": _day_hint(ctx.layout_key),
                     "option": SPREAD_OPTION})
    currency = (v.get("currency") or ctx.header_currency or "").strip().upper()
    channel = v.get("channel") or ctx.channel_key
    out = {"date": start, "date_end": end or start, "channel": channel,
           "amount": v.get("amount", ""), "impressions": v.get("impressions", 0) or 0,
           "clicks": v.get("clicks", 0) or 0}
    if currency:
        out["currency"] = currency
    if v.get("campaign") or v.get("campaign_id"):
        out["campaign"] = ctx.campaign_ref(channel, v.get("campaign", ""),
                                           v.get("campaign_id", ""))
        out["campaign_name"] = v.get("campaign") or v.get("campaign_id")
    if not channel:
        row.error("channel", _("No channel: choose one on upload or add a channel column."))
    return out


def _days(start: str, end: str) -> list[str]:
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def _shares(total, n: int, unit) -> list:
    """`total` split in n even shares of `unit` (cents or ones), the remainder going one unit
    at a time to the first shares, so the shares add up to the total exactly."""
    units = int((total / unit).to_integral_value()) if isinstance(total, Decimal) else total
    base, extra = divmod(units, n)
    return [(base + (1 if i < extra else 0)) * unit for i in range(n)]


SPEND_SHOWN = ("date", "channel", "campaign", "amount", "currency", "impressions", "clicks",
               "file_rows", "spread")


def spend_groups(ctx: "ImportContext", shape: FileShape, records) -> list[Row]:
    """The spend file as the rows that will be stored: one per day × channel × campaign, the
    file rows of that day and campaign summed (Meta's breakdowns: ad, placement, age, gender,
    platform — never one replacing another), a row covering several days spread evenly over
    them when asked (each share marked as spread). Rows with errors stay as they are, with
    their line. ctx.stats counts what was summed and spread."""
    from crm.ingest.common import M

    ctx.ensure_channel()
    out, groups = [], {}
    stats = {"lines": 0, "groups": 0, "spread_lines": 0, "spread_rows": 0}
    for line, cells in records:
        row = read_row(shape, line, cells)
        data = spend_row(row, ctx)
        row.lines = [line]
        if not row.errors and data["amount"] == "":
            if shape.layout.from_ad_platform:
                data["amount"] = "0"  # ad platforms leave the cell empty for "nothing spent"
            else:
                row.error("amount", M.REQUIRED)
        if row.errors or not data["date"]:
            row.data = {k: v for k, v in data.items() if k not in ("date_end", "campaign_name")}
            out.append(row)  # the bulk function reports a missing date
            continue
        days = _days(data["date"], data["date_end"])
        amount = Decimal(data["amount"])
        shares = zip(days, _shares(amount, len(days), Decimal("0.01")),
                     _shares(int(data["impressions"]), len(days), 1),
                     _shares(int(data["clicks"]), len(days), 1))
        stats["lines"] += 1
        if len(days) > 1:
            stats["spread_lines"] += 1
        for n, (day, amt, imp, clk) in enumerate(shares):
            key = (day, data["channel"], data.get("campaign", ""))
            g = groups.get(key)
            if g is None:
                g = groups[key] = Row(line, [], count=0)
                g.data = {"date": day, "channel": data["channel"], "amount": Decimal(0),
                          "impressions": 0, "clicks": 0, "spread": False}
                if data.get("campaign"):
                    g.data["campaign"] = data["campaign"]
                if data.get("currency"):
                    g.data["currency"] = data["currency"]
                g.display = {"campaign": data.get("campaign_name", "")}
                out.append(g)
            elif data.get("currency", "") != g.data.get("currency", ""):
                g.error("currency", _("Rows of this day and campaign are in different "
                                      "currencies (%(a)s, %(b)s); export one currency per "
                                      "file.") % {"a": g.data.get("currency") or "—",
                                                  "b": data.get("currency") or "—"})
            g.data["amount"] += amt
            g.data["impressions"] += imp
            g.data["clicks"] += clk
            g.data["spread"] = g.data["spread"] or len(days) > 1
            if line not in g.lines:
                g.lines.append(line)
            if n == 0:
                g.count += 1  # each file row counts once, in its first day
    for g in groups.values():
        g.data["amount"] = str(g.data["amount"])
        d = g.data
        g.display = {"date": d["date"], "channel": d["channel"],
                     "campaign": g.display["campaign"], "amount": d["amount"],
                     "currency": d.get("currency", ""), "impressions": d["impressions"],
                     "clicks": d["clicks"], "file_rows": len(g.lines),
                     "spread": str(_("spread")) if d["spread"] else ""}
        if d["spread"]:
            stats["spread_rows"] += 1
    stats["groups"] = len(groups)
    ctx.stats = stats
    return out


SUBSCRIPTION_BULK_KEYS = ("external_id", "contact", "account", "plan", "mrr", "amount",
                          "interval", "interval_count", "quantity", "status", "started_at",
                          "trial_end", "cancelled_at", "ended_at")
SUBSCRIPTION_DATES = ("started_at", "trial_end", "cancelled_at", "ended_at")


def subscription_row(row: Row, ctx: "ImportContext") -> dict:
    """A subscription: the contact by e-mail, else by the billing system's customer id (the
    contact's external id); the start, else the creation time. Stripe writes every time in
    UTC. MRR is stored in the workspace currency, so a row in another currency is refused."""
    v = row.values
    if not v.get("contact") and v.get("customer_id"):
        v["contact"] = v["customer_id"]
    if not v.get("started_at") and v.get("created"):
        v["started_at"] = v["created"]
    currency = (v.get("currency") or "").strip().upper()
    if currency and currency != ctx.workspace.currency.upper():
        row.error("currency", _("MRR is kept in the workspace currency (%(ws)s); this row is "
                                "in %(row)s.") % {"ws": ctx.workspace.currency,
                                                   "row": currency})
    if ctx.layout_key == "stripe_subscriptions":
        for k in SUBSCRIPTION_DATES:
            if v.get(k) and "T" not in v[k]:
                v[k] = v[k] + "T00:00:00+00:00"
            elif v.get(k) and "+" not in v[k][10:] and not v[k].endswith("Z"):
                v[k] = v[k] + "+00:00"
    for k in ("status", "interval"):
        if v.get(k):
            v[k] = v[k].strip().lower()
    return _only_given(v, SUBSCRIPTION_BULK_KEYS)


def rate_row(row: Row, ctx: "ImportContext"):
    """A rate (date, currency, rate), or for the ECB file (one EUR-based column per
    currency) one rate per currency of the day, to the workspace currency: X→EUR is 1 / the
    X column; with another workspace currency W, X→W is the W column / the X column and
    EUR→W the W column. "N/A" cells (a currency not quoted that day) give no rate."""
    v = row.values
    if not ctx.wide:
        return _only_given(v, ("date", "currency", "rate"))
    if not v.get("date"):
        return []  # the row's date error is reported
    ws = ctx.workspace.currency.upper()
    quotes = {k[5:]: Decimal(x) for k, x in v.items() if k.startswith("rate:") and x}
    if not quotes:
        return []  # a day the ECB published nothing (every cell N/A)
    if ws == "EUR":
        per_eur = Decimal(1)
    elif ws in quotes:
        per_eur = quotes[ws]
    else:
        row.error("date", _("This day has no %(ws)s column value, so no rate to %(ws)s can be "
                            "computed.") % {"ws": ws})
        return []
    out = [{"date": v["date"], "currency": "EUR", "rate": per_eur}] if ws != "EUR" else []
    for code, q in quotes.items():
        if code != ws and q > 0:
            out.append({"date": v["date"], "currency": code, "rate": per_eur / q})
    return out


ROW_BUILDERS = {"contacts": contact_row, "orders": order_row, "spend": spend_row,
                "subscriptions": subscription_row, "rates": rate_row}


class ImportContext:
    """What processing rows needs besides the rows: the actor, the chosen channel, and the
    workspace's campaigns (created on first sight, as ad-platform files name them)."""

    def __init__(self, actor, *, layout_key: str, channel_key: str = "",
                 header_currency: str = "", spread: bool = False, range=None):
        self.actor = actor
        self.workspace = actor.workspace
        self.layout_key = layout_key
        self.layout = LAYOUTS[layout_key]
        self.wide = self.layout.wide_currencies
        self.channel_key = channel_key
        self.header_currency = header_currency
        self.spread = spread
        self.range = tuple(range) if range else None
        self.new_campaigns: list[str] = []
        self.stats: dict = {}
        self.seen_orders: set[str] = set()  # Shopify: an order's first row seen
        self._campaigns = None
        self._channel_checked = False

    def ensure_channel(self) -> None:
        """The ad platform's own channel ("Google Ads", paid) when the file goes to it and
        the workspace lacks it: created (inside the preview's transaction, rolled back)."""
        lay = self.layout
        if self._channel_checked or not lay.channel or self.channel_key != lay.channel[0]:
            return
        self._channel_checked = True
        key, name, kind = lay.channel
        if not Channel.objects.filter(workspace=self.workspace, key=key).exists():
            Channel.objects.get_or_create(workspace=self.workspace, key=key, defaults={
                "name": name, "kind": kind, "is_paid": True})
            self._campaigns = None  # reload the channels

    def _load_campaigns(self):
        self.channels = {c.key: c for c in Channel.objects.filter(workspace=self.workspace)}
        self._campaigns = {}
        for c in Campaign.objects.filter(workspace=self.workspace).order_by("id"):
            for key in ((c.channel_id, "ext", c.external_id), (c.channel_id, "name", c.name),
                        (None, "utm", c.utm_campaign), (None, "code", str(c.code))):
                if key[2]:
                    self._campaigns.setdefault(key, c)

    def campaign_ref(self, channel_key: str, name: str, external_id: str) -> str:
        """The code of the campaign a row names — by ad-platform id, then name, UTM campaign
        or code — creating it under the row's channel when the workspace lacks it."""
        if self._campaigns is None:
            self._load_campaigns()
        channel = self.channels.get(channel_key)
        if channel is None:
            return external_id or name  # the bulk function reports the unknown channel
        for key in ((channel.pk, "ext", external_id), (channel.pk, "name", name),
                    (None, "utm", name), (None, "code", name), (channel.pk, "ext", name)):
            if key[2] and key in self._campaigns:
                return str(self._campaigns[key].code)
        try:
            c = campaign_create(actor=self.actor, channel=channel,
                                name=(name or external_id)[:200], external_id=external_id[:100])
        except ValidationError:
            return external_id or name
        self.new_campaigns.append(c.name)
        for key in ((channel.pk, "ext", external_id), (channel.pk, "name", name)):
            if key[2]:
                self._campaigns[key] = c
        return str(c.code)


def _bulk_write(ctx: ImportContext, kind: str, rows: list[dict]):
    """The API's bulk function for `kind` (crm.ingest): the same validation and upsert."""
    if kind == "spend":
        return spend_bulk(actor=ctx.actor, rows=rows, source=f"import:{ctx.layout_key}")
    if kind == "rates":
        return exchange_rates_bulk(actor=ctx.actor, rows=rows,
                                   source=f"import:{ctx.layout_key}")
    return {"contacts": contacts_bulk, "orders": orders_bulk,
            "subscriptions": subscriptions_bulk}[kind](
        actor=ctx.actor, rows=rows)


@dataclass
class ChunkOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    line_items: int = 0  # Shopify: further line items folded into their order
    refunds: int = 0  # refund rows written beside their orders
    rejected: list = field(default_factory=list)  # [line, {field: [messages]}]
    stored: list = field(default_factory=list)  # [line, status, row dict] (preview)
    totals: dict = field(default_factory=dict)  # what the accepted rows hold, stored
    rows: int = 0  # file rows this chunk accounts for


def add_totals(into: dict, more: dict) -> dict:
    """Sum two totals dicts (amounts kept as decimal strings, for JSON)."""
    for k, v in more.items():
        if k == "amount":
            into[k] = str(Decimal(into.get(k, "0")) + Decimal(v))
        else:
            into[k] = into.get(k, 0) + v
    return into


def run_chunk(ctx: ImportContext, kind: str, shape: FileShape, records: list,
              *, keep_rows: int = 0) -> ChunkOutcome:
    """Normalise a chunk of records and write its valid rows through the bulk function.
    Spend comes as rows already summed per day × campaign (spend_groups); an ECB rates row
    gives one rate per currency; an order's builder may return the order and its refund, or
    None for a further line item of an order already read (folded into it, counted as such).
    The caller decides the transaction: the preview rolls it back."""
    ctx.ensure_channel()
    if kind == "spend":
        rows = records
    else:
        build = ROW_BUILDERS[kind]
        rows = [read_row(shape, line, cells) for line, cells in records]
        for row in rows:
            row.data = build(row, ctx)
    payload, sent = [], []
    for row in rows:
        if row.data is None:  # a line item folded into its order
            row.data = {}
            continue
        if not row.errors:
            items = row.data if isinstance(row.data, list) else [row.data]
            payload.extend(items)
            sent.append((row, len(items)))
    out = ChunkOutcome(rows=sum(r.count for r in rows))
    if payload:
        result = _bulk_write(ctx, kind, payload)
        results = iter(result.results)
        for row, n in sent:
            statuses = set()
            for j in range(n):
                r = next(results)
                if kind == "orders" and j > 0:  # a refund row beside its order: counted apart
                    if r["status"] in ("created", "updated"):
                        out.refunds += 1
                    elif r["status"] in ("unchanged", "duplicate"):
                        out.unchanged += 1
                    elif r["status"] == "rejected":
                        statuses.add("rejected")
                else:
                    statuses.add(r["status"])
                for key, messages in r.get("errors", {}).items():
                    for m in messages:
                        if m not in row.errors.get(key, []):
                            row.error(key, m)
            row.status = ("created" if "created" in statuses else
                          "updated" if statuses & {"updated", "merged"} else "duplicate")
        add_totals(out.totals, {k: (str(v) if isinstance(v, Decimal) else v)
                                for k, v in result.totals.items() if k != "rows"})
    for row in rows:
        if row.status == "line_item":
            out.line_items += 1
        elif row.errors:
            row.status = "rejected"
            out.rejected.extend([line, row.errors] for line in (row.lines or [row.line]))
        else:
            attr = row.status if row.status in ("created", "updated") else "unchanged"
            setattr(out, attr, getattr(out, attr) + 1)
        if len(out.stored) < keep_rows:
            shown = row.display if row.display and not row.errors else row.data
            if isinstance(shown, list) and kind == "rates":  # the ECB file: the day's rates
                shown = {"date": row.values.get("date", ""), "rates": len(shown)}
            elif isinstance(shown, list):  # an order and its refund: the order
                shown = shown[0] if shown else {}
            out.stored.append([row.line, row.status, _jsonable(shown or {})])
    out.totals["rows"] = out.created + out.updated + out.unchanged
    return out


def count_error_groups(groups: dict, rejected: list) -> dict:
    """{"field\x1fmessage": rows} over rejected rows ([line, {field: [messages]}]): the error
    report groups rows by error type, with counts."""
    for _line, errs in rejected:
        for key, messages in errs.items():
            for m in set(messages):
                k = f"{key}\x1f{m}"
                groups[k] = groups.get(k, 0) + 1
    return groups


def _jsonable(data: dict) -> dict:
    return {k: (str(v) if isinstance(v, (Decimal, date)) else v) for k, v in data.items()
            if k not in ("date_end", "campaign_name")}


def batched(iterable, n: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


# --- services ----------------------------------------------------------------------------------

def _shape_from_job(job) -> FileShape:
    r = job.report
    headers = r["headers"]
    index = {h: i for i, h in reversed(list(enumerate(headers)))}
    return FileShape(layout=LAYOUTS[job.layout], encoding=r["encoding"],
                     delimiter=r["delimiter"], header_line=r["header_line"], headers=headers,
                     mapping={index[h]: k for h, k in r["mapping"]},
                     header_currency=r.get("header_currency", ""), total_rows=job.total_rows,
                     range=tuple(r["range"]) if r.get("range") else None,
                     summary_rows=r.get("summary_rows", 0))


def _context(actor, job, shape: FileShape) -> ImportContext:
    return ImportContext(actor, layout_key=shape.layout.key,
                         channel_key=job.report.get("channel", ""),
                         header_currency=shape.header_currency,
                         spread=job.report.get("spread", False), range=shape.range)


def _units(ctx: ImportContext, kind: str, shape: FileShape, records):
    """What is written chunk by chunk: spend as its day × campaign rows (the whole file is
    summed first), every other kind as the file's records."""
    return spend_groups(ctx, shape, records) if kind == "spend" else records


def file_totals(ctx: ImportContext, kind: str, shape: FileShape, binary) -> dict:
    """The file's own totals, read cell by cell: data rows, the platform's summary rows
    skipped, and per currency the amounts (orders, spend), impressions and clicks (spend),
    rates (rates) — shown beside what is stored so any difference is visible."""
    rows, amounts, impressions, clicks, rates = 0, {}, 0, 0, 0
    for line, cells in iter_records(binary, shape):
        rows += 1
        if kind not in ("spend", "orders", "rates"):
            continue
        v = read_row(shape, line, cells).values
        if kind == "rates":
            rates += sum(1 for k, x in v.items() if (k == "rate" or k.startswith("rate:"))
                         and x)
            continue
        if v.get("amount"):
            cur = (v.get("currency") or ctx.header_currency or ctx.workspace.currency
                   ).strip().upper()
            amounts[cur] = amounts.get(cur, Decimal(0)) + Decimal(v["amount"])
        impressions += v.get("impressions") or 0
        clicks += v.get("clicks") or 0
    out = {"rows": rows, "summary_rows": shape.summary_rows}
    if kind in ("spend", "orders"):
        out["amounts"] = {c: str(a) for c, a in sorted(amounts.items())}
    if kind == "spend":
        out.update(impressions=impressions, clicks=clicks)
    if kind == "rates":
        out["rates"] = rates
    return out


def import_job_create(*, actor, kind: str, upload, layout: str = AUTO, channel=None,
                      spread: bool = False):
    """Store an uploaded file as an ImportJob waiting for confirmation, with its preview.
    Nothing but the job is written. A recognised layout of another kind (a Meta export
    uploaded as contacts) imports as its own kind. Raises ValidationError for a file MOS
    cannot import."""
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(mb)d MB; split it into "
                                          "smaller files.") % {"mb": MAX_FILE_BYTES // 2**20}]})
    if layout != AUTO and (layout not in LAYOUTS or LAYOUTS[layout].kind != kind):
        raise ValidationError({"layout": [_("This layout does not import %(kind)s.")
                                          % {"kind": kind}]})
    try:
        shape = inspect_file(upload, kind=kind, layout=layout)
        kind = shape.layout.kind
        lay = shape.layout
        has_channel_column = "channel" in shape.mapping.values()
        if kind == "spend" and channel is None and not has_channel_column and not lay.channel:
            raise ValidationError({"channel": [_("Choose the channel this spend belongs "
                                                 "to.")]})
        _check_shape(shape, spread, actor.workspace)
        report = shape.as_report()
        report["channel"] = (channel.key if channel is not None else
                             lay.channel[0] if lay.channel and not has_channel_column else "")
        report["spread"] = bool(spread)
        ctx = ImportContext(actor, layout_key=lay.key, channel_key=report["channel"],
                            header_currency=shape.header_currency, spread=spread,
                            range=shape.range)
        report["file_totals"] = file_totals(ctx, kind, shape, upload)
        report["preview"] = preview_file(actor=actor, kind=kind, shape=shape, binary=upload,
                                         channel_key=report["channel"], ctx=ctx)
    except ImportFileError as e:
        raise ValidationError({"file": [str(e)]}) from None
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(workspace=actor.workspace, kind=kind, layout=shape.layout.key,
                        filename=upload.name[-255:], total_rows=shape.total_rows,
                        report=report, created_by=actor.user)
        job.file.save(upload.name[-100:], upload, save=False)
        job.save()
        audit(actor, "import.create", job, changes={
            "kind": kind, "layout": job.layout, "filename": job.filename,
            "rows": job.total_rows})
    return job


def _check_shape(shape: FileShape, spread: bool, workspace) -> None:
    """Refuse, saying what to change in the export, a file MOS cannot store as it is."""
    lay, have = shape.layout, set(shape.mapping.values())
    if lay.key == "google_ads" and "date" not in have:
        if not shape.range:
            raise ImportFileError(_(
                "This Google Ads report has no Day column and no date range in its title "
                "lines. In Google Ads, add Segments → Time → Day to the report and download "
                "it again."))
        if not spread:
            raise ImportFileError(_(
                "This Google Ads report has no Day column: each row is a total for "
                "%(start)s to %(end)s. In Google Ads, add Segments → Time → Day to the "
                "report and download it again — or tick “Spread totals over their days” to "
                "store each row as one row per day, spread evenly and marked as spread.")
                % {"start": shape.range[0], "end": shape.range[1]})
    if lay.wide_currencies:
        ws = workspace.currency.upper()
        if ws != "EUR" and f"rate:{ws}" not in have:
            raise ImportFileError(_(
                "This ECB file has no %(ws)s column, so no rate to %(ws)s (the workspace "
                "currency) can be computed from it. Import a rates file with the columns "
                "date, currency, rate (one unit of the currency in %(ws)s) instead.")
                % {"ws": ws})


def preview_file(*, actor, kind: str, shape: FileShape, binary, channel_key: str = "",
                 ctx: ImportContext | None = None) -> dict:
    """Validate the first rows exactly as the import will — through the bulk functions —
    inside a transaction that is rolled back, so nothing is written."""
    ctx = ctx or ImportContext(actor, layout_key=shape.layout.key, channel_key=channel_key,
                               header_currency=shape.header_currency)
    with transaction.atomic():
        ctx.ensure_channel()
        with translation.override("en"):  # row errors are stored in English (mos.stored_text)
            result = _preview_rows(ctx, kind, shape, binary)
        transaction.set_rollback(True)
    return result


def _preview_rows(ctx: ImportContext, kind: str, shape: FileShape, binary) -> dict:
    """The preview's checks on the first rows (the caller rolls the transaction back)."""
    if kind == "spend":  # summed per day × campaign over the whole file first
        units = spend_groups(ctx, shape, iter_records(binary, shape))[:PREVIEW_CHECK_ROWS]
        checked = sum(r.count for r in units)
    else:
        units = []
        for rec in iter_records(binary, shape):
            units.append(rec)
            if len(units) >= PREVIEW_CHECK_ROWS:
                break
        checked = len(units)
    out = run_chunk(ctx, kind, shape, units, keep_rows=PREVIEW_ROWS)
    return {"checked": checked, "valid": checked - len(out.rejected),
            "invalid": len(out.rejected), "created": out.created, "updated": out.updated,
            "unchanged": out.unchanged, "errors": out.rejected[:PREVIEW_ERRORS],
            "rows": out.stored, "new_campaigns": ctx.new_campaigns[:50],
            "totals": out.totals, "stats": ctx.stats,
            "line_items": out.line_items, "refunds": out.refunds,
            "error_groups": count_error_groups({}, out.rejected)}


def import_job_confirm(*, actor, job) -> bool:
    """Queue a previewed job; the task starts once this transaction commits. False if the job
    was no longer waiting for confirmation (a double click, another tab)."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.QUEUED)
        if not claimed:
            return False
        audit(actor, "import.confirm", job, changes={"rows": job.total_rows})
        job_id = job.pk
        transaction.on_commit(lambda: import_job_send(job_id))
    return True


def import_job_cancel(*, actor, job) -> bool:
    """Cancel a job that has not finished; a running import stops after its current chunk
    (rows already written stay: they were valid, and re-importing updates them)."""
    S = ImportJob.Status
    with transaction.atomic():
        cancelled = ImportJob.objects.filter(
            pk=job.pk, status__in=[S.PREVIEW, S.QUEUED, S.RUNNING]).update(
            status=S.CANCELLED, finished_at=timezone.now())
        if cancelled:
            audit(actor, "import.cancel", job)
    return bool(cancelled)


def _actor_for(job):
    m = (Membership.objects.select_related("workspace", "user")
         .filter(workspace=job.workspace_id, user=job.created_by_id).first())
    if m is None:
        raise ImportFileError(_("The person who started this import is no longer a member of "
                                "the workspace."))
    actor = Actor.for_member(m)
    if not actor.can("crm.import"):
        raise ImportFileError(_("The person who started this import may no longer import."))
    return actor


def import_job_process(job_id: int) -> None:
    """Import a confirmed job chunk by chunk, recording progress after each chunk. The job is
    claimed (queued, or running with an expired lease: its worker died) with a conditional
    UPDATE; a job taken over resumes after its last committed chunk (committed_rows), since
    each chunk's rows and the job's counters are committed together."""
    from mos.leases import LeaseLost, claim, heartbeat

    S = ImportJob.Status
    token = claim(ImportJob, job_id, ready_status=S.QUEUED, running_status=S.RUNNING)
    if token is None:
        return
    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    counters = ["processed_rows", "created_rows", "updated_rows", "error_rows", "report",
                "committed_rows"]
    try:
        actor = _actor_for(job)
        shape = _shape_from_job(job)
        ctx = _context(actor, job, shape)
        skip = job.committed_rows
        if not skip:  # a fresh start (a resumed job keeps its counters and report)
            job.report.update(errors=[], errors_truncated=False, unchanged=0, line_items=0,
                              refunds=0, error_groups={}, new_campaigns=[],
                              stored_totals={})
            job.processed_rows = job.created_rows = job.updated_rows = job.error_rows = 0
        seen = 0
        # row errors are stored in English and shown in each reader's language
        with job.file.open("rb") as f, translation.override("en"):
            for records in batched(_units(ctx, job.kind, shape, iter_records(f, shape)),
                                   CHUNK_ROWS):
                seen += sum(r.count for r in records) if job.kind == "spend" else len(records)
                if seen <= skip:  # written by an earlier attempt
                    continue
                if ImportJob.objects.filter(pk=job.pk, status=S.CANCELLED).exists():
                    return
                with transaction.atomic():
                    heartbeat(ImportJob, job.pk, token, running_status=S.RUNNING)
                    out = run_chunk(ctx, job.kind, shape, records)
                    job.processed_rows += out.rows
                    job.committed_rows = job.processed_rows
                    job.created_rows += out.created
                    job.updated_rows += out.updated
                    job.error_rows += len(out.rejected)
                    r = job.report
                    r["unchanged"] += out.unchanged
                    r["stored_totals"] = add_totals(r.setdefault("stored_totals", {}),
                                                    out.totals)
                    r["stats"] = ctx.stats
                    r["line_items"] = r.get("line_items", 0) + out.line_items
                    r["refunds"] = r.get("refunds", 0) + out.refunds
                    count_error_groups(r.setdefault("error_groups", {}), out.rejected)
                    room = REPORT_ERRORS_MAX - len(r["errors"])
                    r["errors"].extend(out.rejected[:max(room, 0)])
                    r["errors_truncated"] = r["errors_truncated"] or len(out.rejected) > room
                    r["new_campaigns"] = ctx.new_campaigns[:200]
                    job.save(update_fields=counters)
        job.total_rows = job.processed_rows  # the count at upload excluded nothing; keep exact
        job.save(update_fields=["total_rows"])
        ImportJob.objects.filter(pk=job.pk, status=S.RUNNING, lease_token=token).update(
            status=S.DONE, finished_at=timezone.now())
    except LeaseLost:
        logger.warning("import %s: lease lost, another worker has it", job_id)
    except Exception as e:  # the job must end as failed, never stay "running"
        if isinstance(e, ImportFileError):
            message = str(e)
        else:
            logger.exception("import %s failed", job_id)
            message = _("The import stopped unexpectedly. The rows before line %(n)d are "
                        "stored; an admin can see the details in the log.") % {
                            "n": job.committed_rows + 1}
        job.error = message[:2000]
        job.save(update_fields=["error"])
        ImportJob.objects.filter(pk=job.pk, status=S.RUNNING, lease_token=token).update(
            status=S.FAILED, finished_at=timezone.now())


IMPORT_THREADS: dict[int, "threading.Thread"] = {}  # job id → its thread (embedded mode)


def _run_in_thread(job_id: int) -> None:
    from django.db import connections

    try:
        import_job_process(job_id)
    except Exception:  # import_job_process records failures itself; never kill silently
        logger.exception("import %s: background thread failed", job_id)
    finally:
        connections.close_all()  # this thread's connections; SQLite's writer lock with them
        IMPORT_THREADS.pop(job_id, None)


def import_job_send(job_id: int) -> bool:
    """Send the import's task; False (job left queued: the sweep re-sends it) when the broker
    cannot be reached. With eager Celery (the embedded default, no worker) the import runs in
    a background thread instead, so confirming returns at once and the progress bar moves;
    chunks commit one by one, which SQLite's single writer allows while pages read (WAL)."""
    from django.conf import settings

    from mos.broker import BROKER_ERRORS

    from .tasks import import_run

    if settings.CELERY_TASK_ALWAYS_EAGER and getattr(settings, "MOS_IMPORT_THREAD", False):
        import threading

        t = threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True,
                             name=f"mos-import-{job_id}")
        IMPORT_THREADS[job_id] = t
        t.start()
        return True
    try:
        import_run.apply_async((job_id,))
    except BROKER_ERRORS:
        logger.exception("import %s: the task queue is unreachable", job_id)
        return False
    return True


def import_job_retry(*, actor, job) -> bool:
    """Send again an import whose worker stopped answering (the retry button)."""
    from mos.leases import is_stuck

    S = ImportJob.Status
    if not is_stuck(job, S.RUNNING, S.QUEUED):
        return False
    audit(actor, "import.retry", job, changes={"from_row": job.committed_rows})
    return import_job_send(job.pk)


def import_jobs_resend_lost() -> list[int]:
    """The sweep: imports queued past the lease (task lost) or running with an expired lease
    (worker died) are sent again; the task's claim decides who runs them."""
    from django.db.models import Q

    from mos.leases import expired_q, lease

    S = ImportJob.Status
    now = timezone.now()
    ids = list(ImportJob.objects.filter(
        Q(status=S.QUEUED, created_at__lt=now - lease()) | expired_q(S.RUNNING, now))
        .values_list("pk", flat=True)[:200])
    for job_id in ids:
        if not import_job_send(job_id):
            break
    return ids


def rejected_rows_csv(job) -> Iterator[list[str]]:
    """The rejected rows of a finished import as they were in the file, with their line
    number and errors first: fix them and import this file again."""
    errors = {line: errs for line, errs in job.report.get("errors", [])}
    shape = _shape_from_job(job)
    yield [str(_("line")), str(_("errors"))] + shape.headers
    if not errors:
        return
    last = max(errors)
    with job.file.open("rb") as f:
        for line, cells in iter_records(f, shape):
            if line in errors:
                yield [str(line), format_errors(errors[line], shape.layout)] + cells
            if line >= last:
                break


def format_errors(errors: dict, layout: Layout) -> str:
    """One row's stored errors in the reader's language, each after its column's label."""
    labels = {f.key: str(f.label) for f in layout.fields}
    return "; ".join(
        f"{labels.get(k, k)}: {' '.join(localise(m) for m in msgs)}" if k != "non_field_errors"
        else " ".join(localise(m) for m in msgs) for k, msgs in errors.items())


# --- reads ---------------------------------------------------------------------------------

def import_jobs(workspace):
    """The workspace's imports, newest first."""
    return ImportJob.objects.filter(workspace=workspace).select_related("created_by")


def get_import_job(workspace, code):
    """The workspace's import, or 404 (also for another workspace's code)."""
    return get_object_or_404(ImportJob.objects.select_related("created_by"),
                             workspace=workspace, code=code)
