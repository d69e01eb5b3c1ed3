"""The bounds every intake path applies (bulk API, CRUD API, CSV import, forms), in one place:
dates and timestamps MOS can compute with, the time zones and currencies a workspace may use,
and the size of a free-form `properties` object."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(2000, 1, 1)
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones: a day ahead is still "now"
MAX_PROPERTIES_BYTES = 64 * 1024  # serialized JSON of one row's `properties`
MAX_JSON_DEPTH = 32  # nesting of one row's `properties`

DATE_TOO_EARLY = _("Must be on or after 2000-01-01.")
DATE_TOO_LATE = _("Is more than one day in the future.")
# a subscription's trial end and end may be scheduled ahead (a yearly contract, a running trial)
SCHEDULE_HORIZON = timedelta(days=3653)
SCHEDULE_TOO_LATE = _("Is more than ten years in the future.")


def occurred_at_error(value: datetime, now: datetime | None = None):
    """The message for a timestamp outside [2000-01-01, now + 1 day] (UTC), else None."""
    now = now or timezone.now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    if value < datetime.combine(EARLIEST_DATE, time(), tzinfo=dt_timezone.utc):
        return DATE_TOO_EARLY
    if value > now + FUTURE_SLACK:
        return DATE_TOO_LATE
    return None


def date_error(value: date, today: date | None = None):
    """The message for a day outside [2000-01-01, today + 1 day], else None."""
    today = today or timezone.now().date()
    if value < EARLIEST_DATE:
        return DATE_TOO_EARLY
    if value > today + FUTURE_SLACK:
        return DATE_TOO_LATE
    return None


def scheduled_at_error(value: datetime, now: datetime | None = None):
    """The message for a scheduled timestamp (a trial end, a contract's end) outside
    [2000-01-01, now + 10 years] (UTC), else None."""
    now = now or timezone.now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    if value < datetime.combine(EARLIEST_DATE, time(), tzinfo=dt_timezone.utc):
        return DATE_TOO_EARLY
    if value > now + SCHEDULE_HORIZON:
        return SCHEDULE_TOO_LATE
    return None


def validate_occurred_at(value: datetime) -> None:
    """Django/DRF validator form of occurred_at_error."""
    message = occurred_at_error(value)
    if message:
        raise ValidationError(message, code="out_of_range")


def validate_scheduled_at(value: datetime) -> None:
    """Django/DRF validator form of scheduled_at_error."""
    message = scheduled_at_error(value)
    if message:
        raise ValidationError(message, code="out_of_range")


def validate_day(value: date) -> None:
    message = date_error(value)
    if message:
        raise ValidationError(message, code="out_of_range")


# --- workspace settings ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """The IANA zone names this Python knows (zoneinfo.available_timezones)."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones()) | {"UTC"}


def validate_timezone(value: str) -> None:
    if value not in timezones():
        raise ValidationError(_("Not a time zone MOS knows (an IANA name like Asia/Riyadh)."),
                              code="invalid_timezone")


# ISO 4217 active codes (2024), without funds/precious metals/testing codes.
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(_("Not an ISO 4217 currency code (e.g. USD, SAR, EUR)."),
                              code="invalid_currency")


# --- free-form JSON ----------------------------------------------------------------------------

PROPERTIES_TOO_LARGE = _("Must be at most 64 KB as JSON.")
PROPERTIES_TOO_DEEP = _("Is nested too deeply (at most 32 levels).")
BAD_TEXT = _("Contains characters that are not valid Unicode.")


def json_depth_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if dicts/lists nest deeper than `limit` (iterative: never a RecursionError)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if d > limit:
                return True
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            if d > limit:
                return True
            stack.extend((x, d + 1) for x in v)
    return False


def json_problem(value):
    """Why a parsed JSON value cannot be stored as a row's properties, or None: too deep, lone
    surrogates (which neither PostgreSQL nor UTF-8 can hold), or more than 64 KB."""
    if json_depth_exceeds(value):
        return PROPERTIES_TOO_DEEP
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
    except (UnicodeEncodeError, ValueError, RecursionError):
        return BAD_TEXT
    if size > MAX_PROPERTIES_BYTES:
        return PROPERTIES_TOO_LARGE
    return None


def has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- money: the currency's minor units (ISO 4217) -----------------------------------------------

# Currencies whose minor unit is not 2 decimals (ISO 4217 list one, 2024); every other is 2.
MINOR_UNITS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}
MAX_MONEY_PLACES = 3  # the amount columns hold 3 decimals: the most any active currency uses


def currency_places(currency: str) -> int:
    """How many decimals an amount in `currency` may have (JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS.get((currency or "").upper(), 2)


def amount_places_error(amount, currency: str):
    """The message for an amount with more decimals than its currency allows, else None:
    0.004 USD or 1.5 JPY are refused, never silently rounded."""
    from decimal import Decimal

    places = currency_places(currency)
    exponent = Decimal(amount).normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        if places == 0:
            return _("%(currency)s amounts have no decimals.") % {"currency": currency.upper()}
        return _("%(currency)s amounts have at most %(places)d decimals.") % {
            "currency": currency.upper(), "places": places}
    return None


def money_text(amount, currency: str) -> str | None:
    """An amount as the API writes it: the currency's decimals ("120.00" USD, "1500" JPY,
    "1.250" KWD)."""
    from decimal import Decimal

    if amount is None:
        return None
    places = currency_places(currency)
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-places)))
