"""Format a metric value by its unit, in the active language's number format."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def fmt(value, unit: str = "count"):
    """{{ value|fmt:"currency" }} → "12,340"; ratio → "12.5 %"; multiple → "3.1×"."""
    if value is None or value == "":
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return value
    if unit == "ratio":
        return f"{number_format(v * 100, 1)} %"
    if unit == "multiple":
        return f"{number_format(v, 1)}×"
    if unit == "months":
        return _("%(n)s mo") % {"n": number_format(v, 1)}
    if unit == "days":
        return _("%(n)s d") % {"n": number_format(v, 1)}
    if unit == "score":
        return number_format(v, 1)
    if unit == "currency":
        return intcomma(number_format(v, 0 if abs(v) >= 100 else 2, use_l10n=False))
    return intcomma(number_format(v, 0 if abs(v) >= 100 or v == int(v) else 1, use_l10n=False))


@register.filter
def pct_change(value):
    if value is None:
        return ""
    sign = "+" if value > 0 else ""
    return f"{sign}{number_format(value * 100, 1)} %"
