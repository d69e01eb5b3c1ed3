"""Reading CSV files as spreadsheets and ad platforms write them: the encoding (UTF-8 with or
without BOM, UTF-16, Windows-1252), the delimiter, title lines above the header, report footers,
the layouts MOS recognises (generic contacts / orders / spend, Google Ads, Meta Ads) and their
column mapping, and the number and date formats — turning each record into a Row of field
values. No database here: crm.importing.jobs hands the rows to the bulk functions.
Supported layouts are described in docs/imports.md."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.ingest.common import is_null_token

MAX_ROWS = 1_000_000
HEADER_SEARCH_LINES = 15  # title lines an export may put above its header
DELIMITERS = ("\t", ",", ";")
csv.field_size_limit(1024 * 1024)


class ImportFileError(Exception):
    """A problem with the whole file (encoding, size, missing columns): shown to the user."""


# --- layouts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: object  # lazy translated text
    aliases: tuple[str, ...]  # regular expressions over normalised header cells
    type: str = "text"  # text, int, decimal, date, datetime

    def matches(self, header: str) -> re.Match | None:
        for alias in self.aliases:
            m = re.fullmatch(alias, header)
            if m:
                return m
        return None


@dataclass(frozen=True)
class Layout:
    key: str
    label: object
    kind: str  # ImportJob.Kind value
    fields: tuple[Field, ...]
    # every tuple is "one of these fields": the header row must have at least one of each
    required: tuple[tuple[str, ...], ...]
    # headers that identify this layout when the user leaves it on "detect"
    signature: tuple[str, ...] = ()
    from_ad_platform: bool = False
    # the channel an ad-platform file belongs to when none is chosen: (key, name, kind),
    # found by its key or created as a paid channel
    channel: tuple[str, str, str] | None = None
    # recognised from its headers whatever kind was chosen on upload
    recognisable: bool = False
    # one column per currency (the ECB reference-rates file): "rate:<CODE>" field keys
    wide_currencies: bool = False

    def field(self, key: str) -> Field:
        if key.startswith("rate:"):
            return RATE_COLUMN
        return next(f for f in self.fields if f.key == key)


def _f(key, label, *aliases, type="text"):
    return Field(key, label, tuple(aliases), type)


CONTACT_FIELDS = (
    _f("external_id", gettext_lazy("External id"), r"external[ _]?id", r"(contact|customer|record) ?id", r"id"),
    _f("email", gettext_lazy("E-mail"), r"e-?mail( address)?", r"email_address"),
    _f("phone", gettext_lazy("Phone"), r"phone( number)?", r"mobile( phone)?", r"telephone"),
    _f("name", gettext_lazy("Name"), r"(full |contact )?name"),
    _f("first_name", gettext_lazy("First name"), r"first[ _]?name", r"given name"),
    _f("last_name", gettext_lazy("Last name"), r"last[ _]?name", r"surname", r"family name"),
    _f("company", gettext_lazy("Company"), r"company( name)?", r"organi[sz]ation",
       r"default address company"),
    _f("country", gettext_lazy("Country"), r"country( code)?", r"country/region",
       r"default address country( code)?"),
    _f("city", gettext_lazy("City"), r"city", r"default address city"),
    _f("language", gettext_lazy("Language"), r"language", r"lang"),
    _f("stage", gettext_lazy("Lifecycle stage"), r"(lifecycle[ _])?stage"),
    _f("lead_status", gettext_lazy("Lead status"), r"lead[ _]status"),
    _f("customer_type", gettext_lazy("Customer type"), r"customer[ _]type"),
    _f("buying_role", gettext_lazy("Buying role"), r"buying[ _]role"),
    # opt-in columns (Shopify's "Accepts Email Marketing", HubSpot/Mailchimp-style statuses):
    # yes/no and granted/withdrawn words go to the consent ledger, source "import"
    _f("email_consent", gettext_lazy("E-mail consent"), r"accepts (e-?mail )?marketing",
       r"e-?mail[ _](marketing[ _])?(consent|opt[ _-]?in|subscription|subscribed)"
       r"([ _]status)?", r"e-?mail marketing( status)?", r"marketing e-?mails?"),
    _f("sms_consent", gettext_lazy("SMS consent"), r"accepts sms marketing",
       r"sms[ _](marketing[ _])?(consent|opt[ _-]?in|subscription|subscribed)([ _]status)?",
       r"sms marketing( status)?"),
)
ORDER_FIELDS = (
    _f("external_id", gettext_lazy("Order id"), r"external[ _]?id", r"order[ _]?(id|number|no\.?)", r"id"),
    _f("contact", gettext_lazy("Contact"), r"contact", r"contact[ _](id|external[ _]id|email)",
       r"customer([ _](id|email|e-mail))?", r"e-?mail"),
    _f("amount", gettext_lazy("Amount"), r"amount", r"total", r"revenue", r"order (total|amount|value)",
       type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency( code)?"),
    _f("occurred_at", gettext_lazy("Date"), r"occurred[ _]at", r"(order )?date", r"created[ _]at",
       r"paid[ _]at", type="datetime"),
    _f("kind", gettext_lazy("Kind"), r"kind", r"(order )?type"),
    _f("margin", gettext_lazy("Gross margin"), r"(gross )?margin", type="decimal"),
)
SPEND_FIELDS = (
    _f("date", gettext_lazy("Date"), r"date", r"day", type="date"),
    _f("channel", gettext_lazy("Channel"), r"channel( key)?"),
    _f("campaign", gettext_lazy("Campaign"), r"campaign( name)?"),
    _f("campaign_id", gettext_lazy("Campaign id"), r"campaign[ _]id"),
    _f("amount", gettext_lazy("Amount"), r"amount", r"spend", r"cost", r"amount spent", type="decimal"),
    _f("impressions", gettext_lazy("Impressions"), r"impressions", r"impr\.?", type="int"),
    _f("clicks", gettext_lazy("Clicks"), r"clicks", type="int"),
    _f("currency", gettext_lazy("Currency"), r"currency( code)?"),
)
GOOGLE_ADS_FIELDS = (
    _f("date", gettext_lazy("Date"), r"day", r"date", type="date"),
    _f("campaign", gettext_lazy("Campaign"), r"campaign"),
    _f("campaign_id", gettext_lazy("Campaign id"), r"campaign id"),
    _f("impressions", gettext_lazy("Impressions"), r"impr\.", r"impressions", type="int"),
    _f("clicks", gettext_lazy("Clicks"), r"clicks", type="int"),
    _f("amount", gettext_lazy("Amount"), r"cost", type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency code", r"currency"),
)
META_ADS_FIELDS = (
    _f("date", gettext_lazy("Date"), r"day", type="date"),
    # the Month breakdown: "2026-11-01 - 2026-11-30"
    _f("month", gettext_lazy("Month"), r"month"),
    _f("date_start", gettext_lazy("Reporting starts"), r"reporting starts", type="date"),
    _f("date_end", gettext_lazy("Reporting ends"), r"reporting ends", type="date"),
    _f("campaign", gettext_lazy("Campaign"), r"campaign name"),
    _f("campaign_id", gettext_lazy("Campaign id"), r"campaign id"),
    _f("account", gettext_lazy("Account"), r"account name", r"account id"),
    _f("impressions", gettext_lazy("Impressions"), r"impressions", type="int"),
    _f("clicks", gettext_lazy("Clicks"), r"link clicks", type="int"),
    # "Amount spent (USD)": the currency is in the header
    _f("amount", gettext_lazy("Amount"), r"amount spent(?: \((?P<currency>[a-z]{3})\))?", type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency"),
)
# TikTok Ads Manager → Reporting → custom report, campaign × day ("By Day")
TIKTOK_ADS_FIELDS = (
    _f("date", gettext_lazy("Date"), r"by day", r"date", r"day", r"stat[ _]time[ _]day",
       type="date"),
    _f("campaign", gettext_lazy("Campaign"), r"campaign name", r"campaign"),
    _f("campaign_id", gettext_lazy("Campaign id"), r"campaign id"),
    _f("impressions", gettext_lazy("Impressions"), r"impressions?", type="int"),
    _f("clicks", gettext_lazy("Clicks"), r"clicks \(destination\)", r"clicks( \(all\))?",
       type="int"),
    _f("amount", gettext_lazy("Amount"), r"cost", r"total cost", r"spend", type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency"),
)
# LinkedIn Campaign Manager → Analyze → Export → Campaign performance, time breakdown Daily
LINKEDIN_ADS_FIELDS = (
    _f("date", gettext_lazy("Date"), r"start date \(in utc\)", r"start date", r"date",
       type="date_us"),
    _f("campaign", gettext_lazy("Campaign"), r"campaign name", r"campaign"),
    _f("campaign_id", gettext_lazy("Campaign id"), r"campaign id"),
    _f("impressions", gettext_lazy("Impressions"), r"impressions", type="int"),
    _f("clicks", gettext_lazy("Clicks"), r"clicks", type="int"),
    _f("amount", gettext_lazy("Amount"), r"total spent", r"amount spent", type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency"),
)
RATE_FIELDS = (
    _f("date", gettext_lazy("Date"), r"date", r"day", type="date"),
    _f("currency", gettext_lazy("Currency"), r"currency( code)?"),
    _f("rate", gettext_lazy("Rate"), r"(exchange )?rate", type="decimal"),
)
ECB_FIELDS = (
    _f("date", gettext_lazy("Date"), r"date", type="date"),
)
RATE_COLUMN = Field("rate", gettext_lazy("Rate"), (r"[a-z]{3}",), "decimal")

# subscriptions: MOS's own columns, and Stripe's Billing → Subscriptions export ("(UTC)" dates)
SUBSCRIPTION_FIELDS = (
    _f("external_id", gettext_lazy("Subscription id"), r"external[ _]?id", r"subscription[ _]?id", r"id"),
    _f("contact", gettext_lazy("Contact"), r"contact", r"contact[ _](id|external[ _]id|email)",
       r"customer[ _]?(email|e-mail)", r"e-?mail"),
    _f("customer_id", gettext_lazy("Customer id"), r"customer[ _]?id"),
    _f("account", gettext_lazy("Account"), r"account", r"account[ _](id|external[ _]id)"),
    _f("plan", gettext_lazy("Plan"), r"plan", r"plan[ _]name", r"price"),
    _f("mrr", gettext_lazy("MRR"), r"mrr", type="decimal"),
    _f("amount", gettext_lazy("Price"), r"amount", r"(plan )?price( amount)?", r"unit amount",
       type="decimal"),
    _f("interval", gettext_lazy("Interval"), r"interval", r"billing (interval|period)"),
    _f("interval_count", gettext_lazy("Interval count"), r"interval[ _]count", type="int"),
    _f("quantity", gettext_lazy("Quantity"), r"quantity", r"seats", type="int"),
    _f("currency", gettext_lazy("Currency"), r"currency( code)?"),
    _f("status", gettext_lazy("Status"), r"status"),
    _f("started_at", gettext_lazy("Started"), r"start(ed)?([ _]at)?( \(utc\))?", r"start date",
       type="datetime"),
    _f("created", gettext_lazy("Created"), r"created([ _]at)?( \(utc\))?", type="datetime"),
    _f("trial_end", gettext_lazy("Trial end"), r"trial[ _]end(s)?([ _]at)?( \(utc\))?", type="datetime"),
    _f("cancelled_at", gettext_lazy("Cancelled"), r"cancell?ed[ _]at( \(utc\))?", type="datetime"),
    _f("ended_at", gettext_lazy("Ended"), r"ended[ _]at( \(utc\))?", r"end date", type="datetime"),
)

# Shopify → Orders → Export (CSV for Excel or plain CSV): one row per line item; the order's
# own columns (Financial Status, Total, ...) only on its first row.
SHOPIFY_ORDER_FIELDS = (
    _f("external_id", gettext_lazy("Order name"), r"name"),
    _f("email", gettext_lazy("E-mail"), r"email"),
    _f("phone", gettext_lazy("Phone"), r"phone"),
    _f("billing_phone", gettext_lazy("Billing phone"), r"billing phone", r"shipping phone"),
    _f("customer_id", gettext_lazy("Customer id"), r"customer id"),
    _f("financial_status", gettext_lazy("Financial status"), r"financial status"),
    _f("amount", gettext_lazy("Total"), r"total", type="decimal"),
    _f("refunded", gettext_lazy("Refunded amount"), r"refunded amount", type="decimal"),
    _f("currency", gettext_lazy("Currency"), r"currency"),
    _f("occurred_at", gettext_lazy("Created at"), r"created at", type="datetime"),
    _f("cancelled_at", gettext_lazy("Cancelled at"), r"cancell?ed at", type="datetime"),
)
# Stripe → Payments → Export (unified_payments.csv)
STRIPE_PAYMENT_FIELDS = (
    _f("external_id", gettext_lazy("Payment id"), r"id"),
    _f("occurred_at", gettext_lazy("Created (UTC)"), r"created \(utc\)", r"created date \(utc\)",
       type="datetime"),
    _f("amount", gettext_lazy("Amount"), r"amount", type="decimal"),
    _f("refunded", gettext_lazy("Amount refunded"), r"amount refunded", type="decimal"),
    _f("refunded_at", gettext_lazy("Refunded date (UTC)"), r"refunded date \(utc\)",
       type="datetime"),
    _f("currency", gettext_lazy("Currency"), r"currency"),
    _f("financial_status", gettext_lazy("Status"), r"status"),
    _f("email", gettext_lazy("Customer e-mail"), r"customer email"),
    _f("customer_id", gettext_lazy("Customer id"), r"customer id"),
)
# Stripe → Customers → Export (unified_customers.csv)
STRIPE_CUSTOMER_FIELDS = (
    _f("external_id", gettext_lazy("Customer id"), r"id"),
    _f("email", gettext_lazy("E-mail"), r"email"),
    _f("name", gettext_lazy("Name"), r"name"),
    _f("phone", gettext_lazy("Phone"), r"phone"),
    _f("company", gettext_lazy("Company"), r"description", r"business name"),
    _f("country", gettext_lazy("Country"), r"(card |address )?country"),
    _f("city", gettext_lazy("City"), r"(card |address )?city"),
)

LAYOUTS: dict[str, Layout] = {layout.key: layout for layout in (
    Layout("contacts", gettext_lazy("Contacts (CSV)"), "contacts", CONTACT_FIELDS,
           required=(("external_id", "email", "phone"),)),
    Layout("hubspot_contacts", gettext_lazy("HubSpot contacts export"), "contacts",
           CONTACT_FIELDS, required=(("external_id", "email", "phone"),),
           signature=(r"record id", r"create date")),
    Layout("shopify_customers", gettext_lazy("Shopify customers export"), "contacts",
           CONTACT_FIELDS, required=(("external_id", "email", "phone"),),
           signature=(r"accepts (email )?marketing", r"total spent", r"total orders")),
    Layout("stripe_customers", gettext_lazy("Stripe customers export"), "contacts",
           STRIPE_CUSTOMER_FIELDS, required=(("external_id", "email"),),
           signature=(r"created \(utc\)", r"delinquent", r"card id")),
    Layout("orders", gettext_lazy("Orders (CSV)"), "orders", ORDER_FIELDS,
           required=(("contact",), ("amount",), ("occurred_at",))),
    Layout("shopify_orders", gettext_lazy("Shopify orders export"), "orders",
           SHOPIFY_ORDER_FIELDS,
           required=(("external_id",), ("amount",), ("occurred_at",), ("financial_status",)),
           signature=(r"financial status", r"lineitem name", r"fulfillment status")),
    Layout("stripe_payments", gettext_lazy("Stripe payments export"), "orders",
           STRIPE_PAYMENT_FIELDS,
           required=(("external_id",), ("amount",), ("occurred_at",), ("email", "customer_id")),
           signature=(r"created \(utc\)", r"amount refunded", r"customer email",
                      r"captured")),
    Layout("spend", gettext_lazy("Ad spend (CSV)"), "spend", SPEND_FIELDS,
           required=(("date",), ("amount",))),
    # without the Day segment the report's range (its title line) is spread on request
    Layout("google_ads", gettext_lazy("Google Ads campaign report"), "spend", GOOGLE_ADS_FIELDS,
           required=(("campaign", "campaign_id"), ("amount",)),
           signature=(r"impr\.", r"currency code"), from_ad_platform=True,
           channel=("google_ads", "Google Ads", "paid_search"), recognisable=True),
    Layout("meta_ads", gettext_lazy("Meta Ads Manager export"), "spend", META_ADS_FIELDS,
           required=(("date", "date_start", "month"), ("amount",)),
           signature=(r"amount spent.*", r"reporting starts", r"link clicks",
                      r"reporting ends"),
           from_ad_platform=True, channel=("meta_ads", "Meta Ads", "paid_social"),
           recognisable=True),
    Layout("tiktok_ads", gettext_lazy("TikTok Ads campaign report"), "spend", TIKTOK_ADS_FIELDS,
           required=(("date",), ("campaign", "campaign_id"), ("amount",)),
           signature=(r"clicks \(destination\)", r"cpc \(destination\)",
                      r"ctr \(destination\)", r"by day", r"stat[ _]time[ _]day",
                      r"cpm", r"campaign name"),
           from_ad_platform=True, channel=("tiktok_ads", "TikTok Ads", "paid_social"),
           recognisable=True),
    Layout("linkedin_ads", gettext_lazy("LinkedIn Campaign Manager export"), "spend",
           LINKEDIN_ADS_FIELDS,
           required=(("date",), ("campaign", "campaign_id"), ("amount",)),
           signature=(r"total spent", r"campaign group name", r"start date \(in utc\)",
                      r"campaign name"),
           from_ad_platform=True, channel=("linkedin_ads", "LinkedIn Ads", "paid_social"),
           recognisable=True),
    Layout("rates", gettext_lazy("Exchange rates (CSV)"), "rates", RATE_FIELDS,
           required=(("date",), ("currency",), ("rate",))),
    Layout("ecb_rates", gettext_lazy("ECB reference rates (eurofxref)"), "rates", ECB_FIELDS,
           required=(("date",),), signature=(r"date", r"usd", r"jpy", r"gbp", r"chf"),
           recognisable=True, wide_currencies=True),
    Layout("subscriptions", gettext_lazy("Subscriptions (CSV)"), "subscriptions", SUBSCRIPTION_FIELDS,
           required=(("contact", "customer_id", "account"), ("mrr", "amount"),
                     ("started_at", "created"))),
    Layout("stripe_subscriptions", gettext_lazy("Stripe subscriptions export"), "subscriptions",
           SUBSCRIPTION_FIELDS,
           required=(("contact", "customer_id"), ("amount", "mrr"), ("started_at", "created")),
           signature=(r"customer id", r"created \(utc\)", r"canceled at \(utc\)",
                      r"cancel at period end")),
)}
GENERIC = {"contacts": "contacts", "orders": "orders", "spend": "spend",
           "subscriptions": "subscriptions", "rates": "rates"}
AUTO = "auto"


def layouts_for(kind: str) -> list[Layout]:
    return [lay for lay in LAYOUTS.values() if lay.kind == kind]


def layout_choices() -> list[tuple[str, object]]:
    return [(AUTO, gettext_lazy("Detect from the file"))] + [(k, v.label) for k, v in LAYOUTS.items()]


# --- reading the file ------------------------------------------------------------------------

def detect_encoding(head: bytes) -> str:
    """The text encoding of a file from its first bytes: BOMs first, then UTF-16 without BOM
    (NUL bytes), then UTF-8, then what charset-normalizer finds (Windows-1252, what Excel
    writes on many systems, for Western text)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head[:200]:
        odd_nuls = head[1:200:2].count(0)
        return "utf-16-le" if odd_nuls >= head[0:200:2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return _detect_legacy_encoding(head)


# Multi-byte encodings charset-normalizer tells apart reliably (a short Western sample gets a
# different single-byte guess each time, so those stay Windows-1252, what Excel writes).
_MULTIBYTE = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp",
              "iso2022_jp", "gb18030", "gb2312", "gbk", "hz", "big5", "big5hkscs", "cp950",
              "cp949", "euc_kr", "johab", "iso2022_kr"}


