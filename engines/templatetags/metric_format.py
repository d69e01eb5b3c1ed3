"""Format a metric value by its unit, in the active language's number format: money carries
the workspace's currency, counts are whole numbers, and on an Arabic page every figure is
isolated (Unicode FSI…PDI) so a sign or a "%" stays where it belongs."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mos.display import active_currency, isolate

register = template.Library()

DECIMALS = {"ratio": 1, "multiple": 1, "months": 1, "days": 1, "score": 1, "minutes": 1}


def _number(v: float, decimals: int) -> str:
    return number_format(v, decimals, use_l10n=True, force_grouping=True)


def format_value(value, unit: str = "count", currency: str | None = None) -> str:
    """A metric value as a person reads it; "—" when missing. Precision follows the unit:
    counts whole, money whole from 100 up (cents below), ratios as % with one decimal."""
    if value is None or value == "":
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return value
    if unit == "ratio":
        text = f"{_number(v * 100, 1)} %"
    elif unit == "multiple":
        text = f"{_number(v, 1)}×"
    elif unit == "months":
        text = _("%(n)s mo") % {"n": _number(v, 1)}
    elif unit == "days":
        text = _("%(n)s d") % {"n": _number(v, 1)}
    elif unit == "score":
        text = _number(v, 1)
    elif unit == "minutes":
        text = _("%(n)s min") % {"n": _number(v, 1)}
    elif unit == "currency":
        code = active_currency() if currency is None else currency
        amount = _number(v, 0 if abs(v) >= 100 else 2)
        text = f"{code}\u00a0{amount}" if code else amount
    else:  # counts and anything unitless: whole numbers
        text = _number(round(v), 0)
    return isolate(text)


@register.filter
def fmt(value, unit: str = "count"):
    """{{ value|fmt:"currency" }} → "USD 12,340"; ratio → "12.5 %"; multiple → "3.1×";
    count → "21"."""
    return format_value(value, unit)


@register.filter
def pct_change(value):
    if value is None:
        return ""
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return isolate(f"{sign}{number_format(abs(value) * 100, 1, use_l10n=True)} %")


@register.filter
def bidi(value):
    """Any text with numbers or Latin words inside Arabic, isolated on a right-to-left page."""
    return isolate(str(value)) if value not in (None, "") else value
