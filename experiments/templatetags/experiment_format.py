"""Formatting for experiment results: percentages, signed changes, p-values, interval bars."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()


def _ok(v) -> bool:
    return isinstance(v, (int, float)) and v == v


@register.filter
def pct(v, digits=1):
    return f"{number_format(v * 100, int(digits))} %" if _ok(v) else "—"


@register.filter
def signed_pct(v):
    if not _ok(v):
        return "—"
    return ("+" if v > 0 else "") + f"{number_format(v * 100, 1)} %"


@register.filter
def pvalue(v):
    if not _ok(v):
        return "—"
    return "< 0.001" if v < 0.001 else number_format(v, 3)


@register.filter
def metric(v, kind):
    if not _ok(v):
        return "—"
    return pct(v, 2) if kind == "proportion" else number_format(v, 2)


@register.filter
def get(d, key):
    return d.get(key) if hasattr(d, "get") else None


@register.simple_tag
def ci_bar(low, high, scale=0.5):
    """A bar from low to high on a ±scale axis centred on zero (0 drawn as a tick)."""
    if not (_ok(low) and _ok(high)):
        return ""
    span = max(scale, abs(low), abs(high))

    def pos(x):
        return 50 + 50 * x / span

    cls = "is-good" if low > 0 else "is-bad" if high < 0 else ""
    start, end = pos(low), pos(high)
    return format_html('<div class="ci-bar" aria-hidden="true"><span class="{}" '
                       'style="inset-inline-start:{}%;inline-size:{}%"></span>'
                       '<i style="inset-inline-start:50%"></i></div>',
                       cls, f"{start:.1f}", f"{max(end - start, 1):.1f}")