def _detect_legacy_encoding(head: bytes) -> str:
    """Neither UTF-8 nor UTF-16: Windows-1256 when the bytes read as Arabic (Excel on an
    Arabic system), a CJK encoding when charset-normalizer finds one (Shift-JIS, GBK, Big5,
    EUC-KR), else Windows-1252."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(head))
    if any(m.encoding == "cp1256" and m.language == "Arabic" for m in matches):
        return "cp1256"
    if matches and matches[0].encoding in _MULTIBYTE:
        return matches[0].encoding
    return "cp1252"


def open_text(binary) -> tuple[io.TextIOWrapper, str]:
    """A text stream over a binary file object (positioned at its start)."""
    binary.seek(0)
    head = binary.read(64 * 1024)
    binary.seek(0)
    if not head.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise ImportFileError(_("The file is empty."))
    encoding = detect_encoding(head)
    raw = binary
    while not isinstance(raw, io.IOBase) and getattr(raw, "file", None) is not None:
        raw = raw.file  # Django File / upload wrappers → the real file object
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    return stream, encoding


def norm_header(cell: str) -> str:
    return re.sub(r"\s+", " ", (cell or "").replace("\ufeff", "").strip().strip('"')).lower()


@dataclass
class FileShape:
    """What inspecting a file found: how to read it and which column means what."""

    layout: Layout
    encoding: str
    delimiter: str
    header_line: int  # 1-based
    headers: list[str]
    mapping: dict[int, str]  # column index → field key
    header_currency: str = ""
    total_rows: int = 0
    # the report's date range from its title lines ("November 1, 2026 - November 30, 2026")
    range: tuple[str, str] | None = None
    summary_rows: int = 0  # the platform's total rows, skipped

    @property
    def ignored(self) -> list[str]:
        return [h for i, h in enumerate(self.headers) if i not in self.mapping and h.strip()]

    def as_report(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter,
                "header_line": self.header_line, "headers": self.headers,
                "mapping": [[self.headers[i], k] for i, k in sorted(self.mapping.items())],
                "ignored": self.ignored, "header_currency": self.header_currency,
                "range": list(self.range) if self.range else None,
                "summary_rows": self.summary_rows}


def _map_headers(layout: Layout, headers: list[str]) -> tuple[dict[int, str], str]:
    """Column index → field key (the first column matching a field wins), and a currency
    found in a header such as "Amount spent (EUR)"."""
    mapping, taken, currency = {}, set(), ""
    if layout.wide_currencies:  # Date, USD, JPY, …: every 3-letter column is a rate
        from mos.validation import CURRENCIES

        for i, h in enumerate(headers):
            code = norm_header(h).upper()
            if code in CURRENCIES and f"rate:{code}" not in taken:
                mapping[i] = f"rate:{code}"
                taken.add(f"rate:{code}")
        if len(mapping) < 2:
            return {}, ""
    for f in layout.fields:  # field order decides ties: "Campaign ID" is not "Campaign"
        for i, h in enumerate(headers):
            if i in mapping or f.key in taken:
                continue
            m = f.matches(norm_header(h))
            if m:
                mapping[i] = f.key
                taken.add(f.key)
                if m.groupdict().get("currency"):
                    currency = m.group("currency").upper()
    return mapping, currency


def _missing(layout: Layout, mapping: dict[int, str]) -> list[tuple[str, ...]]:
    have = set(mapping.values())
    return [group for group in layout.required if not have.intersection(group)]


def _signature_score(layout: Layout, headers: list[str]) -> int:
    normed = [norm_header(h) for h in headers]
    return sum(any(re.fullmatch(sig, h) for h in normed) for sig in layout.signature)


def inspect_file(binary, *, kind: str, layout: str = AUTO) -> FileShape:
    """Find the encoding, delimiter, header row and layout of an uploaded file, map its
    columns and count its data rows. Raises ImportFileError with a message for the user."""
    stream, encoding = open_text(binary)
    try:
        try:
            head_lines = []
            for line in stream:
                head_lines.append(line)
                if len(head_lines) >= HEADER_SEARCH_LINES:
                    break
        except UnicodeDecodeError:
            raise ImportFileError(_("The file's text encoding could not be read. Save it as "
                                    "CSV UTF-8 and try again.")) from None
        candidates = [LAYOUTS[layout]] if layout != AUTO else layouts_for(kind) + [
            lay for lay in LAYOUTS.values() if lay.recognisable and lay.kind != kind]
        best = None  # (score, -line, delimiter, layout, headers, mapping, currency)
        for delim in DELIMITERS:
            rows = list(csv.reader(head_lines, delimiter=delim))
            for idx, row in enumerate(rows):
                if len([c for c in row if c.strip()]) < 2:
                    continue
                for lay in candidates:
                    mapping, currency = _map_headers(lay, row)
                    if not mapping or _missing(lay, mapping):
                        continue
                    sig = _signature_score(lay, row)
                    if lay.kind != kind and sig < 2:
                        continue  # another kind's layout only when its headers are unmistakable
                    score = (sig, len(mapping), -idx)
                    if best is None or score > best[0]:
                        best = (score, idx, delim, lay, row, mapping, currency)
        if best is None and kind == "contacts" and layout in (AUTO, "contacts"):
            best = _email_list(head_lines)
        if best is None:
            lay = candidates[0] if len(candidates) == 1 else LAYOUTS[GENERIC[kind]]
            raise ImportFileError(_missing_message(lay, head_lines))
        _score, idx, delim, lay, headers, mapping, currency = best
        if lay.kind != kind and layout != AUTO:
            raise ImportFileError(_("This layout imports %(kind)s, not the kind you chose.")
                                  % {"kind": lay.kind})
        shape = FileShape(layout=lay, encoding=encoding, delimiter=delim,
                          header_line=idx + 1, headers=[h.strip().lstrip("\ufeff")
                                                        for h in headers],
                          mapping=mapping, header_currency=currency,
                          range=_title_range(head_lines[:idx]))
    finally:
        stream.detach()
    skipped = []
    shape.total_rows = sum(1 for _ in iter_records(binary, shape, skipped=skipped))
    shape.summary_rows = sum(1 for _line, why in skipped if why == "summary")
    if shape.total_rows == 0:
        if any(why == "no_data" for _line, why in skipped):
            raise ImportFileError(_(
                "This export has no data: the platform wrote “No data available.” in place of "
                "rows. Check the date range and the filters (campaigns that were off or "
                "deleted are hidden by default), then export again."))
        raise ImportFileError(_("The file has a header row but no data rows."))
    return shape


_RANGE = re.compile(r"(?P<a>[A-Za-z]{3,9}\.? \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
                    r"\s*[-–—]\s*"
                    r"(?P<b>[A-Za-z]{3,9}\.? \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})")


def _title_range(lines: list[str]) -> tuple[str, str] | None:
    """The date range a report states above its header ("November 1, 2026 - November 30,
    2026" in Google Ads), or None."""
    for line in lines:
        m = _RANGE.search(line.replace('"', ""))
        if m:
            a, b = clean_date(m.group("a").replace(".", "")), clean_date(
                m.group("b").replace(".", ""))
            if a and b and a <= b:
                return a, b
    return None


_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


def _email_list(head_lines: list[str]):
    """A one-column list of e-mail addresses, with an "email" header or none at all: a
    contacts file whose only column is the e-mail."""
    cells = [ln.strip().strip('"').strip() for ln in head_lines if ln.strip()]
    if not cells or any(c.count(",") or c.count(";") or c.count("\t") for c in cells):
        return None
    has_header = CONTACT_FIELDS[1].matches(norm_header(cells[0])) is not None
    data = cells[1:] if has_header else cells
    if not data or not all(_EMAIL.fullmatch(c) for c in data[:5]):
        return None
    headers = [cells[0].lstrip("\ufeff")] if has_header else [str(gettext_lazy("E-mail"))]
    return ((0,), 0 if has_header else -1, ",", LAYOUTS["contacts"], headers, {0: "email"},
            "")


def _missing_message(layout: Layout, head_lines: list[str]) -> str:
    needed = " · ".join(" / ".join(str(layout.field(k).label) for k in group)
                        for group in layout.required)
    first = next((ln.strip() for ln in head_lines if ln.strip()), "")[:120]
    return _("No header row with the columns MOS needs was found in the first %(n)d lines. "
             "“%(layout)s” needs the columns: %(needed)s. The file begins with: “%(first)s”.") % {
        "n": HEADER_SEARCH_LINES, "layout": layout.label, "needed": needed, "first": first}


def _is_footer(cells: list[str]) -> bool:
    """Ad-platform report footers: "Total: Account", "Total: Search", "Total"."""
    return any(c.strip().lower() == "total" or c.strip().lower().startswith(
        ("total:", "total of ")) for c in cells[:3])


_IDENTITY_FIELDS = ("campaign", "campaign_id", "account")


def _is_summary(cells: list[str], shape: FileShape) -> bool:
    """An ad platform's summary row: the file names campaigns (or accounts) and this row
    names none (Meta's "Include summary row", TikTok's total line)."""
    cols = [i for i, k in shape.mapping.items() if k in _IDENTITY_FIELDS]
    return bool(cols) and not any(i < len(cells) and cells[i].strip() for i in cols)


def _is_no_data(cells: list[str]) -> bool:
    filled = [c.strip().lower() for c in cells if c.strip()]
    return len(filled) == 1 and filled[0].rstrip(".") in ("no data available", "no data")


def iter_records(binary, shape: FileShape, *, skipped: list | None = None
                 ) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each data row, skipping blank rows, report footers ("Total:
    Account" in Google Ads exports) and ad platforms' summary rows (noted in `skipped` as
    (line, "summary")). Line numbers are 1-based and count the title and header lines, as a
    spreadsheet shows them."""
    stream, _enc = open_text(binary)
    try:
        reader = csv.reader(stream, delimiter=shape.delimiter)
        line = 0
        try:
            for cells in reader:
                line += 1
                if line <= shape.header_line:
                    continue
                if not any(c.strip() for c in cells):
                    continue
                if shape.layout.from_ad_platform and _is_footer(cells):
                    if skipped is not None:
                        skipped.append((line, "summary"))
                    continue
                if _is_no_data(cells):
                    if skipped is not None:
                        skipped.append((line, "no_data"))
                    continue
                if shape.layout.from_ad_platform and _is_summary(cells, shape):
                    if skipped is not None:
                        skipped.append((line, "summary"))
                    continue
                if len(cells) < len(shape.headers) and any("\n" in c or "\r" in c
                                                           for c in cells):
                    # an opening quote never closed: the lines after it became one cell
                    raise ImportFileError(_(
                        "Line %(line)d has a quote (\") that is never closed, so the lines "
                        "after it were read as part of this row. Close or remove the quote "
                        "and upload the file again.") % {"line": line})
                if line - shape.header_line > MAX_ROWS + 1:
                    raise ImportFileError(_("The file has more than %(n)s rows; split it into "
                                            "smaller files.") % {"n": f"{MAX_ROWS:,}"})
                yield line, cells
        except UnicodeDecodeError:
            raise ImportFileError(_("Line %(line)d is not valid %(enc)s text. Save the file as "
                                    "CSV UTF-8 and try again.") % {"line": line + 1,
                                                                   "enc": _enc}) from None
        except csv.Error as e:
            raise ImportFileError(_("Line %(line)d could not be read as CSV: %(error)s")
                                  % {"line": line + 1, "error": e}) from None
    finally:
        stream.detach()


# --- values ----------------------------------------------------------------------------------

EMPTY = {"", "--", " --", "-", "n/a", "null"}
_THOUSANDS = re.compile(r"-?\d{1,3}([,\u00a0\u202f ]\d{3})+(\.\d+)?")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")
# "1.234,56" / "1 234,56": thousands dots or spaces and a decimal comma (German, French locales)
_EUROPEAN = re.compile(r"-?\d{1,3}([.\u00a0\u202f ]\d{3})+,\d+")
_CURRENCY_MARKS = re.compile(r"^[A-Za-z]{3}\s+|\s+[A-Za-z]{3}$|[$€£¥₹]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y",
                "%d %b %Y", "%d %B %Y", "%Y%m%d")


def clean_number(value: str) -> str:
    """'1,234' → '1234'; '$1,234.50' → '1234.50'; '12,50' → '12.50'; '--' → ''."""
    s = _CURRENCY_MARKS.sub("", value.strip()).strip()
    if s.lower() in EMPTY:
        return ""
    if _THOUSANDS.fullmatch(s):
        s = re.sub(r"[,\u00a0\u202f ]", "", s)
    elif _DECIMAL_COMMA.fullmatch(s):
        s = s.replace(",", ".")
    elif _EUROPEAN.fullmatch(s):
        s = re.sub(r"[.\u00a0\u202f ]", "", s).replace(",", ".")
    return s


_THOUSAND_DOTS = re.compile(r"\d{1,3}(\.\d{3})+")


def clean_int(value: str) -> int | None:
    if value.isdigit():  # the common case, without the regular expressions
        return int(value)
    if _THOUSAND_DOTS.fullmatch(value.strip()):  # a count never has decimals: "1.250" = 1250
        return int(value.strip().replace(".", ""))
    s = clean_number(value)
    if s == "":
        return 0  # ad platforms write "--" for "none"
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return int(d) if d == d.to_integral_value() else None


_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")


def clean_decimal(value: str) -> str | None:
    if _PLAIN_DECIMAL.fullmatch(value):
        return value
    s = clean_number(value)
    if s == "":
        return ""
    try:
        Decimal(s)
    except InvalidOperation:
        return None
    return s


def clean_date(value: str) -> str | None:
    s = value.strip()
    if not s:
        return ""
    if "T" in s[:11]:
        s = s[:10]
    if len(s) == 10 and s[4] == "-":
        try:
            return date.fromisoformat(s).isoformat()
        except ValueError:
            return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def clean_date_us(value: str) -> str | None:
    """LinkedIn writes month/day/year ("11/3/2026"); ISO dates pass too."""
    s = value.strip()
    try:
        return datetime.strptime(s, "%m/%d/%Y").date().isoformat()
    except ValueError:
        return clean_date(s)


def clean_datetime(value: str) -> str | None:
    s = value.strip()
    if not s:
        return ""
    try:
        return datetime.fromisoformat(s.replace(" UTC", "+00:00").replace("Z", "+00:00")
                                      ).isoformat()
    except ValueError:
        pass
    d = clean_date(s)
    return d if d else None


@dataclass
class Row:
    line: int
    cells: list[str]
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)  # {field: [messages]}
    data: dict = field(default_factory=dict)  # the row as sent to the bulk function
    status: str = ""  # created / updated / duplicate / rejected
    display: dict | None = None  # what the preview shows, when it differs from `data`
    lines: list = field(default_factory=list)  # file lines summed into this row (spend)
    count: int = 1  # file rows this row accounts for (progress; 0 for a spread share)

    def error(self, key: str, message) -> None:
        self.errors.setdefault(key, []).append(str(message))


def read_row(shape: FileShape, line: int, cells: list[str]) -> Row:
    """Map one record onto field keys and normalise spreadsheet formats; the bulk functions
    do the real validation."""
    row = Row(line, cells)
    for i, key in shape.mapping.items():
        raw = cells[i] if i < len(cells) else ""
        f = shape.layout.field(key)
        if f.type == "text":
            v = raw.strip()
            if v[:1] == "'" and v[1:2] and (v[1].isdigit() or v[1] == "+"):
                v = v[1:]  # Shopify's (and Excel's) text marker before ids and phones
            row.values[key] = "" if is_null_token(v) else v  # "null", "N/A": no value
            continue
        cleaner = {"int": clean_int, "decimal": clean_decimal, "date": clean_date,
                   "date_us": clean_date_us, "datetime": clean_datetime}[f.type]
        v = cleaner(raw)
        if v is None:
            msg = {"int": _("“%(v)s” is not a whole number."),
                   "decimal": _("“%(v)s” is not a number."),
                   "date": _("“%(v)s” is not a date (use YYYY-MM-DD)."),
                   "date_us": _("“%(v)s” is not a date (use YYYY-MM-DD)."),
                   "datetime": _("“%(v)s” is not a date or date-time (use YYYY-MM-DD).")}[f.type]
            row.error(key, msg % {"v": raw.strip()[:40]})
        else:
            row.values[key] = v
    return row
