"""The plan templates a workspace starts from (seeds 000/001): the 30-60-90 launch plan and the
14-day MVP launch checklist. Items are keyed, so their labels read in the reader's language;
`days` is the due date's offset from the start date; `page` is where MOS does the work."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TEMPLATES = {
    "30_60_90": {
        "title": _("30-60-90 day growth plan"),
        "description": _("Seed 001: 0–30 days set the North Star and tracking; 31–60 launch "
                         "automation and 5–8 experiments; 61–90 test pricing and expansion."),
        "items": [
            ("nsm", "0-30", 10, _("Define the North Star Metric"), "kpis"),
            ("tracking", "0-30", 20, _("Write the tracking plan"), "tracking_plan"),
            ("gaps", "0-30", 30, _("Fix the critical data gaps"), "data_quality"),
            ("automation", "31-60", 45, _("Launch the lifecycle automation flows"), "flows"),
            ("experiments", "31-60", 60, _("Run 5–8 experiments"), "experiments"),
            ("cac", "31-60", 60, _("Track CAC per channel"), "workspace_home"),
            ("pricing", "61-90", 75, _("Test pricing"), "experiments"),
            ("expansion", "61-90", 85, _("Add expansion triggers"), "flows"),
            ("document", "61-90", 90, _("Document the growth results"), "learnings"),
        ],
    },
    "mvp14": {
        "title": _("14-day MVP marketing system launch"),
        "description": _("Seed 000: a marketing system running in two weeks."),
        "items": [
            ("market", "1-14", 2, _("Define the market and the persona"), "personas"),
            ("value", "1-14", 3, _("Write the value proposition and core messages"),
             "planning_sostac"),
            ("engines", "1-14", 4, _("Choose 2 growth engines (e.g. SEO + paid)"), "engines"),
            ("tracking", "1-14", 7, _("Track the core events and build one dashboard"),
             "tracking_plan"),
            ("review", "1-14", 7, _("Hold a 30-minute weekly review meeting"), "weekly_review"),
            ("experiments", "1-14", 10, _("Run 3 small weekly experiments"), "experiments"),
            ("report", "1-14", 14, _("Publish the first one-page marketing report"), "reports"),
        ],
    },
}


def template_choices() -> list[tuple[str, str]]:
    return [(k, t["title"]) for k, t in TEMPLATES.items()]


def item_label(template: str, key: str) -> str:
    for k, _phase, _days, label, _page in TEMPLATES.get(template, {}).get("items", []):
        if k == key:
            return str(label)
    return key


def item_page(template: str, key: str) -> str:
    for k, _phase, _days, _label, page in TEMPLATES.get(template, {}).get("items", []):
        if k == key:
            return page
    return ""
