"""Small template helpers for the CRM screens: stage badges and dictionary lookups."""

from django import template
from django.utils.html import format_html

from crm.models import Stage

register = template.Library()

STAGE_TONES = {
    Stage.SUBSCRIBER: "", Stage.LEAD: "accent", Stage.MQL: "accent", Stage.SQL: "warn",
    Stage.OPPORTUNITY: "warn", Stage.CUSTOMER: "good", Stage.ADVOCATE: "good",
    Stage.CHURNED: "bad", Stage.OTHER: "",
}


@register.simple_tag
def stage_badge(stage: str, stage_names: dict | None = None, element_id: str = ""):
    """The stage as a coloured badge, named as the workspace names it."""
    label = (stage_names or {}).get(stage) or (Stage(stage).label if stage in Stage.values
                                                else stage)
    tone = STAGE_TONES.get(stage, "")
    return format_html('<span class="badge stage-badge{}"{} data-stage="{}">{}</span>',
                       f" badge-{tone}" if tone else "",
                       format_html(' id="{}"', element_id) if element_id else "", stage, label)


@register.filter
def lookup(mapping, key):
    """{{ mapping|lookup:key }} — a dict value by a variable key ('' when missing)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def minutes_text(seconds) -> str:
    """A call or meeting's duration: "7 min", "1.5 min", "45 s" under a minute."""
    from django.utils.translation import gettext as _

    if seconds in (None, ""):
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return _("%(s)s s") % {"s": seconds}
    minutes = round(seconds / 60, 1)
    return _("%(m)s min") % {"m": f"{minutes:g}"}
